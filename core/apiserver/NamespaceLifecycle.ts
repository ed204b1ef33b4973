/**
 * The NamespaceLifecycle admission: objects are only created in a namespace that exists and is
 * not being deleted.
 */
import * as Effect from "effect/Effect"
import { Forbidden, type NotFound, notFound, type ServiceUnavailable } from "../api/errors.js"
import type { Store, Value } from "../store/Store.js"
import type { Cacher } from "./Cacher.js"
import { collectionPrefix, objectKey } from "./StorageKey.js"
import { unavailable } from "./StoreErrors.js"

/** Where namespaces are stored, for lookups that need no more of the Namespace resource. */
export const namespacesResource = { group: "", plural: "namespaces", namespaced: false } as const

/** The namespaces Kubernetes creates at start. */
export const systemNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"] as const

/** The namespace as the admission sees it: absent (404), terminating (403), or open. */
const judge = (namespace: string, value: Value | undefined): Effect.Effect<void, NotFound | Forbidden> => {
  if (value === undefined) return Effect.fail(notFound(namespacesResource, namespace))
  const meta = (value as { metadata?: { deletionTimestamp?: string } }).metadata
  return meta?.deletionTimestamp === undefined
    ? Effect.void
    : Effect.fail(
        new Forbidden({
          message: `unable to create new content in namespace ${namespace} because it is being terminated`,
          details: {
            name: namespace,
            kind: "namespaces",
            causes: [
              {
                reason: "NamespaceTerminating",
                message: `namespace ${namespace} is being terminated`,
                field: "metadata.namespace"
              }
            ]
          }
        })
      )
}

/** Reads the namespace from the store. */
const lookUp = (store: Store["Type"], namespace: string): Effect.Effect<Value | undefined, ServiceUnavailable> =>
  store.get(objectKey(namespacesResource, undefined, namespace)).pipe(
    Effect.map((entry): Value | undefined => entry.value),
    Effect.catchTags({
      KeyNotFound: () => Effect.succeed(undefined),
      StoreUnavailable: (e) => Effect.fail(unavailable(e))
    })
  )

/** The admission: succeeds when `namespace` exists and is not terminating, else 404 or 403. */
export interface NamespaceLister {
  readonly admit: (namespace: string) => Effect.Effect<void, NotFound | Forbidden | ServiceUnavailable>
}

/**
 * The admission's view of the namespaces (Kubernetes' NamespaceLifecycle keeps a lister): listed
 * once, then kept current by the watch cache, so creating an object costs no store read for its
 * namespace. A namespace the view does not hold is read from the store, as it may be newer than
 * the view; so is every namespace until the view has started, and after its watch ended (the
 * store went away), when the next lookup starts it again.
 */
export const makeLister = (store: Store["Type"], cacher: Cacher): NamespaceLister => {
  const prefix = collectionPrefix(namespacesResource, undefined)
  let view: Map<string, Value> | undefined
  let starting = false

  const start = Effect.gen(function* () {
    const listed = yield* store.list(prefix)
    const names = new Map(listed.entries.map((e) => [e.key.slice(prefix.length), e.value]))
    let ended = false
    yield* cacher.watch(prefix, listed.revision, {
      events: (events) => {
        for (const event of events) {
          const name = event.entry.key.slice(prefix.length)
          if (event.type === "DELETED") names.delete(name)
          else names.set(name, event.entry.value)
        }
      },
      end: () => {
        ended = true
        if (view === names) view = undefined
      }
    })
    if (!ended) view = names
  }).pipe(Effect.ignore, Effect.ensuring(Effect.sync(() => (starting = false))), Effect.uninterruptible)

  const startOnce = Effect.suspend(() => {
    if (view !== undefined || starting) return Effect.void
    starting = true
    return start
  })

  return {
    admit: (namespace) =>
      Effect.suspend(() => {
        const known = view?.get(namespace)
        if (known !== undefined) return judge(namespace, known)
        return Effect.zipRight(
          startOnce,
          Effect.flatMap(lookUp(store, namespace), (value) => judge(namespace, value))
        )
      })
  }
}
