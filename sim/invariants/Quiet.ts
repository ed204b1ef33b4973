/**
 * quiet (liveness, at the end): over the last `windowMillis` of the run (all of it, when shorter),
 * no object is written more than `maxWrites` times — no endless update loop between controllers.
 * Heartbeats do not count: Leases, Events, and Node writes that change nothing but heartbeat times.
 */
import type { KubeObject } from "../../core/api/meta.js"
import type { Node } from "../../core/api/Node.js"
import { canonical } from "../../core/api/validation.js"
import { type InvariantContext, type InvariantHooks, nameOf } from "./Invariant.js"

/** The stretch at the end of the run judged. */
export const windowMillis = 60_000
/** The most writes of one object in that stretch. */
export const maxWrites = 10

const ignoredKinds = new Set(["Lease", "Event"])

/** The node without its resourceVersion and heartbeat times. */
const withoutHeartbeat = (node: Node): string => {
  const { resourceVersion: _, ...metadata } = node.metadata
  const conditions = node.status?.conditions?.map(({ lastHeartbeatTime: _h, ...c }) => c)
  return canonical({ ...node, metadata, status: { ...node.status, conditions } })
}

const isHeartbeat = (kind: string, old: KubeObject | undefined, object: KubeObject): boolean =>
  kind === "Node" && old !== undefined && withoutHeartbeat(old as Node) === withoutHeartbeat(object as Node)

export const make = (context: InvariantContext): InvariantHooks => {
  const startedAt = context.now()
  // Per object (`kind namespace/name`), the times it was written, oldest first, within the window.
  const writes = new Map<string, Array<number>>()

  const forget = (times: Array<number>, since: number) => {
    while (times.length > 0 && times[0] < since) times.shift()
  }

  return {
    onEvent: (event) => {
      if (ignoredKinds.has(event.kind) || isHeartbeat(event.kind, event.old, event.object)) return
      const now = context.now()
      const key = `${event.kind.toLowerCase()} ${nameOf(event.object.metadata)}`
      let times = writes.get(key)
      if (times === undefined) {
        times = []
        writes.set(key, times)
      }
      times.push(now)
      forget(times, now - windowMillis)
    },
    atEnd: () => {
      const now = context.now()
      const since = Math.max(startedAt, now - windowMillis)
      for (const [key, times] of writes) {
        forget(times, since)
        if (times.length === 0) writes.delete(key)
        else if (times.length > maxWrites)
          context.report(key, `${key}: written ${times.length} times in the last ${Math.round((now - since) / 1000)}s`)
        else context.resolve(key)
      }
    }
  }
}
