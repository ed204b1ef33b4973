/**
 * A rate-limited, deduplicating work queue (client-go's `workqueue.RateLimitingInterface`): a key
 * added while queued is queued once; a key added while being processed is queued again after
 * `done`, so one key is never worked on twice at once. Delays sleep on Effect's Clock.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"

export interface WorkQueueOptions {
  /** First per-item retry delay (client-go: 5 ms), doubled on each failure of the same key. */
  readonly baseDelay?: Duration.DurationInput
  /** The per-item delay cap (client-go: 1000 s). */
  readonly maxDelay?: Duration.DurationInput
  /** The overall token bucket shared by all keys (client-go: 10 qps, burst 100). */
  readonly qps?: number
  readonly burst?: number
}

export interface WorkQueue<K = string> {
  readonly add: (key: K) => Effect.Effect<void>
  /** Adds the key once the delay has passed (an earlier pending time for the same key wins). */
  readonly addAfter: (key: K, delay: Duration.DurationInput) => Effect.Effect<void>
  /** Adds after the longer of the key's exponential backoff and the overall bucket's delay. */
  readonly addRateLimited: (key: K) => Effect.Effect<void>
  /** Clears the key's failure count (call after a successful reconcile). */
  readonly forget: (key: K) => Effect.Effect<void>
  readonly numRequeues: (key: K) => Effect.Effect<number>
  /** Waits for the next key and marks it processing; `None` once shut down and drained. */
  readonly get: Effect.Effect<Option.Option<K>>
  /** Marks the key processed; re-queues it if it was added meanwhile. */
  readonly done: (key: K) => Effect.Effect<void>
  /** Queued keys (not counting those processing or waiting out a delay). */
  readonly len: Effect.Effect<number>
  /** Stops accepting keys; `get` returns what is queued, then `None`. */
  readonly shutdown: Effect.Effect<void>
}

/** client-go's `DefaultControllerRateLimiter` settings. */
const defaults = { baseDelay: Duration.millis(5), maxDelay: Duration.seconds(1000), qps: 10, burst: 100 }

/** A key waiting out an `addAfter` delay: when it is due and the fiber that will add it. */
interface Waiting {
  readonly readyAt: number
  fiber?: Fiber.RuntimeFiber<void>
}

/**
 * Starts a work queue in the current scope: delayed adds are fibers of that scope, and closing
 * the scope shuts the queue down.
 */
export const make = (options: WorkQueueOptions = {}): Effect.Effect<WorkQueue<string>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    const baseMillis = Duration.toMillis(options.baseDelay ?? defaults.baseDelay)
    const maxMillis = Duration.toMillis(options.maxDelay ?? defaults.maxDelay)
    const qps = options.qps ?? defaults.qps
    const burst = options.burst ?? defaults.burst

    const queue: Array<string> = []
    // Queued or to be queued once its processing is done.
    const dirty = new Set<string>()
    const processing = new Set<string>()
    const waiting = new Map<string, Waiting>()
    const failures = new Map<string, number>()
    let shuttingDown = false
    // Workers waiting in `get`, oldest first: a queued key wakes one of them, not every one.
    const waiters: Array<() => void> = []
    const wakeOne = () => waiters.shift()?.()
    // One interruption handler for both cases (an async's own canceler would be a second one):
    // interrupted while waiting, the waiter leaves the line; woken and then interrupted before taking
    // the key, it passes the wake on to the next waiter.
    const waitTurn = Effect.suspend(() => {
      let wake: (() => void) | undefined
      return Effect.onInterrupt(
        Effect.async<void>((resume) => {
          wake = () => resume(Effect.void)
          waiters.push(wake)
        }),
        () =>
          Effect.sync(() => {
            const at = wake === undefined ? -1 : waiters.indexOf(wake)
            if (at >= 0) waiters.splice(at, 1)
            else if (queue.length > 0) wakeOne()
          })
      )
    })

    // The overall bucket as golang.org/x/time/rate's reservations: tokens may go negative.
    let tokens = burst
    let lastRefill: number | undefined

    const addNow = (key: string) => {
      if (shuttingDown || dirty.has(key)) return
      dirty.add(key)
      if (processing.has(key)) return
      queue.push(key)
      wakeOne()
    }

    const add = (key: string) => Effect.sync(() => addNow(key))

    const addAfter = (key: string, delay: Duration.DurationInput) =>
      Effect.gen(function* () {
        const millis = Duration.toMillis(delay)
        if (shuttingDown) return
        if (millis <= 0) return addNow(key)
        const readyAt = (yield* Clock.currentTimeMillis) + millis
        const pending = waiting.get(key)
        if (pending !== undefined && pending.readyAt <= readyAt) return
        if (pending?.fiber !== undefined) yield* Fiber.interruptFork(pending.fiber)
        const entry: Waiting = { readyAt }
        waiting.set(key, entry)
        entry.fiber = yield* Effect.sleep(millis).pipe(
          Effect.zipRight(
            Effect.sync(() => {
              // A later, earlier-due `addAfter` replaced this entry; that one adds the key.
              if (waiting.get(key) !== entry) return
              waiting.delete(key)
              addNow(key)
            })
          ),
          Effect.forkIn(scope)
        )
      })

    const itemDelay = (key: string): number => {
      const n = failures.get(key) ?? 0
      failures.set(key, n + 1)
      return Math.min(baseMillis * 2 ** n, maxMillis)
    }

    const bucketDelay = (now: number): number => {
      tokens = Math.min(burst, tokens + ((now - (lastRefill ?? now)) * qps) / 1000)
      lastRefill = now
      tokens -= 1
      return tokens >= 0 ? 0 : (-tokens * 1000) / qps
    }

    const addRateLimited = (key: string) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        addAfter(key, Duration.millis(Math.max(itemDelay(key), bucketDelay(now))))
      )

    const get: Effect.Effect<Option.Option<string>> = Effect.suspend(() => {
      const key = queue.shift()
      if (key !== undefined) {
        processing.add(key)
        dirty.delete(key)
        return Effect.succeed(Option.some(key))
      }
      if (shuttingDown) return Effect.succeed(Option.none())
      return Effect.zipRight(waitTurn, get)
    })

    const done = (key: string) =>
      Effect.sync(() => {
        processing.delete(key)
        if (dirty.has(key)) {
          queue.push(key)
          wakeOne()
        }
      })

    const shutdown = Effect.suspend(() => {
      if (shuttingDown) return Effect.void
      shuttingDown = true
      for (const wake of waiters.splice(0)) wake()
      const timers = [...waiting.values()].flatMap((w) => (w.fiber === undefined ? [] : [w.fiber]))
      waiting.clear()
      return Effect.forEach(timers, Fiber.interruptFork, { discard: true })
    })

    yield* Effect.addFinalizer(() => shutdown)

    return {
      add,
      addAfter,
      addRateLimited,
      forget: (key) => Effect.sync(() => void failures.delete(key)),
      numRequeues: (key) => Effect.sync(() => failures.get(key) ?? 0),
      get,
      done,
      len: Effect.sync(() => queue.length),
      shutdown
    }
  })
