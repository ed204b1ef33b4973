/**
 * noDoubleBinding: a pod is bound at most once and never to two nodes — once a pod (by uid) has a
 * `spec.nodeName`, no later state of it names another node or none.
 */
import type { Pod } from "../../core/api/Pod.js"
import { type InvariantContext, type InvariantHooks, nameOf } from "./Invariant.js"

export const make = (context: InvariantContext): InvariantHooks => {
  const boundTo = new Map<string, string>()
  return {
    onEvent: (event) => {
      if (event.kind !== "Pod") return
      const pod = event.object as Pod
      const uid = pod.metadata.uid ?? ""
      const node = pod.spec?.nodeName
      const was = boundTo.get(uid)
      if (was !== undefined && node !== was)
        context.report(uid, `pod ${nameOf(pod.metadata)} was bound to ${was}, then ${node ?? "to no node"}`)
      if (event.type === "DELETED") boundTo.delete(uid)
      else if (was === undefined && node !== undefined) boundTo.set(uid, node)
    }
  }
}
