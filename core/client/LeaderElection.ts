/**
 * Leader election over a coordination.k8s.io/v1 Lease (client-go's `leaderelection`): candidates
 * campaign by compare-and-swap writes of the Lease, the holder renews it every `retryPeriod`, and
 * a holder that cannot renew within `renewDeadline` stops its work before anyone else may take
 * the Lease (`leaseDuration` after the last renewal).
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { Leases, type Lease } from "../api/Lease.js"
import { Client } from "./Client.js"
import { microTime } from "../api/time.js"

export interface LeaderElectionOptions {
  /** The Lease's name (`kube-controller-manager`, `kube-scheduler` …). */
  readonly lockName: string
  /** Default `kube-system`. */
  readonly lockNamespace?: string
  /** This candidate's `holderIdentity`; unique among candidates. */
  readonly identity: string
  /** How long a Lease holds after its last renewal; default 15 s. */
  readonly leaseDuration?: Duration.DurationInput
  /** How long the leader keeps leading without a successful renewal; default 10 s (below `leaseDuration`). */
  readonly renewDeadline?: Duration.DurationInput
  /** How often candidates try to acquire and the leader renews; default 2 s. */
  readonly retryPeriod?: Duration.DurationInput
  /** Clear `holderIdentity` when leadership ends, so another candidate takes over at once; default true. */
  readonly releaseOnCancel?: boolean
  /** Runs when this candidate becomes leader, before `whileLeader`. */
  readonly onStartedLeading?: Effect.Effect<void>
  /** Runs when leadership ends, after `whileLeader`'s scope has closed. */
  readonly onStoppedLeading?: Effect.Effect<void>
}

/**
 * Campaigns for the Lease forever: while this candidate leads, `whileLeader` runs in a scope of
 * its own (it may fork work into it and return); when a renewal has not succeeded within
 * `renewDeadline`, or `whileLeader` fails, that scope is closed and the campaign starts again.
 * Interrupting the returned effect stops leading (and releases the Lease with `releaseOnCancel`).
 */
export const run = <E, R>(
  options: LeaderElectionOptions,
  whileLeader: Effect.Effect<void, E, R | Scope.Scope>
): Effect.Effect<never, never, Client | Exclude<R, Scope.Scope>> =>
  Effect.gen(function* () {
    const client = yield* Client
    // Read once: the renewal every retry period reads the time and sleeps without looking the Clock up.
    const clock = yield* Effect.clock
    const name = options.lockName
    const namespace = options.lockNamespace ?? "kube-system"
    const identity = options.identity
    const leaseMillis = Duration.toMillis(options.leaseDuration ?? "15 seconds")
    const leaseSeconds = Math.max(1, Math.ceil(leaseMillis / 1000))
    const renewDeadline = Duration.toMillis(options.renewDeadline ?? "10 seconds")
    const retryPeriod = Duration.decode(options.retryPeriod ?? "2 seconds")
    // The Lease as last read or written: its resourceVersion makes the next write a compare-and-swap.
    let observed: Lease | undefined
    // When, on our own clock, the holder's record last changed: as client-go, a lease expires by the
    // candidate's observation, never by comparing the holder's timestamps with our clock (skew).
    let observedRecord = ""
    let observedAt = 0

    const holderOf = (lease: Lease | undefined) => lease?.spec?.holderIdentity ?? ""
    const recordOf = (lease: Lease) =>
      `${holderOf(lease)} ${lease.spec?.renewTime ?? ""} ${lease.spec?.leaseDurationSeconds ?? ""}`

    /** One attempt (client-go's `tryAcquireOrRenew`); true when this candidate holds the Lease afterwards. */
    const tryAcquireOrRenew = (now: number): Effect.Effect<boolean> => {
      // client-go's fast path: a leader whose lease is still valid writes its last copy, without reading
      // first. It is the renewal every retry period, so it is a plain match, not a generator.
      const mine = observed
      const valid = observedAt + (mine?.spec?.leaseDurationSeconds ?? leaseSeconds) * 1000 > now
      if (mine === undefined || holderOf(mine) !== identity || !valid) return readAndWrite(now)
      return Effect.matchEffect(client.update(Leases, { ...mine, spec: { ...mine.spec, renewTime: microTime(now) } }), {
        onFailure: (error) =>
          Effect.zipRight(Effect.logDebug("optimistic lease renewal failed, reading it", error), readAndWrite(now)),
        onSuccess: (renewed) => {
          observed = renewed
          observedRecord = recordOf(renewed)
          observedAt = now
          return Effect.succeed(true)
        }
      })
    }

    /** The slow path: read the Lease, then take it if it is free or expired, or renew it if it is ours. */
    const readAndWrite = (now: number): Effect.Effect<boolean> =>
      Effect.gen(function* () {
        const time = microTime(now)
        const current = yield* client.get(Leases, name, { namespace }).pipe(
          Effect.map(Option.some),
          Effect.catchTag("NotFound", () => Effect.succeedNone)
        )
        if (Option.isNone(current)) {
          observed = yield* client.create(Leases, {
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds: leaseSeconds,
              acquireTime: time,
              renewTime: time,
              leaseTransitions: 0
            }
          })
          return true
        }
        const lease = current.value
        observed = lease
        const holder = holderOf(lease)
        const record = recordOf(lease)
        if (record !== observedRecord) {
          observedRecord = record
          observedAt = now
        }
        const expiresAt = observedAt + (lease.spec?.leaseDurationSeconds ?? leaseSeconds) * 1000
        if (holder !== "" && holder !== identity && expiresAt > now) return false
        const ours = holder === identity
        const transitions = lease.spec?.leaseTransitions ?? 0
        observed = yield* client.update(Leases, {
          ...lease,
          spec: {
            ...lease.spec,
            holderIdentity: identity,
            leaseDurationSeconds: leaseSeconds,
            acquireTime: ours ? (lease.spec?.acquireTime ?? time) : time,
            renewTime: time,
            leaseTransitions: ours ? transitions : transitions + 1
          }
        })
        observedRecord = recordOf(observed)
        observedAt = now
        return true
      }).pipe(Effect.catchAll((error) => Effect.as(Effect.logDebug("lease acquire or renew failed", error), false)))

    const acquire = Effect.gen(function* () {
      while (!(yield* tryAcquireOrRenew(clock.unsafeCurrentTimeMillis()))) yield* clock.sleep(retryPeriod)
    })

    /**
     * Renews every `retryPeriod`; returns once leadership is lost: another holder wrote the Lease, or
     * no renewal succeeded within `renewDeadline` of the last one. The deadline is one fiber that
     * sleeps until it and looks again (it moves with each renewal), not a timeout on every renewal: a
     * renewal still in flight at the deadline is interrupted all the same.
     */
    const renewUntilLost = Effect.suspend(() => {
      let deadline = clock.unsafeCurrentTimeMillis() + renewDeadline
      const renew: Effect.Effect<void> = Effect.flatMap(clock.sleep(retryPeriod), () => {
        const now = clock.unsafeCurrentTimeMillis()
        return Effect.flatMap(tryAcquireOrRenew(now), (renewed) => {
          if (renewed) deadline = now + renewDeadline
          // Another holder wrote the Lease: it is no longer ours, whatever the deadline says.
          else if (holderOf(observed) !== identity) return Effect.void
          return renew
        })
      })
      const expire: Effect.Effect<void> = Effect.suspend(() => {
        const now = clock.unsafeCurrentTimeMillis()
        return now >= deadline ? Effect.void : Effect.zipRight(clock.sleep(Duration.millis(deadline - now)), expire)
      })
      return Effect.raceFirst(renew, expire)
    })

    const release = Effect.gen(function* () {
      if (observed === undefined || holderOf(observed) !== identity) return
      const time = microTime(clock.unsafeCurrentTimeMillis())
      const spec = { leaseDurationSeconds: 1, acquireTime: time, renewTime: time }
      const leaseTransitions = observed.spec?.leaseTransitions
      observed = yield* client.update(Leases, {
        ...observed,
        spec: leaseTransitions === undefined ? spec : { ...spec, leaseTransitions }
      })
      yield* Effect.logInfo("released lease")
    }).pipe(
      Effect.timeoutOption(retryPeriod),
      Effect.catchAll((error) => Effect.logWarning("lease release failed", error))
    )

    const work = Effect.scoped(Effect.zipRight(whileLeader, Effect.never)).pipe(
      Effect.catchAllCause((cause) => Effect.logError("failed while leading", cause))
    )

    const term = Effect.gen(function* () {
      yield* Effect.logInfo("became leader")
      if (options.onStartedLeading !== undefined) yield* options.onStartedLeading
      yield* Effect.raceFirst(work, renewUntilLost)
      yield* Effect.logInfo("stopped leading")
    }).pipe(
      Effect.ensuring(
        Effect.zipRight(
          options.releaseOnCancel === false ? Effect.void : release,
          options.onStoppedLeading ?? Effect.void
        )
      )
    )

    while (true) {
      yield* acquire
      yield* term
      yield* clock.sleep(retryPeriod)
    }
  }).pipe(Effect.annotateLogs({ component: "leader-election", lease: options.lockName, identity: options.identity }))
