/**
 * placementRespected: when the scheduler binds a pod (a pod without a node gets one), the node as
 * it is then must admit it — its nodeSelector and required node affinity select the node, and it
 * tolerates the node's NoSchedule and NoExecute taints. The scheduler decides on its cache a moment
 * before the bind lands, so a taint that appeared on a node less than `taintRaceMillis` before the
 * bind is not held against it (taints a node registered with always count). A pod created with
 * `spec.nodeName` is not judged: it bypasses the scheduler, whose rules these are; the kubelet's
 * admission decides whether it runs.
 */
import type { Node, Taint } from "../../core/api/Node.js"
import type { Pod } from "../../core/api/Pod.js"
import { matchesNode, requiredNodeAffinity } from "../../core/scheduler/plugins/NodeSelectors.js"
import { firstUntoleratedHardTaint } from "../../core/scheduler/plugins/Tolerations.js"
import { type InvariantContext, type InvariantHooks, nameOf } from "./Invariant.js"

/** How long a new taint may go unseen by the scheduler's cache (watch latency plus a binding round trip). */
export const taintRaceMillis = 2_000

const taintId = (t: Taint) => `${t.key}=${t.value ?? ""}:${t.effect}`

export const make = (context: InvariantContext): InvariantHooks => {
  // Per node: when each of its current taints appeared (-Infinity: it registered with it).
  const taintSince = new Map<string, Map<string, number>>()

  const nodeChanged = (node: Node, registered: boolean) => {
    const name = node.metadata.name ?? ""
    const before = taintSince.get(name) ?? new Map<string, number>()
    const now = new Map<string, number>()
    for (const taint of node.spec?.taints ?? []) {
      const id = taintId(taint)
      now.set(id, before.get(id) ?? (registered ? -Infinity : context.now()))
    }
    taintSince.set(name, now)
  }

  const bound = (pod: Pod, nodeName: string) => {
    const node = context.world.get("Node", "", nodeName) as Node | undefined
    // A pod bound to a node that does not exist never runs (PodGC deletes it); nothing to compare with.
    if (node === undefined) return
    const uid = pod.metadata.uid ?? ""
    if (!matchesNode(requiredNodeAffinity(pod), node)) {
      context.report(uid, `pod ${nameOf(pod.metadata)} bound to ${nodeName}, which its node selector/affinity excludes`)
      return
    }
    const since = taintSince.get(nodeName)
    const settled = (node.spec?.taints ?? []).filter(
      (t) => (since?.get(taintId(t)) ?? -Infinity) <= context.now() - taintRaceMillis
    )
    const taint = firstUntoleratedHardTaint(settled, pod.spec?.tolerations)
    if (taint !== undefined)
      context.report(uid, `pod ${nameOf(pod.metadata)} bound to ${nodeName} despite taint ${taintId(taint)}`)
  }

  return {
    onEvent: (event) => {
      if (event.kind === "Node") {
        if (event.type === "DELETED") taintSince.delete(event.object.metadata.name ?? "")
        else nodeChanged(event.object as Node, event.type === "ADDED")
        return
      }
      if (event.kind !== "Pod" || event.type === "DELETED") return
      const pod = event.object as Pod
      const node = pod.spec?.nodeName
      const old = event.old as Pod | undefined
      if (node !== undefined && old !== undefined && old.spec?.nodeName === undefined) bound(pod, node)
    }
  }
}
