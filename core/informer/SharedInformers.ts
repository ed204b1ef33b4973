/**
 * The SharedInformers service (client-go's `SharedInformerFactory`): one informer per kind and
 * selection in a process, shared by every controller that asks, started on first request and
 * stopped when the layer's scope closes.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type { KubeObject } from "../api/meta.js"
import type { ResourceType } from "../api/resource.js"
import type { Client } from "../client/Client.js"
import * as Informer from "./Informer.js"

export class SharedInformers extends Context.Tag("minik8s/SharedInformers")<
  SharedInformers,
  {
    /** The process's informer for this kind and selection (the same object on every call). */
    readonly informer: <A extends KubeObject>(
      rt: ResourceType<A>,
      options?: Omit<Informer.InformerOptions, "resyncPeriod">
    ) => Effect.Effect<Informer.Informer<A>>
  }
>() {}

export interface SharedInformersOptions {
  /** Resync period of every informer; omitted: no resync. */
  readonly resyncPeriod?: Informer.InformerOptions["resyncPeriod"]
}

const identity = (
  rt: Pick<ResourceType, "group" | "plural">,
  options: Omit<Informer.InformerOptions, "resyncPeriod">
) =>
  `${rt.group}/${rt.plural}?ns=${options.namespace ?? ""}&l=${options.labelSelector ?? ""}&f=${options.fieldSelector ?? ""}`

/** Informers created on demand in the scope given; they stop when it closes. */
export const make = (
  options: SharedInformersOptions = {}
): Effect.Effect<SharedInformers["Type"], never, Client | Scope.Scope> =>
  Effect.gen(function* () {
    const context = yield* Effect.context<Client | Scope.Scope>()
    const informers = new Map<string, Informer.Informer<any>>()
    const lock = yield* Effect.makeSemaphore(1)
    return {
      informer: <A extends KubeObject>(
        rt: ResourceType<A>,
        selection: Omit<Informer.InformerOptions, "resyncPeriod"> = {}
      ): Effect.Effect<Informer.Informer<A>> =>
        lock.withPermits(1)(
          Effect.suspend(() => {
            const key = identity(rt, selection)
            const existing = informers.get(key)
            if (existing !== undefined) return Effect.succeed(existing as Informer.Informer<A>)
            const started = Informer.make(rt, {
              ...selection,
              ...(options.resyncPeriod === undefined ? {} : { resyncPeriod: options.resyncPeriod })
            })
            return Effect.tap(Effect.provide(started, context), (informer) => {
              informers.set(key, informer)
            })
          })
        )
    }
  })

export const layer = (options: SharedInformersOptions = {}): Layer.Layer<SharedInformers, never, Client> =>
  Layer.scoped(SharedInformers, make(options))
