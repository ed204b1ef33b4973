/**
 * The controller runner (controller-runtime's reconcile loop): workers take keys from a work
 * queue and reconcile them one at a time per key; failures retry with the queue's backoff.
 */
import * as Cause from "effect/Cause"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type { KubeObject } from "../api/meta.js"
import { type EventHandler, keyOf as defaultKeyOf } from "../informer/Informer.js"
import type { WorkQueue } from "../informer/WorkQueue.js"

/** What a successful reconcile asks for: look again after a while (time-based conditions). */
export interface ReconcileResult {
  readonly requeueAfter?: Duration.DurationInput
}

export interface RunOptions {
  /** The controller's name, annotated on its logs. */
  readonly name: string
  /** Concurrent reconciles (of different keys); default 1. */
  readonly workers?: number
  readonly queue: WorkQueue<string>
}

/**
 * A conflict is the normal outcome of racing a cache (Kubernetes logs it at V(4)): debug. Other
 * failures are one warning line; a defect is a bug and is logged with its cause.
 */
const logFailure = (cause: Cause.Cause<unknown>): Effect.Effect<void> => {
  const failure = Cause.failureOption(cause)
  if (Option.isNone(failure)) return Effect.logError("reconcile died", cause)
  const error = failure.value
  const message = error instanceof Error ? error.message : String(error)
  const tag = typeof error === "object" && error !== null && "_tag" in error ? error._tag : undefined
  return tag === "Conflict"
    ? Effect.logDebug(`reconcile failed: ${message}`)
    : Effect.logWarning(`reconcile failed: ${message}`)
}

/**
 * Forks `workers` loops in the current scope: take a key, reconcile it, then on failure (or
 * defect) log and `addRateLimited`, on success `forget` (and `addAfter` on `requeueAfter`), and
 * `done`. The queue is shut down when the scope closes. Returns once the workers are started.
 */
export const run = <E>(
  options: RunOptions,
  reconcile: (key: string) => Effect.Effect<ReconcileResult | void, E>
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function* () {
    const { queue } = options
    // A worker's fiber is its own: it carries the key being reconciled on its logs, set as it is taken
    // (Effect.annotateLogs around each reconcile would cost 25 Effect operations more per key).
    // `done` follows every outcome but interruption, which comes only as the scope closes: the queue
    // is shut down then, after the workers, and takes no key again (Effect.ensuring would cost an
    // uninterruptible region, about eight operations, per key).
    const processOne = (key: string) =>
      Effect.flatMap(FiberRef.update(FiberRef.currentLogAnnotations, HashMap.set<string, unknown>("key", key)), () =>
        reconcile(key)
      ).pipe(
        Effect.exit,
        Effect.flatMap((exit) =>
          Exit.isSuccess(exit)
            ? Effect.zipRight(
                queue.forget(key),
                exit.value?.requeueAfter === undefined ? Effect.void : queue.addAfter(key, exit.value.requeueAfter)
              )
            : Effect.zipRight(logFailure(exit.cause), queue.addRateLimited(key))
        ),
        Effect.zipRight(queue.done(key))
      )
    const worker = Effect.gen(function* () {
      while (true) {
        const key = yield* queue.get
        if (Option.isNone(key)) return
        yield* processOne(key.value)
      }
    }).pipe(Effect.annotateLogs("controller", options.name))
    yield* Effect.addFinalizer(() => queue.shutdown)
    for (let i = 0; i < (options.workers ?? 1); i++) yield* Effect.forkScoped(worker)
  })

/** An informer handler that queues the key of every added, updated or deleted object. */
export const enqueueHandler = <A extends KubeObject>(
  queue: WorkQueue<string>,
  keyOf: (obj: A) => string = defaultKeyOf
): EventHandler<A> => ({
  onAdd: (obj) => queue.add(keyOf(obj)),
  onUpdate: (_, obj) => queue.add(keyOf(obj)),
  onDelete: (obj) => queue.add(keyOf(obj))
})
