/**
 * Kubernetes' `GuaranteedUpdate` (apiserver/pkg/storage): read a key, compute its new value, write it
 * with compare-and-swap, and on a conflict run the update function again on what is there now.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { Entry, KeyNotFound, RevisionConflict, Store, StoreUnavailable, Value, WriteOptions } from "./Store.js"

/** How many times a conflicting write is retried unless told otherwise. */
export const defaultMaxRetries = 16

/** What every attempt of one guaranteedUpdate works with. */
interface Job<E, R> {
  readonly store: Store["Type"]
  readonly key: string
  readonly tryUpdate: (current: Entry) => Either.Either<Value, E> | Effect.Effect<Value, E, R>
  readonly maxRetries: number
  readonly options: WriteOptions | undefined
}

type Failure<E> = E | KeyNotFound | RevisionConflict | StoreUnavailable

/**
 * Applies `tryUpdate` to the current entry of `key` and writes the result if the key was not changed
 * meanwhile; on RevisionConflict it retries on the entry the conflict reports, at most `maxRetries` times.
 * When `tryUpdate` returns the current value itself, nothing is written and the current entry is returned.
 * `tryUpdate` may answer an Either (a plain computation) or an Effect. Every write is made with
 * `writeOptions` (a ttl restarts with it).
 */
export const guaranteedUpdate = <E, R = never>(
  store: Store["Type"],
  key: string,
  tryUpdate: (current: Entry) => Either.Either<Value, E> | Effect.Effect<Value, E, R>,
  writeOptions?: WriteOptions,
  options: { readonly maxRetries?: number } = {}
): Effect.Effect<Entry, Failure<E>, R> => {
  const job: Job<E, R> = {
    store,
    key,
    tryUpdate,
    maxRetries: options.maxRetries ?? defaultMaxRetries,
    options: writeOptions
  }
  return Effect.flatMap(store.get(key), (current) => attempt(job, current, 0))
}

const attempt = <E, R>(job: Job<E, R>, current: Entry, retries: number): Effect.Effect<Entry, Failure<E>, R> => {
  const next = job.tryUpdate(current)
  // A plain answer goes on at once: no fiber step per write for it.
  if (Either.isEither(next))
    return Either.isLeft(next) ? Effect.fail(next.left) : write(job, current, next.right, retries)
  return Effect.flatMap(next, (value) => write(job, current, value, retries))
}

const write = <E, R>(
  job: Job<E, R>,
  current: Entry,
  value: Value,
  retries: number
): Effect.Effect<Entry, Failure<E>, R> =>
  value === current.value
    ? Effect.succeed(current)
    : Effect.catchTag(
        job.store.update(job.key, value, current.modRevision, job.options),
        "RevisionConflict",
        (conflict) => (retries < job.maxRetries ? attempt(job, conflict.current, retries + 1) : Effect.fail(conflict))
      )
