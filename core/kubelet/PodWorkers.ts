/**
 * The kubelet's pod workers (Kubernetes' `podWorkers`): one fiber per pod uid runs that pod's
 * syncs one after another, so a pod is never synced twice at once and requests made during a
 * sync fold into one more. Each sync says when it wants to run again (a backoff's expiry, a
 * probe's next verdict, the periodic resync), or that only a request will do; only the earliest
 * such wake is kept, and nothing runs between wakes. A worker ends when its sync says the pod is
 * done and nothing is pending.
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"

export interface SyncOutcome {
  /** The pod is gone and cleaned up: its worker may end. */
  readonly done: boolean
  /** Sync again after this long at the latest; none: only when `update` asks. */
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
  /** When the worker's wake is due (epoch millis), if one is set. */
  due: number | undefined
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
    /**
     * The times a timer fiber sleeps until. Like the kubelet's one work queue of due pods (its
     * `syncCh` tick), the workers' wakes share timers: a wake later than an armed time needs none
     * of its own, since the timer that fires first looks for the next due wake and sleeps on to it.
     */
    const armed = new Set<number>()

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

    /**
     * Waits until a sync is asked for. No canceler (it would cost a finalizer per wait): a worker is
     * interrupted only as the scope closes, and the runtime ignores a resume after an interruption.
     */
    const requested = (worker: Worker): Effect.Effect<void> =>
      Effect.async<void>((resume) => {
        if (worker.pending) return resume(Effect.void)
        worker.wake = () => resume(Effect.void)
      })

    const loop = (uid: string, worker: Worker): Effect.Effect<void, never, R> =>
      Effect.gen(function* () {
        while (true) {
          yield* requested(worker)
          worker.pending = false
          const outcome = yield* runOnce(uid)
          if (outcome.done) {
            if (worker.pending) continue
            return void workers.delete(uid)
          }
          // A sync that wants no wake supersedes the wakes earlier syncs set.
          if (outcome.resyncAfter === undefined) worker.due = undefined
          else yield* updateAfter(uid, outcome.resyncAfter)
        }
      })

    const request = (worker: Worker) => {
      worker.pending = true
      const wake = worker.wake
      worker.wake = undefined
      wake?.()
    }

    const update = (uid: string): Effect.Effect<void> =>
      Effect.suspend(() => {
        const existing = workers.get(uid)
        if (existing !== undefined) return Effect.succeed(request(existing))
        const worker: Worker = { pending: true, wake: undefined, due: undefined }
        workers.set(uid, worker)
        return Effect.asVoid(Effect.forkIn(Effect.provide(loop(uid, worker), context), scope))
      })

    /** Whether a timer fires at `at` or before. */
    const armedBy = (at: number) => {
      for (const t of armed) if (t <= at) return true
      return false
    }

    /** Sleeps until `at`, wakes the workers due by then, and sleeps on to the next due wake no other timer covers. */
    const timer = (first: number): Effect.Effect<void> =>
      Effect.clockWith((clock) => {
        let at = first
        const fire = Effect.suspend(() => {
          armed.delete(at)
          const now = clock.unsafeCurrentTimeMillis()
          let next: number | undefined
          for (const worker of workers.values()) {
            const due = worker.due
            if (due === undefined) continue
            if (due <= now) {
              worker.due = undefined
              request(worker)
            } else if (next === undefined || due < next) next = due
          }
          if (next === undefined || armedBy(next)) return Effect.succeed(false)
          at = next
          armed.add(at)
          return Effect.succeed(true)
        })
        let more = true
        return Effect.whileLoop({
          while: () => more,
          body: () => Effect.zipRight(clock.sleep(Duration.millis(at - clock.unsafeCurrentTimeMillis())), fire),
          step: (again) => {
            more = again
          }
        })
      })

    const updateAfter = (uid: string, delay: Duration.DurationInput): Effect.Effect<void> =>
      Effect.clockWith((clock) => {
        const worker = workers.get(uid)
        if (worker === undefined) return Effect.void
        const due = clock.unsafeCurrentTimeMillis() + Duration.toMillis(delay)
        if (worker.due !== undefined && worker.due <= due) return Effect.void
        worker.due = due
        if (armedBy(due)) return Effect.void
        armed.add(due)
        return Effect.asVoid(Effect.forkIn(timer(due), scope))
      })

    return { update, updateAfter, uids: () => [...workers.keys()] }
  })
