/**
 * nodeMonitorGrace: the node-lifecycle controller marks a node's Ready condition Unknown only when
 * it has not seen the node heartbeat (Heartbeats.ts) for at least `nodeMonitorGracePeriod` of
 * simulated time; and a node gets a `not-ready`/`unreachable` NoExecute taint only while its Ready
 * condition is not True, or within that grace period after it was (a taint queued before the node
 * came back may land a moment after).
 *
 * "Seen" is what the controller-manager received (Received.ts): a controller blind for a while —
 * a partition, a store outage, a lagging informer — rightly takes a silent node for dead, as in
 * Kubernetes. (Without any of its watches fed, as in a world without a network, what the world saw
 * stands in.) Its mark travels to the store after it decided, so heartbeats it received within
 * `inFlightMillis` plus its recent watch lag (WatchLag.ts: a slow network) before the mark landed
 * may have come too late for the decision: the mark is judged against the latest one before those.
 */
import type { Node } from "../../core/api/Node.js"
import { notReadyTaint, unreachableTaint } from "../../core/controllers/NodeLifecycle.js"
import * as Heartbeats from "./Heartbeats.js"
import { everyWatchLine, type InvariantContext, type InvariantHooks } from "./Invariant.js"
import * as Received from "./Received.js"
import * as WatchLag from "./WatchLag.js"

/** How long a mark may be on its way to the store on a healthy network. */
export const inFlightMillis = 2_000

const controllerManager = "controller-manager"

const readyStatus = (node: Node | undefined): string | undefined =>
  node?.status?.conditions?.find((c) => c.type === "Ready")?.status

const noExecuteKeys = (node: Node | undefined): ReadonlySet<string> =>
  new Set(
    (node?.spec?.taints ?? [])
      .filter((t) => t.effect === "NoExecute" && (t.key === notReadyTaint.key || t.key === unreachableTaint.key))
      .map((t) => t.key ?? "")
  )

const seconds = (millis: number) => `${Math.round(millis / 100) / 10}s`

export const make = (context: InvariantContext): InvariantHooks => {
  const grace = context.timing.nodeMonitorGracePeriod
  const silence = context.timing.heartbeatInterval
  const inWorld = Heartbeats.make(silence)
  const byController = Heartbeats.make(silence)
  let controllerWatches = false
  const received = Received.make({
    component: controllerManager,
    kinds: new Set(["Node", "Lease"]),
    object: (kind, object, deleted) => byController.see(kind, object, deleted, context.now()),
    watching: () => {
      controllerWatches = true
    }
  })
  const lag = WatchLag.make(context.now)
  // Per node, when its Ready condition was last not True: now while it is not, else when it became True.
  const notReadyAt = new Map<string, number>()

  const markedUnknown = (name: string, now: number) => {
    const heartbeats = controllerWatches ? byController : inWorld
    const last = heartbeats.lastAtOrBefore(name, now - inFlightMillis - lag.recent(controllerManager))
    if (last === undefined || now - last >= grace) return
    context.report(
      `${name}/unknown`,
      `node ${name}: Ready set to Unknown ${seconds(now - last)} after its last heartbeat (nodeMonitorGracePeriod ${seconds(grace)})`
    )
  }

  const tainted = (name: string, keys: ReadonlyArray<string>, now: number) => {
    const since = notReadyAt.get(name)
    if (since !== undefined && now - since <= grace) return
    context.report(
      `${name}/taint`,
      `node ${name}: tainted ${keys.join(", ")}:NoExecute while Ready${since === undefined ? "" : ` for ${seconds(now - since)}`}`
    )
  }

  return {
    onEvent: (event) => {
      const now = context.now()
      lag.applied(event, now)
      inWorld.see(event.kind, event.object, event.type === "DELETED", now)
      if (event.kind !== "Node") return
      const name = event.object.metadata.name ?? ""
      if (event.type === "DELETED") {
        notReadyAt.delete(name)
        return
      }
      const node = event.object as Node
      const old = event.old as Node | undefined
      const status = readyStatus(node)
      if (status !== "True") notReadyAt.set(name, now)
      else if (old !== undefined && readyStatus(old) !== "True") notReadyAt.set(name, now)
      if (old === undefined) return
      if (status === "Unknown" && readyStatus(old) !== "Unknown") markedUnknown(name, now)
      else if (status !== "Unknown") context.resolve(`${name}/unknown`)
      const before = noExecuteKeys(old)
      const added = [...noExecuteKeys(node)].filter((k) => !before.has(k))
      if (added.length > 0) tainted(name, added, now)
      else if (noExecuteKeys(node).size === 0) context.resolve(`${name}/taint`)
    },
    onWatchLine: everyWatchLine([lag.onWatchLine, received.onWatchLine]),
    onResponse: received.onResponse
  }
}
