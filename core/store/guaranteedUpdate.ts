/**
 * Kubernetes' `GuaranteedUpdate` (apiserver/pkg/storage): read a key, compute its new value, write it
 * with compare-and-swap, and on a conflict run the update function again on what is there now.
 */
import * as Effect from "effect/Effect"
import type { Entry, KeyNotFound, RevisionConflict, Store, StoreUnavailable, Value } from "./Store.js"

/** How many times a conflicting write is retried unless told otherwise. */
export const defaultMaxRetries = 16

/**
 * Applies `tryUpdate` to the current entry of `key` and writes the result if the key was not changed
 * meanwhile; on RevisionConflict it retries on the entry the conflict reports, at most `maxRetries` times.
 * When `tryUpdate` returns the current value itself, nothing is written and the current entry is returned.
 */
export const guaranteedUpdate = <E, R>(
  store: Store["Type"],
  key: string,
  tryUpdate: (current: Entry) => Effect.Effect<Value, E, R>,
  options: { readonly maxRetries?: number } = {}
): Effect.Effect<Entry, E | KeyNotFound | RevisionConflict | StoreUnavailable, R> => {
  const maxRetries = options.maxRetries ?? defaultMaxRetries
  const attempt = (
    current: Entry,
    retries: number
  ): Effect.Effect<Entry, E | KeyNotFound | RevisionConflict | StoreUnavailable, R> =>
    Effect.flatMap(tryUpdate(current), (value) =>
      value === current.value
        ? Effect.succeed(current)
        : store
            .update(key, value, current.modRevision)
            .pipe(
              Effect.catchTag("RevisionConflict", (conflict) =>
                retries < maxRetries ? attempt(conflict.current, retries + 1) : Effect.fail(conflict)
              )
            )
    )
  return Effect.flatMap(store.get(key), (current) => attempt(current, 0))
}
