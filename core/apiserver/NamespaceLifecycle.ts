/**
 * The NamespaceLifecycle admission: objects are only created in a namespace that exists and is
 * not being deleted.
 */
import * as Effect from "effect/Effect"
import { Forbidden, type NotFound, notFound, type ServiceUnavailable } from "../api/errors.js"
import type { Store } from "../store/Store.js"
import { objectKey } from "./StorageKey.js"
import { unavailable } from "./StoreErrors.js"

/** Where namespaces are stored, for lookups that need no more of the Namespace resource. */
export const namespacesResource = { group: "", plural: "namespaces", namespaced: false } as const

/** The namespaces Kubernetes creates at start. */
export const systemNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"] as const

/** Succeeds when `namespace` exists and is not terminating: 404 `namespaces "x" not found`, or 403. */
export const admitNamespace = (
  store: Store["Type"],
  namespace: string
): Effect.Effect<void, NotFound | Forbidden | ServiceUnavailable> =>
  store.get(objectKey(namespacesResource, undefined, namespace)).pipe(
    Effect.catchTags({
      KeyNotFound: () => Effect.fail(notFound(namespacesResource, namespace)),
      StoreUnavailable: (e) => Effect.fail(unavailable(e))
    }),
    Effect.flatMap((entry) => {
      const meta = (entry.value as { metadata?: { deletionTimestamp?: string } }).metadata
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
    })
  )
