/**
 * The kubelet's pod workers (Kubernetes' `podWorkers`): one fiber per pod uid runs that pod's
 * syncs one after another, so a pod is never synced twice at once and requests made during a
 * sync fold into one more. Each sync says when it wants to run again (a backoff's expiry, a
 * probe's next verdict, the periodic resync); only the earliest such wake is kept, and nothing
 * runs between wakes. A worker ends when its sync says the pod is done and nothing is pending.
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberMap from "effect/FiberMap"
import type * as Scope from "effect/Scope"

export interface SyncOutcome {
  /** The pod is gone and cleaned up: its worker may end. */
  readonly done: boolean
  /** Sync again after this long at the latest. */
  readonly resyncAfter?: Duration.Duration
}

export interface PodWorkers {
  /** Syncs the pod soon (after its running sync, if any). */
  readonly update: (uid: string) => Effect.Effect<void>
  /** Syncs the pod after `delay`, unless an earlier wake is already set. */
  readonly updateAfter: (uid: string, delay: Duration.DurationInput) => Effect.Effect<void>
  /** The pods that have a worker. */
  readonly uids: () => ReadonlyArray<string>
}

interface Worker {
  /** A sync was asked for since the last one started (requests fold into one). */
  pending: boolean
  /** Resumes the worker while it waits for a request. */
  wake: (() => void) | undefined
  /** When the pending timer fires (epoch millis), if one is set. */
  timerDue: number | undefined
}

/** How long a sync that died waits before it runs again (Kubernetes' pod worker backOffPeriod). */
const retryAfterDefect = Duration.seconds(10)

/** Workers running `sync` in the current scope; they stop when it closes. */
export const make = <R>(
  sync: (uid: string) => Effect.Effect<SyncOutcome, never, R>
): Effect.Effect<PodWorkers, never, Scope.Scope | R> =>
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    // What `sync` needs, given to each worker as it starts (not to each sync; the fiber asking for a sync may lack it).
    const context = yield* Effect.context<R>()
    // Creating and retiring a worker each happen in one synchronous step, so a request never lands on a retiring worker.
    const workers = new Map<string, Worker>()
    const timers = yield* FiberMap.make<string>()

    const runOnce = (uid: string) =>
      sync(uid).pipe(
        Effect.catchAllCause((cause) =>
          Cause.isInterruptedOnly(cause)
            ? Effect.failCause(cause)
            : Effect.as(Effect.logWarning(`sync of pod ${uid} failed`, cause), {
                done: false,
                resyncAfter: retryAfterDefect
              })
        )
      )

    /** Waits until a sync is asked for. */
    const requested = (worker: Worker): Effect.Effect<void> =>
      Effect.async<void>((resume) => {
        if (worker.pending) return resume(Effect.void)
        worker.wake = () => resume(Effect.void)
        return Effect.sync(() => {
          worker.wake = undefined
        })
      })

    const loop = (uid: string, worker: Worker): Effect.Effect<void, never, R> =>
      Effect.gen(function* () {
        while (true) {
          yield* requested(worker)
          worker.pending = false
          const outcome = yield* runOnce(uid)
          if (outcome.done) {
            if (worker.pending) continue
            workers.delete(uid)
            return yield* FiberMap.remove(timers, uid)
          }
          if (outcome.resyncAfter !== undefined) yield* updateAfter(uid, outcome.resyncAfter)
        }
      })

    const update = (uid: string): Effect.Effect<void> =>
      Effect.suspend(() => {
        const existing = workers.get(uid)
        if (existing !== undefined) {
          existing.pending = true
          const wake = existing.wake
          existing.wake = undefined
          wake?.()
          return Effect.void
        }
        const worker: Worker = { pending: true, wake: undefined, timerDue: undefined }
        workers.set(uid, worker)
        return Effect.asVoid(Effect.forkIn(Effect.provide(loop(uid, worker), context), scope))
      })

    const updateAfter = (uid: string, delay: Duration.DurationInput): Effect.Effect<void> =>
      Effect.gen(function* () {
        const worker = workers.get(uid)
        if (worker === undefined) return
        const millis = Duration.toMillis(delay)
        const due = (yield* Clock.currentTimeMillis) + millis
        if (worker.timerDue !== undefined && worker.timerDue <= due) return
        worker.timerDue = due
        yield* FiberMap.run(
          timers,
          uid,
          Effect.zipRight(
            Effect.sleep(Duration.millis(millis)),
            Effect.suspend(() => {
              worker.timerDue = undefined
              return update(uid)
            })
          )
        )
      })

    return { update, updateAfter, uids: () => [...workers.keys()] }
  })
