/**
 * The event recorder (client-go's `record.EventRecorder` with its correlator): components report
 * what happened to an object as core/v1 Events; a repeat within ten minutes bumps the existing
 * Event's count and lastTimestamp instead of creating another. Writes happen on a fiber of the
 * recorder's own, so reporting never waits on the API server and never fails.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type { Event } from "../api/Event.js"
import { Events } from "../api/Event.js"
import type { KubeObject } from "../api/meta.js"
import { withIntsFrom } from "../api/random.js"
import { Client } from "./Client.js"
import { rfc3339 } from "../api/time.js"

export interface EventRecorder {
  /** Queues an Event about `obj`; returns at once (an event is dropped, and logged, when 1000 are pending). */
  readonly event: (obj: KubeObject, type: "Normal" | "Warning", reason: string, message: string) => Effect.Effect<void>
}

/** client-go's `maxQueuedEvents`. */
const maxPending = 1000
/** How many recent events are remembered for aggregation (client-go's LRU size). */
const maxRecent = 4096
/** A repeat older than this starts a new Event (client-go's aggregation interval). */
const aggregationWindowMillis = 10 * 60 * 1000

interface Pending {
  readonly obj: KubeObject
  readonly type: "Normal" | "Warning"
  readonly reason: string
  readonly message: string
  readonly at: number
}

/** A written Event, as the recorder remembers it. */
interface Recent {
  readonly name: string
  readonly namespace: string
  readonly count: number
  readonly lastAt: number
}

const identify = (obj: KubeObject): string =>
  obj.metadata.uid ?? `${obj.kind}/${obj.metadata.namespace ?? ""}/${obj.metadata.name ?? ""}`

/**
 * A recorder reporting as `component` (and `host`, the node or instance): its writer fiber runs
 * in the current scope, so pending events are dropped when the scope closes.
 */
export const make = (component: string, host?: string): Effect.Effect<EventRecorder, never, Client | Scope.Scope> =>
  Effect.gen(function* () {
    const client = yield* Client
    // Read once: every event reads the time (and draws a name) without looking these up again.
    const clock = yield* Effect.clock
    const random = yield* Effect.random
    // Map order is insertion order: re-inserting on use keeps the least recently used first.
    const recent = new Map<string, Recent>()

    const remember = (key: string, entry: Recent) => {
      recent.delete(key)
      recent.set(key, entry)
      if (recent.size > maxRecent) recent.delete(recent.keys().next().value as string)
    }

    // The events waiting for the writer, oldest at `head` (client-go's channel of maxQueuedEvents),
    // and the writer's wake while it waits for one: a plain array and callback cost fewer operations
    // per event than an Effect Queue, whose take guards its wait against interruption.
    let pending: Array<Pending | undefined> = []
    let head = 0
    let wake: (() => void) | undefined

    const offer = (p: Pending): boolean => {
      if (pending.length - head >= maxPending) return false
      pending.push(p)
      const waiting = wake
      wake = undefined
      waiting?.()
      return true
    }

    const take = (): Pending | undefined => {
      if (head === pending.length) return undefined
      const p = pending[head]
      pending[head++] = undefined
      if (head === pending.length) [pending, head] = [[], 0]
      else if (head >= maxPending) [pending, head] = [pending.slice(head), 0]
      return p
    }

    // No interruption handler: an interrupted writer (its scope closed) leaves a wake that resumes nobody.
    const arrival = Effect.async<void>((resume) => {
      wake = () => resume(Effect.void)
    })

    const involvedObject = (obj: KubeObject): Event["involvedObject"] => ({
      kind: obj.kind,
      apiVersion: obj.apiVersion,
      ...(obj.metadata.name === undefined ? {} : { name: obj.metadata.name }),
      ...(obj.metadata.namespace === undefined ? {} : { namespace: obj.metadata.namespace }),
      ...(obj.metadata.uid === undefined ? {} : { uid: obj.metadata.uid }),
      ...(obj.metadata.resourceVersion === undefined ? {} : { resourceVersion: obj.metadata.resourceVersion })
    })

    // client-go names events `<object>.<unix nanos in hex>`; the random sub-millisecond part keeps
    // names apart when several recorders report at the same virtual instant.
    const eventName = (obj: KubeObject) =>
      withIntsFrom(
        random,
        1,
        0,
        1_000_000,
        ([jitter]) => `${obj.metadata.name ?? ""}.${(clock.unsafeCurrentTimeNanos() + BigInt(jitter!)).toString(16)}`
      )

    /** Creates the Event of `p`; answers the Event as written. */
    const create = (p: Pending, namespace: string) => {
      const time = rfc3339(p.at)
      const event = (name: string): Event => ({
        apiVersion: "v1",
        kind: "Event",
        metadata: { name, namespace },
        involvedObject: involvedObject(p.obj),
        reason: p.reason,
        message: p.message,
        type: p.type,
        source: host === undefined ? { component } : { component, host },
        firstTimestamp: time,
        lastTimestamp: time,
        count: 1,
        reportingComponent: component,
        reportingInstance: host ?? ""
      })
      const attempt = Effect.flatMap(eventName(p.obj), (name) => client.create(Events, event(name)))
      // A name taken at the same instant: one more try with a fresh name (a Schedule costs more than the write).
      return Effect.catchTag(attempt, "AlreadyExists", () => attempt)
    }

    /** Bumps the count of an Event written before; None when it is gone. */
    const bump = (seen: Recent, p: Pending) =>
      client
        .patch(
          Events,
          seen.name,
          { count: seen.count + 1, lastTimestamp: rfc3339(p.at) },
          { type: "merge", namespace: seen.namespace }
        )
        .pipe(
          Effect.as(Option.some({ ...seen, count: seen.count + 1, lastAt: p.at })),
          Effect.catchTag("NotFound", () => Effect.succeedNone)
        )

    // Plain steps, not Effect.gen: every event of every component is written here.
    const write = (p: Pending): Effect.Effect<void> => {
      const key = `${identify(p.obj)}\u0000${p.type}\u0000${p.reason}\u0000${p.message}`
      const namespace = p.obj.metadata.namespace || "default"
      const created = Effect.flatMap(create(p, namespace), (event) => {
        remember(key, { name: event.metadata.name ?? "", namespace, count: 1, lastAt: p.at })
        return Effect.void
      })
      const seen = recent.get(key)
      const written =
        seen !== undefined && p.at - seen.lastAt <= aggregationWindowMillis
          ? Effect.flatMap(bump(seen, p), (bumped) => {
              if (Option.isNone(bumped)) return created
              remember(key, bumped.value)
              return Effect.void
            })
          : created
      return Effect.catchAllCause(written, (cause) =>
        Effect.logWarning(`could not write event ${p.reason} for ${p.obj.kind} ${p.obj.metadata.name}`, cause)
      )
    }

    // A plain loop: Effect.forever would also yield to other fibers after every event.
    const writer: Effect.Effect<never> = Effect.suspend(() => {
      const p = take()
      return Effect.zipRight(p === undefined ? arrival : write(p), writer)
    })
    yield* Effect.forkScoped(writer)

    const recorder: EventRecorder = {
      event: (obj, type, reason, message) =>
        Effect.suspend(() =>
          offer({ obj, type, reason, message, at: clock.unsafeCurrentTimeMillis() })
            ? Effect.void
            : Effect.logWarning(`dropped event ${reason} for ${obj.kind} ${obj.metadata.name}`)
        )
    }
    return recorder
  }).pipe(Effect.annotateLogs({ component: "event-recorder", reporter: component }))
