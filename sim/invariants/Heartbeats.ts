/**
 * Node heartbeats as the node-lifecycle controller counts them (NodeLifecycle.ts): a node seen for
 * the first time, its Ready condition's `lastHeartbeatTime` changing, its Lease in
 * `kube-node-lease` seen for the first time or renewed to a later `renewTime` than any before (a
 * kubelet whose clock went back renews without it counting, in Kubernetes too). Each is timed by
 * when it was seen: by the world, or by a component through its watches and lists.
 */
import type { Lease } from "../../core/api/Lease.js"
import type { KubeObject } from "../../core/api/meta.js"
import type { Node } from "../../core/api/Node.js"
import { timeMillis } from "../../core/api/time.js"
import { nodeLeaseNamespace } from "../../core/kubelet/NodeStatus.js"

/** How many recent heartbeats are kept per node. */
const kept = 16

export interface Heartbeats {
  /** Sees one state of a Node or a Lease (others are ignored) at virtual epoch millis `now`. */
  readonly see: (kind: string, object: KubeObject, deleted: boolean, now: number) => void
  /** The time of the node's latest heartbeat at or before `time`, of those kept; undefined when none. */
  readonly lastAtOrBefore: (node: string, time: number) => number | undefined
  /** The time of the node's latest heartbeat; undefined when none was seen. */
  readonly last: (node: string) => number | undefined
  /**
   * When the node's heartbeats last resumed after a silence longer than `silence` ms (its first
   * heartbeat, if it never fell silent); undefined when none was seen.
   */
  readonly resumed: (node: string) => number | undefined
}

interface NodeBeats {
  readonly times: Array<number>
  resumed: number
  /** The Ready condition's lastHeartbeatTime last seen; undefined until the Node is seen. */
  heartbeatTime: string | null | undefined
  nodeSeen: boolean
  /** The latest Lease renewTime seen; undefined until the Lease is seen. */
  renewTime: number | undefined
}

const lastHeartbeatTime = (node: Node): string | null =>
  node.status?.conditions?.find((c) => c.type === "Ready")?.lastHeartbeatTime ?? null

/** Heartbeats of every node; a gap longer than `silence` ms between two is a silence. */
export const make = (silence: number): Heartbeats => {
  const nodes = new Map<string, NodeBeats>()

  const entry = (name: string): NodeBeats => {
    let n = nodes.get(name)
    if (n === undefined) {
      n = { times: [], resumed: -Infinity, heartbeatTime: undefined, nodeSeen: false, renewTime: undefined }
      nodes.set(name, n)
    }
    return n
  }

  const beat = (n: NodeBeats, now: number) => {
    const last = n.times.at(-1)
    if (last === undefined || now - last > silence) n.resumed = now
    n.times.push(now)
    if (n.times.length > kept) n.times.shift()
  }

  return {
    see: (kind, object, deleted, now) => {
      const name = object.metadata.name ?? ""
      if (kind === "Node") {
        if (deleted) {
          nodes.delete(name)
          return
        }
        const n = entry(name)
        const time = lastHeartbeatTime(object as Node)
        if (!n.nodeSeen || (time !== null && time !== n.heartbeatTime)) beat(n, now)
        n.nodeSeen = true
        n.heartbeatTime = time
        return
      }
      if (kind !== "Lease" || deleted || object.metadata.namespace !== nodeLeaseNamespace) return
      const n = entry(name)
      const renewed = timeMillis((object as Lease).spec?.renewTime) ?? -Infinity
      if (n.renewTime === undefined || renewed > n.renewTime) {
        beat(n, now)
        n.renewTime = Math.max(n.renewTime ?? -Infinity, renewed)
      }
    },
    lastAtOrBefore: (node, time) => {
      const times = nodes.get(node)?.times ?? []
      for (let i = times.length - 1; i >= 0; i--) if (times[i] <= time) return times[i]
      return undefined
    },
    last: (node) => nodes.get(node)?.times.at(-1),
    resumed: (node) => {
      const n = nodes.get(node)
      return n === undefined || n.times.length === 0 ? undefined : n.resumed
    }
  }
}
