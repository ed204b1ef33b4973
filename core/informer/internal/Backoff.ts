/**
 * The reflector's backoff between failed list or watch attempts (client-go's
 * `ExponentialBackoffManager` as the reflector configures it): 800 ms doubling to 30 s, each wait
 * jittered up to twice its length with Effect's Random, back to 800 ms once no failure has
 * happened for 2 minutes. Time is Effect's Clock.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"

export interface BackoffOptions {
  readonly initial: Duration.DurationInput
  readonly max: Duration.DurationInput
  /** A failure this long after the previous one starts again from `initial`. */
  readonly reset: Duration.DurationInput
  /** A wait of d becomes d * (1 + jitter * r), r uniform in [0, 1). */
  readonly jitter: number
}

/** client-go's reflector settings. */
export const reflector: BackoffOptions = { initial: "800 millis", max: "30 seconds", reset: "2 minutes", jitter: 1 }

export interface Backoff {
  /** How long to wait after this failure (and counts it). */
  readonly next: Effect.Effect<Duration.Duration>
}

export const make = (options: BackoffOptions): Backoff => {
  const initial = Duration.toMillis(options.initial)
  const max = Duration.toMillis(options.max)
  const reset = Duration.toMillis(options.reset)
  let current = initial
  let last = Number.NEGATIVE_INFINITY
  return {
    next: Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      if (now - last > reset) current = initial
      last = now
      const base = current
      current = Math.min(max, current * 2)
      const r = yield* Random.next
      return Duration.millis(Math.round(base * (1 + options.jitter * r)))
    })
  }
}
