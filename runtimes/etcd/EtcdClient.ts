/**
 * The etcd3 client under the etcd Store, set up to fail fast rather than guess: every unary call has
 * a deadline, the library never retries a call (a write whose answer was lost would be applied
 * twice), and keepalive pings notice a dead connection under an open watch. Every failure becomes a
 * StoreUnavailable naming the endpoints and the call, except etcd's two refusals of a revision, which
 * the store turns into TooOld and FutureRevision.
 */
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { Etcd3, type IOptions } from "etcd3"
import { StoreUnavailable } from "../../core/store/Store.js"

/** etcd refused a revision it has compacted. */
export class RevisionCompacted extends Data.TaggedError("RevisionCompacted") {}

/** etcd refused a revision it has not reached yet. */
export class RevisionNotReached extends Data.TaggedError("RevisionNotReached") {}

export interface EtcdClientOptions {
  /** `host:port` or `http://host:port`, one or several members of one cluster. */
  readonly endpoints: string | ReadonlyArray<string>
  /** How long one call may take before it fails with StoreUnavailable (default 5 seconds); watches are not bounded. */
  readonly timeout?: Duration.DurationInput
}

export interface EtcdClient {
  readonly etcd: Etcd3
  readonly timeout: Duration.Duration
  /** One etcd call; `what` names it in the error message. */
  readonly call: <A>(what: string, run: (etcd: Etcd3) => Promise<A>) => Effect.Effect<A, StoreUnavailable>
  /** One etcd call at a revision, which etcd may refuse as compacted or not reached. */
  readonly callAt: <A>(
    what: string,
    run: (etcd: Etcd3) => Promise<A>
  ) => Effect.Effect<A, StoreUnavailable | RevisionCompacted | RevisionNotReached>
  /** The StoreUnavailable for a failure of the call `what`. */
  readonly unavailable: (what: string, cause: unknown) => StoreUnavailable
}

type Policy = NonNullable<NonNullable<IOptions["faultHandling"]>["global"]>

// Only `execute` is called on a policy. etcd3's default global policy retries every call, writes
// included. Its default host policy, a circuit breaker, lets a call skip a failing member; with a
// single member it would only hide the cause ("the circuit breaker is open") for 5 s. etcd3 never
// aborts through the policy's signal, so every call shares one.
const neverAborted = { signal: new AbortController().signal }
const callOnce = {
  execute: (run: (context: { readonly signal: AbortSignal }) => unknown) =>
    Promise.resolve().then(() => run(neverAborted))
} as unknown as Policy

const messageOf = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause)).trim()

/** An etcd3 client for `options`, closed with the scope. */
export const make = (options: EtcdClientOptions): Effect.Effect<EtcdClient, StoreUnavailable, Scope.Scope> => {
  const hosts = typeof options.endpoints === "string" ? [options.endpoints] : [...options.endpoints]
  const timeout = Duration.decode(options.timeout ?? "5 seconds")
  const unavailable = (what: string, cause: unknown) =>
    new StoreUnavailable({ message: `etcd at ${hosts.join(",")}: ${what}: ${messageOf(cause)}` })
  const open = Effect.try({
    try: () => {
      if (hosts.length === 0) throw new Error("no endpoints given")
      return new Etcd3({
        hosts,
        defaultCallOptions: (context) =>
          context.isStream ? {} : { deadline: Date.now() + Duration.toMillis(timeout) },
        faultHandling: hosts.length === 1 ? { global: callOnce, host: () => callOnce } : { global: callOnce },
        // etcd refuses pings more often than every 5 s; these only run while a call (a watch) is open.
        grpcOptions: { "grpc.keepalive_time_ms": 10_000, "grpc.keepalive_timeout_ms": 5_000 }
      })
    },
    catch: (cause) => unavailable("connect", cause)
  })
  return Effect.map(
    Effect.acquireRelease(open, (etcd) => Effect.sync(() => etcd.close())),
    (etcd): EtcdClient => {
      const callAt: EtcdClient["callAt"] = (what, run) =>
        Effect.tryPromise({
          try: () => run(etcd),
          catch: (cause) => {
            const message = messageOf(cause)
            if (message.includes("required revision has been compacted")) return new RevisionCompacted()
            if (message.includes("required revision is a future revision")) return new RevisionNotReached()
            return unavailable(what, cause)
          }
        })
      return {
        etcd,
        timeout,
        callAt,
        call: (what, run) => Effect.tryPromise({ try: () => run(etcd), catch: (cause) => unavailable(what, cause) }),
        unavailable
      }
    }
  )
}
