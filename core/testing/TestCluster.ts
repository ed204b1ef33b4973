/**
 * Test support for control-plane tests: an API server over a MemoryStore, reached in process by
 * a Client, with shared informers — all on whatever Clock the test runs (TestClock under
 * `it.effect`) and a seeded Random. `eventually` moves virtual time until a check holds.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Random from "effect/Random"
import * as TestClock from "effect/TestClock"
import * as ApiServer from "../apiserver/ApiServer.js"
import * as Client from "../client/Client.js"
import * as Transport from "../client/Transport.js"
import * as SharedInformers from "../informer/SharedInformers.js"
import * as MemoryStore from "../store/MemoryStore.js"
import type { Store } from "../store/Store.js"

export interface TestClusterOptions {
  readonly apiServer?: ApiServer.ApiServerOptions
  readonly informers?: SharedInformers.SharedInformersOptions
  /** Log lines below this level are dropped; default Warning (keeps test output readable). */
  readonly logLevel?: LogLevel.LogLevel
}

/** Store, API server, Client and SharedInformers in one layer. */
export const layer = (
  options: TestClusterOptions = {}
): Layer.Layer<Store | ApiServer.ApiServer | Client.Client | SharedInformers.SharedInformers> => {
  const server = ApiServer.layer(options.apiServer).pipe(Layer.provideMerge(MemoryStore.layer))
  const client = Client.layer.pipe(Layer.provide(Transport.layerInProcess), Layer.provideMerge(server))
  return SharedInformers.layer(options.informers).pipe(
    Layer.provideMerge(client),
    Layer.provideMerge(Logger.minimumLogLevel(options.logLevel ?? LogLevel.Warning))
  )
}

/** Runs `effect` with Random seeded (uids, generated names and jitter repeat from run to run). */
export const seeded =
  (seed = 42) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.suspend(() => Effect.withRandom(effect, Random.make(seed)))

/** Lets every runnable fiber run (a bounded number of scheduler turns, no time passes). */
export const settle: Effect.Effect<void> = Effect.repeatN(Effect.yieldNow(), 50)

export interface EventuallyOptions {
  /** Virtual time to wait at most; default 60 s. */
  readonly timeout?: Duration.DurationInput
  /** How far the TestClock moves between attempts; default 100 ms. */
  readonly step?: Duration.DurationInput
}

/**
 * Retries `check` (a failure or a thrown `expect` means "not yet"), moving the TestClock by `step` and letting fibers
 * run between attempts, until it succeeds; fails with the last failure once `timeout` of virtual
 * time has passed.
 */
export const eventually = <A, E, R>(
  check: Effect.Effect<A, E, R>,
  options: EventuallyOptions = {}
): Effect.Effect<A, E, R> => {
  const step = Duration.decode(options.step ?? "100 millis")
  const attempts = Math.ceil(Duration.toMillis(options.timeout ?? "60 seconds") / Duration.toMillis(step))
  const attempt = (left: number): Effect.Effect<A, E, R> =>
    Effect.catchAllCause(Effect.zipRight(settle, check), (cause) =>
      left <= 0
        ? Effect.failCause(cause)
        : Effect.zipRight(
            TestClock.adjust(step),
            Effect.suspend(() => attempt(left - 1))
          )
    )
  return attempt(attempts)
}
