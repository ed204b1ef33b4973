/**
 * The controller-manager (kube-controller-manager): every controller of the cluster in one
 * component, started only while this instance holds the `kube-controller-manager` Lease, so two
 * controller-managers never act at once. Informers are created per term of leadership and stop
 * with it: a new leader starts from a fresh list.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { Client } from "../client/Client.js"
import * as LeaderElection from "../client/LeaderElection.js"
import * as SharedInformers from "../informer/SharedInformers.js"
import * as Deployment from "./Deployment.js"
import * as Endpoints from "./Endpoints.js"
import * as GarbageCollector from "./GarbageCollector.js"
import * as Namespace from "./Namespace.js"
import * as NodeLifecycle from "./NodeLifecycle.js"
import * as PodGC from "./PodGC.js"
import * as ReplicaSet from "./ReplicaSet.js"

/** The controllers by the names kube-controller-manager's `--controllers` flag uses. */
export const controllerNames = [
  "replicaset",
  "deployment",
  "garbage-collector",
  "namespace",
  "node-lifecycle",
  "pod-garbage-collector",
  "endpoints"
] as const
export type ControllerName = (typeof controllerNames)[number]

export interface ControllerManagerOptions {
  /** This instance's name in the Lease (`holderIdentity`). */
  readonly identity?: string
  /** Which controllers run; default all. */
  readonly controllers?: ReadonlyArray<ControllerName>
  /** Leader election timing; `false` runs without a Lease (a single instance, tests). */
  readonly leaderElection?: false | Partial<Omit<LeaderElection.LeaderElectionOptions, "identity">>
  readonly replicaSet?: Parameters<typeof ReplicaSet.make>[0]
  readonly deployment?: Parameters<typeof Deployment.make>[0]
  readonly garbageCollector?: Parameters<typeof GarbageCollector.make>[0]
  readonly nodeLifecycle?: Parameters<typeof NodeLifecycle.make>[0]
  readonly podGC?: Parameters<typeof PodGC.make>[0]
  readonly endpoints?: Parameters<typeof Endpoints.make>[0]
  readonly informers?: SharedInformers.SharedInformersOptions
}

/** Starts the chosen controllers over fresh shared informers; they stop when the scope closes. */
export const start = (options: ControllerManagerOptions = {}): Effect.Effect<void, never, Client | Scope.Scope> =>
  Effect.gen(function* () {
    const informers = yield* SharedInformers.make(options.informers)
    const enabled = new Set<ControllerName>(options.controllers ?? controllerNames)
    const starters: Record<
      ControllerName,
      Effect.Effect<void, never, Client | SharedInformers.SharedInformers | Scope.Scope>
    > = {
      replicaset: ReplicaSet.make(options.replicaSet),
      deployment: Deployment.make(options.deployment),
      "garbage-collector": GarbageCollector.make(options.garbageCollector),
      namespace: Namespace.make(),
      "node-lifecycle": NodeLifecycle.make(options.nodeLifecycle),
      "pod-garbage-collector": PodGC.make(options.podGC),
      endpoints: Endpoints.make(options.endpoints)
    }
    for (const name of controllerNames) {
      if (!enabled.has(name)) continue
      yield* Effect.provideService(starters[name], SharedInformers.SharedInformers, informers)
      yield* Effect.logDebug(`started controller ${name}`)
    }
  }).pipe(Effect.annotateLogs("component", "controller-manager"))

/**
 * Runs the controller-manager until interrupted: campaigns for the Lease and runs the controllers
 * while it leads (or at once with `leaderElection: false`).
 */
export const run = (options: ControllerManagerOptions = {}): Effect.Effect<never, never, Client> => {
  const leading = Effect.zipRight(start(options), Effect.never)
  if (options.leaderElection === false) return Effect.scoped(leading)
  return LeaderElection.run(
    {
      lockName: "kube-controller-manager",
      identity: options.identity ?? "controller-manager",
      ...options.leaderElection
    },
    leading
  )
}

/** The controller-manager as a layer: runs in the background while the layer is alive. */
export const layer = (options: ControllerManagerOptions = {}): Layer.Layer<never, never, Client> =>
  Layer.scopedDiscard(Effect.forkScoped(run(options)))
