import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Ref from "effect/Ref"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import { Leases } from "../api/Lease.js"
import { ApiServer } from "../apiserver/ApiServer.js"
import * as TestCluster from "../testing/TestCluster.js"
import * as Client from "./Client.js"
import * as LeaderElection from "./LeaderElection.js"
import { Transport, Unreachable } from "./Transport.js"

/** Who is running leader-only work right now, and whether two ever did at once. */
interface Tracker {
  readonly leaders: Set<string>
  overlaps: number
}

const tracker = (): Tracker => ({ leaders: new Set(), overlaps: 0 })

const lead = (t: Tracker, identity: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      if (t.leaders.size > 0) t.overlaps++
      t.leaders.add(identity)
    }),
    () => Effect.sync(() => void t.leaders.delete(identity))
  )

/** Starts a candidate in a scope of its own; closing that scope stops it. */
const candidate = (
  t: Tracker,
  identity: string,
  options: Partial<LeaderElection.LeaderElectionOptions> = {}
): Effect.Effect<Scope.CloseableScope, never, Client.Client> =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    yield* Effect.forkIn(LeaderElection.run({ lockName: "test-lock", identity, ...options }, lead(t, identity)), scope)
    return scope
  })

const getLease = Effect.flatMap(Client.Client, (client) =>
  client.get(Leases, "test-lock", { namespace: "kube-system" })
)

/** Steps virtual time by `step` ms until `check` holds, asserting at most one leader at every step; the ms it took. */
const stepUntil = (t: Tracker, check: () => boolean, limitMillis: number, step = 500) =>
  Effect.gen(function* () {
    for (let elapsed = 0; elapsed <= limitMillis; elapsed += step) {
      yield* TestCluster.settle
      expect(t.leaders.size).toBeLessThanOrEqual(1)
      if (check()) return elapsed
      yield* TestClock.adjust(step)
    }
    return -1
  })

const quiet = Logger.withMinimumLogLevel(LogLevel.None)

const inCluster = <A, E>(effect: Effect.Effect<A, E, Client.Client | ApiServer>) =>
  effect.pipe(quiet, Effect.provide(TestCluster.layer()), TestCluster.seeded())

describe("LeaderElection", () => {
  it.effect("exactly one of two candidates leads; the other takes over once the lease expires", () =>
    inCluster(
      Effect.gen(function* () {
        const t = tracker()
        const scopes = {
          a: yield* candidate(t, "a", { releaseOnCancel: false }),
          b: yield* candidate(t, "b", { releaseOnCancel: false })
        }
        yield* TestCluster.settle
        expect(t.leaders.size).toBe(1)
        const first = [...t.leaders][0] as "a" | "b"
        const second = first === "a" ? "b" : "a"
        // A minute of renewals: the same single leader at every instant.
        expect(yield* stepUntil(t, () => !t.leaders.has(first), 60_000, 5_000)).toBe(-1)

        // The leader goes away without releasing: the other waits for the lease to expire
        // (≥ leaseDuration − retryPeriod after the last renewal), then takes over within a retry.
        yield* Scope.close(scopes[first], Exit.void)
        yield* TestClock.adjust("12 seconds")
        const took = 12_000 + (yield* stepUntil(t, () => t.leaders.has(second), 8_000, 250))
        expect(took).toBeGreaterThanOrEqual(13_000)
        expect(took).toBeLessThanOrEqual(17_000)
        expect(t.overlaps).toBe(0)

        const lease = yield* getLease
        expect(lease.spec?.holderIdentity).toBe(second)
        expect(lease.spec?.leaseTransitions).toBe(1)
        expect(lease.spec?.leaseDurationSeconds).toBe(15)
        expect(lease.spec?.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
        expect(lease.spec?.acquireTime).toMatch(/\.\d{6}Z$/)
        yield* Scope.close(scopes[second], Exit.void)
      })
    )
  )

  it.effect("a released lease is taken over at once; the callbacks report the transitions", () =>
    inCluster(
      Effect.gen(function* () {
        const t = tracker()
        const log: Array<string> = []
        const note = (entry: string) => Effect.sync(() => void log.push(entry))
        const a = yield* candidate(t, "a", { onStartedLeading: note("a started"), onStoppedLeading: note("a stopped") })
        yield* TestCluster.settle
        expect([...t.leaders]).toEqual(["a"])
        const b = yield* candidate(t, "b", { onStartedLeading: note("b started") })
        yield* TestClock.adjust("30 seconds")
        yield* TestCluster.settle
        expect([...t.leaders]).toEqual(["a"])

        yield* Scope.close(a, Exit.void)
        const released = yield* getLease
        expect(released.spec?.holderIdentity).toBeUndefined()
        // b retries every 2 s: it holds the lease by its next attempt.
        expect(yield* stepUntil(t, () => t.leaders.has("b"), 2_000, 100)).toBeGreaterThanOrEqual(0)
        expect(log).toEqual(["a started", "a stopped", "b started"])
        expect((yield* getLease).spec?.leaseTransitions).toBe(1)
        expect(t.overlaps).toBe(0)
        yield* Scope.close(b, Exit.void)
      })
    )
  )

  it.effect("a leader that cannot reach the API stops leading within renewDeadline", () =>
    inCluster(
      Effect.gen(function* () {
        const t = tracker()
        const server = yield* ApiServer
        const broken = yield* Ref.make(false)
        const flaky = yield* Effect.provideService(Client.make, Transport, {
          request: (request) =>
            Effect.flatMap(Ref.get(broken), (isBroken) =>
              isBroken ? Effect.fail(new Unreachable({ message: "partitioned" })) : server.handle(request)
            )
        })
        const a = yield* Effect.provideService(candidate(t, "a"), Client.Client, flaky)
        yield* TestCluster.settle
        expect([...t.leaders]).toEqual(["a"])
        const b = yield* candidate(t, "b")
        yield* TestClock.adjust("7 seconds")

        yield* Ref.set(broken, true)
        const cutAt = yield* Clock.currentTimeMillis
        expect(yield* stepUntil(t, () => !t.leaders.has("a"), 10_000)).toBeGreaterThanOrEqual(0)
        expect((yield* Clock.currentTimeMillis) - cutAt).toBeLessThanOrEqual(10_000)
        // b takes over once the lease a last renewed expires.
        expect(yield* stepUntil(t, () => t.leaders.has("b"), 10_000)).toBeGreaterThanOrEqual(0)

        // a is back but b renews: a stays a follower.
        yield* Ref.set(broken, false)
        expect(yield* stepUntil(t, () => !t.leaders.has("b"), 60_000, 5_000)).toBe(-1)
        expect(t.overlaps).toBe(0)
        yield* Scope.close(a, Exit.void)
        yield* Scope.close(b, Exit.void)
      })
    )
  )

  it.effect("work that fails ends the term; the candidate campaigns again", () =>
    inCluster(
      Effect.gen(function* () {
        const terms = yield* Ref.make(0)
        const scope = yield* Scope.make()
        yield* Effect.forkIn(
          LeaderElection.run(
            { lockName: "test-lock", identity: "a" },
            Effect.flatMap(
              Ref.updateAndGet(terms, (n) => n + 1),
              (n) => (n === 1 ? Effect.fail("boom") : Effect.void)
            )
          ),
          scope
        )
        yield* TestCluster.settle
        expect(yield* Ref.get(terms)).toBe(1)
        yield* TestClock.adjust("2 seconds")
        yield* TestCluster.settle
        expect(yield* Ref.get(terms)).toBe(2)
        // The second term lasts.
        yield* TestClock.adjust("20 seconds")
        yield* TestCluster.settle
        expect(yield* Ref.get(terms)).toBe(2)
        expect((yield* getLease).spec?.holderIdentity).toBe("a")
        yield* Scope.close(scope, Exit.void)
      })
    )
  )
})
