/**
 * phaseMonotonic: a pod's phase only moves forward, Pending → Running → Succeeded | Failed
 * (skipping Running is fine), and Succeeded and Failed are terminal. Pods are told apart by uid;
 * a phase outside those four (Unknown) is not judged.
 */
import type { Pod } from "../../core/api/Pod.js"
import { type InvariantContext, type InvariantHooks, nameOf } from "./Invariant.js"

const rank: Readonly<Record<string, number>> = { Pending: 0, Running: 1, Succeeded: 2, Failed: 2 }

export const make = (context: InvariantContext): InvariantHooks => {
  // The furthest phase each pod reached.
  const reached = new Map<string, string>()
  return {
    onEvent: (event) => {
      if (event.kind !== "Pod") return
      const pod = event.object as Pod
      const uid = pod.metadata.uid ?? ""
      if (event.type === "DELETED") {
        reached.delete(uid)
        return
      }
      const phase = pod.status?.phase ?? "Pending"
      const now = rank[phase]
      if (now === undefined) return
      const was = reached.get(uid)
      const before = was === undefined ? undefined : rank[was]
      if (was === undefined || before === undefined || (now > before && before < 2)) reached.set(uid, phase)
      else if (phase !== was && (now < before || before === 2))
        context.report(uid, `pod ${nameOf(pod.metadata)}: phase ${was}, then ${phase}`)
    }
  }
}
