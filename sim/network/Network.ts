/**
 * The simulated network between the components and the API server, and between the API server
 * and the store.
 *
 * Components are named "scheduler", "controller-manager", a node's name (its kubelet),
 * "apiserver", "store" and "scenario" (the runner's own client). Every call of a component's
 * transport takes a one-way latency (drawn uniformly, in whole ms, from the current range with
 * Effect's `Random`) there and again back, on the Clock. Watch lines take the latency once per
 * chunk, in order.
 *
 * Timed faults are handles: `partition`, `slow` and `storeOutage` each answer the effect that ends
 * that one fault, so faults that overlap end independently. A pair stays cut while any partition
 * of it is in force; the most recent slow period still in force sets the latency. Partitions are
 * symmetric pairs. Only pairs with "apiserver" carry traffic: a component cut off
 * from "apiserver" gets `Unreachable`, as from a refused or reset connection, and its open watches
 * end (they just complete, like a dropped connection its informer re-opens); "apiserver" ⇄
 * "store" makes the store unavailable. Any other pair (`node-1` ⇄ `scheduler`) is allowed and
 * affects no traffic, since those components never talk directly. "scenario" is delayed but never
 * partitioned. A request in flight when its link is cut (partition or `cutWatches`) fails with
 * `Unreachable` even though the server may have acted on it, as over a real network.
 *
 * Watch-level and state-triggered faults: `delayWatches` makes a component a lagging reader (its
 * informers act on stale state), `cutWatches` drops its watches, and `armWrite` loses the reply to
 * a component's N-th write after the server applied it (an ambiguous commit), calling back at that
 * instant so the runner can crash the component right after the write. `onResponse` sees what a
 * component is answered (an acknowledged write), `onWatch` what its watches deliver.
 *
 * The API server must be built over `store(inner)` for store outages to show. When the store
 * becomes unavailable, every open watch of every component ends with a 503 ERROR line, as the
 * API server's own store watches would fail; the store watches under them fail only at their next
 * event (an idle in-process read cannot be interrupted without a fiber per watch on the hot path).
 */
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"
import { toStatus } from "../../core/api/errors.js"
import type { ApiRequest, ApiResponse, WatchLine } from "../../core/apiserver/ApiRequest.js"
import type { ApiServer } from "../../core/apiserver/ApiServer.js"
import * as Route from "../../core/apiserver/Route.js"
import { unavailable as unavailableStatus } from "../../core/apiserver/StoreErrors.js"
import { type Transport, Unreachable } from "../../core/client/Transport.js"
import { type Store, StoreUnavailable } from "../../core/store/Store.js"
import type { Range } from "../scenario/Scenario.js"
import { isSimClock } from "../clock/Simulation.js"
import { SimRandom } from "../clock/SimRandom.js"
import * as Link from "./Link.js"

export interface NetworkOptions {
  /** One-way latency of every component ⇄ API server call, ms. */
  readonly latency: Range
  /** Called when a watch response starts; the returned function sees each line the component receives. */
  readonly onWatch?: (component: string, request: ApiRequest) => (line: WatchLine) => void
  /** Called with every answer but a watch that a component receives (not for a call that fails or whose reply is lost). */
  readonly onResponse?: (component: string, request: ApiRequest, response: ApiResponse) => void
  /** A response the server gave that never reached the component (cut on its way back, or an armed write): what it answers may have been applied. */
  readonly onLostReply?: (component: string, request: ApiRequest, response: ApiResponse) => void
}

/** Which writes of a component an armed write counts (see `Network.armWrite`). */
export interface WriteMatch {
  /** Only writes to objects of this kind, lower-case singular (`replicaset`, `pod`); any when absent. */
  readonly kind?: string
  /** The matching write, counted from 1 from the arming on, that fires. */
  readonly nth: number
}

/** An armed write: whether it fired, and how to stop counting. */
export interface ArmedWrite {
  readonly fired: () => boolean
  readonly disarm: Effect.Effect<void>
}

export interface Network {
  /** How `component` reaches `server` over this network. */
  readonly transport: (component: string, server: ApiServer["Type"]) => Transport["Type"]
  /**
   * Cuts `a` ⇄ `b` and ends the open watches between them; answers the heal of this partition. The
   * pair stays cut while any of its partitions is not healed.
   */
  readonly partition: (a: string, b: string) => Effect.Effect<Effect.Effect<void>>
  readonly isPartitioned: (a: string, b: string) => boolean
  /**
   * Starts a slow period with `latency`; answers its end. The most recently started period still in
   * force sets the latency; with none, `options.latency`.
   */
  readonly slow: (latency: Range) => Effect.Effect<Effect.Effect<void>>
  /**
   * Starts a lag of watch lines to `component`: each line that reaches it while the lag is in force
   * comes `by` ms later, in order (a lagging informer); answers its end. Overlapping lags: the
   * largest in force applies. Lines held when it ends still come, in order.
   */
  readonly delayWatches: (component: string, by: number, kind?: string) => Effect.Effect<Effect.Effect<void>>
  /**
   * Counts the successful writes of `component` from now (POST, PUT, PATCH, DELETE answered 2xx,
   * of `match.kind` when given). At the `match.nth` the server has applied it; `onWrite` is called
   * at once, and the reply is lost: the caller gets `Unreachable` after the usual return delay, and
   * only after everything `onWrite` forked has run as far as it can at this instant (a crashed
   * component cannot act between its write and its crash). Fires once.
   */
  readonly armWrite: (component: string, match: WriteMatch, onWrite: () => void) => Effect.Effect<ArmedWrite>
  /** Ends open watches: every component's (an API server restart) or one component's (its restart). */
  readonly cutWatches: (component?: string) => Effect.Effect<void>
  /** `inner` as the API server reaches it: every call fails with StoreUnavailable while the store is unavailable. */
  readonly store: (inner: Store["Type"]) => Store["Type"]
  /**
   * Starts a store outage; answers its end. The store is unavailable while any outage is in force or
   * "apiserver" ⇄ "store" is partitioned.
   */
  readonly storeOutage: Effect.Effect<Effect.Effect<void>>
}

const apiserver = "apiserver"
const store = "store"
const scenario = "scenario"

const pairOf = (a: string, b: string): string => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`)

const storePair = pairOf(apiserver, store)

/** The network, with no fault in force: no partition, the store available, `options.latency`. */
export const make = (options: NetworkOptions): Effect.Effect<Network> =>
  Effect.gen(function* () {
    // Looked up once, not on each of the run's calls and watch chunks: the simulation's (or the test's) clock and Random.
    const clock = yield* Effect.clock
    const random = yield* Effect.random
    // Partitions in force per pair; the slow periods in force, oldest first; the store outages in force.
    const partitions = new Map<string, number>()
    const slowPeriods: Array<{ readonly latency: Range }> = []
    let outagesInForce = 0
    // One link per component that has a transport; Map order is creation order, so cuts run the same on every run.
    const links = new Map<string, Link.Link>()
    // Bumped when the store becomes unavailable: a store watch opened before fails at its next event.
    let storeOutages = 0

    const linkOf = (component: string): Link.Link => {
      let link = links.get(component)
      if (link === undefined) {
        link = Link.make()
        links.set(component, link)
      }
      return link
    }

    const cutOff = (component: string): boolean =>
      component !== scenario && partitions.has(pairOf(component, apiserver))

    const storeDown = (): boolean => outagesInForce > 0 || partitions.has(storePair)

    const latency = (): Range => slowPeriods.at(-1)?.latency ?? options.latency

    const sleepMillis = (millis: number): Effect.Effect<void> =>
      millis > 0 ? clock.sleep(Duration.millis(millis)) : Effect.void

    // A latency in [min, max] ms: in a simulation drawn as the sleep starts, in one step (every call and watch chunk of the run waits one).
    const sleepBetween =
      isSimClock(clock) && random instanceof SimRandom
        ? (min: number, max: number) => clock.sleepFor(() => random.int(min, max + 1))
        : (min: number, max: number) => Effect.flatMap(random.nextIntBetween(min, max + 1), sleepMillis)

    /** The wait for one way over the network at the latency in force; undefined for none. */
    const oneWay = (): Effect.Effect<void> | undefined => {
      const { min, max } = latency()
      if (max <= 0) return undefined
      return min === max ? sleepMillis(min) : sleepBetween(min, max)
    }

    // The armed writes per component, in arming order.
    const armed = new Map<string, Array<Armed>>()

    /** Counts the write `request` answered with `response`; true when an armed write of `component` fires. */
    const fires = (component: string, request: ApiRequest, response: ApiResponse): boolean => {
      const inForce = armed.get(component)
      if (inForce === undefined || !isAppliedWrite(request, response)) return false
      const kind = kindOf(request)
      let fired = false
      for (const write of [...inForce]) {
        if (write.kind !== undefined && write.kind !== kind) continue
        write.count++
        if (write.count < write.nth) continue
        write.fired = true
        disarm(component, write)
        write.onWrite()
        fired = true
      }
      return fired
    }

    const disarm = (component: string, write: Armed) => {
      const inForce = armed.get(component) ?? []
      const at = inForce.indexOf(write)
      if (at >= 0) inForce.splice(at, 1)
      if (inForce.length === 0) armed.delete(component)
    }

    const transport = (component: string, server: ApiServer["Type"]): Transport["Type"] => {
      const link = linkOf(component)
      const unreachable = () =>
        new Unreachable({ message: `${component}: connection to the API server refused or reset (network partition)` })
      // Plain steps over flatMap rather than Effect.gen: every call of the run takes this path.
      const request = (req: ApiRequest): Effect.Effect<ApiResponse, Unreachable> =>
        Effect.suspend(() => {
          const since = link.generation()
          return after(oneWay(), () =>
            cutOff(component)
              ? Effect.fail(unreachable())
              : Effect.flatMap(server.handle(req), (response) => answer(req, response, since))
          )
        })
      const answer = (
        req: ApiRequest,
        response: ApiResponse,
        since: number
      ): Effect.Effect<ApiResponse, Unreachable> => {
        const lost = () => {
          options.onLostReply?.(component, req, response)
          return Effect.fail(unreachable())
        }
        // The timer at this instant fires after every runnable fiber, so what onWrite forked runs first.
        if (fires(component, req, response))
          return after(oneWay(), () => Effect.flatMap(clock.sleep(Duration.zero), lost))
        return after(oneWay(), (): Effect.Effect<ApiResponse, Unreachable> => {
          if (cutOff(component) || link.generation() !== since) return lost()
          if (response._tag !== "Watch") {
            options.onResponse?.(component, req, response)
            return Effect.succeed(response)
          }
          const see = options.onWatch?.(component, req)
          const events = link.carry(response.events, response.stop, {
            since,
            kind: kindOf(req),
            // Every watch chunk takes the latency; only lines travel: an empty chunk (the end of a halted watch) takes no time.
            transit: (chunk) => (Chunk.isEmpty(chunk) ? undefined : oneWay()),
            ...(see === undefined
              ? {}
              : {
                  received: (chunk) => {
                    for (const line of chunk) see(line)
                  }
                })
          })
          return Effect.succeed({ ...response, events })
        })
      }
      return { request }
    }

    const unavailable = () =>
      new StoreUnavailable({
        message:
          outagesInForce === 0 ? "the API server cannot reach the store (network partition)" : "the store is down"
      })

    // Called after a change that may have taken the store down (`wasDown`: before it).
    const storeOutageStarted = (wasDown: boolean): Effect.Effect<void> => {
      if (wasDown || !storeDown()) return Effect.void
      storeOutages++
      const last: WatchLine = { type: "ERROR", object: toStatus(unavailableStatus(unavailable())) }
      return Effect.forEach(links.values(), (link) => link.close(last), { discard: true })
    }

    const cutPair = (a: string, b: string): Effect.Effect<void> => {
      const other = a === apiserver ? b : b === apiserver ? a : undefined
      if (other === undefined || other === scenario) return Effect.void
      return links.get(other)?.cut ?? Effect.void
    }

    const guarded = <A, E>(call: () => Effect.Effect<A, E>): Effect.Effect<A, E | StoreUnavailable> =>
      Effect.suspend((): Effect.Effect<A, E | StoreUnavailable> => (storeDown() ? Effect.fail(unavailable()) : call()))

    return {
      transport,
      partition: (a, b) =>
        Effect.suspend(() => {
          if (a === b) return Effect.succeed(Effect.void)
          const pair = pairOf(a, b)
          const inForce = partitions.get(pair) ?? 0
          const wasDown = storeDown()
          partitions.set(pair, inForce + 1)
          const heal = once(() => {
            const left = (partitions.get(pair) ?? 1) - 1
            if (left === 0) partitions.delete(pair)
            else partitions.set(pair, left)
          })
          if (inForce > 0) return Effect.succeed(heal)
          return Effect.as(pair === storePair ? storeOutageStarted(wasDown) : cutPair(a, b), heal)
        }),
      isPartitioned: (a, b) => partitions.has(pairOf(a, b)),
      slow: (latency) =>
        Effect.sync(() => {
          const period = { latency }
          slowPeriods.push(period)
          return once(() => {
            slowPeriods.splice(slowPeriods.indexOf(period), 1)
          })
        }),
      delayWatches: (component, by, kind) => Effect.sync(() => once(linkOf(component).delay(by, kind))),
      armWrite: (component, match, onWrite) =>
        Effect.sync(() => {
          const write: Armed = { kind: match.kind?.toLowerCase(), nth: match.nth, count: 0, fired: false, onWrite }
          armed.set(component, [...(armed.get(component) ?? []), write])
          return { fired: () => write.fired, disarm: Effect.sync(() => disarm(component, write)) }
        }),
      cutWatches: (component) =>
        Effect.suspend(() =>
          component === undefined
            ? Effect.forEach(links.values(), (link) => link.cut, { discard: true })
            : (links.get(component)?.cut ?? Effect.void)
        ),
      store: (inner) => ({
        get: (key) => guarded(() => inner.get(key)),
        list: (prefix, listOptions) => guarded(() => inner.list(prefix, listOptions)),
        create: (key, value) => guarded(() => inner.create(key, value)),
        update: (key, value, expected) => guarded(() => inner.update(key, value, expected)),
        delete: (key, expected) => guarded(() => inner.delete(key, expected)),
        watch: (prefix, from) =>
          Stream.suspend(() => {
            if (storeDown()) return Stream.fail(unavailable())
            const since = storeOutages
            return Stream.mapChunksEffect(inner.watch(prefix, from), (chunk) =>
              storeOutages === since ? Effect.succeed(chunk) : Effect.fail(unavailable())
            )
          }),
        ...(inner.observe === undefined
          ? {}
          : {
              observe: (prefix, from, observer) => {
                const observe = inner.observe!
                return guarded(() => {
                  const since = storeOutages
                  let ended = false
                  return observe(prefix, from, {
                    events: (events) => {
                      if (ended) return
                      if (storeOutages === since) return observer.events(events)
                      ended = true
                      observer.end(unavailable())
                    },
                    end: (error) => {
                      if (ended) return
                      ended = true
                      observer.end(error)
                    }
                  })
                })
              }
            }),
        revision: guarded(() => inner.revision),
        compact: (revision) => guarded(() => inner.compact(revision))
      }),
      storeOutage: Effect.suspend(() => {
        const wasDown = storeDown()
        outagesInForce++
        const end = once(() => {
          outagesInForce--
        })
        return Effect.as(storeOutageStarted(wasDown), end)
      })
    }
  })

/** A write armed to fire, and how far it has counted. */
interface Armed {
  readonly kind: string | undefined
  readonly nth: number
  count: number
  fired: boolean
  readonly onWrite: () => void
}

const writeMethods: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH", "DELETE"])

/** A write the server applied: a 2xx answer to POST, PUT, PATCH or DELETE that was not a dry run. */
const isAppliedWrite = (request: ApiRequest, response: ApiResponse): boolean =>
  writeMethods.has(request.method) && response.status >= 200 && response.status < 300 && !request.query.has("dryRun")

/** The kind a request writes, lower-case singular (a subresource's write is its object's); "" for no resource. */
const kindOf = (request: ApiRequest): string => {
  const route = Route.route(request.path)
  return Either.isRight(route) && route.right._tag === "Resource" ? route.right.resource.singular : ""
}

/** `undo` as an effect that acts on its first run only, so ending a fault twice ends it once. */
const once = (undo: () => void): Effect.Effect<void> => {
  let done = false
  return Effect.sync(() => {
    if (done) return
    done = true
    undo()
  })
}

/** `next` after `wait`, at once without one. */
const after = <A, E>(wait: Effect.Effect<void> | undefined, next: () => Effect.Effect<A, E>): Effect.Effect<A, E> =>
  wait === undefined ? next() : Effect.flatMap(wait, next)
