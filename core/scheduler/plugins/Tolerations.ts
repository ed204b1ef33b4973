/**
 * Taint and toleration matching (core/v1 helper `ToleratesTaint`, `FindMatchingUntoleratedTaint`),
 * shared by TaintToleration, NodeUnschedulable and PodTopologySpread's nodeTaintsPolicy.
 */
import type { Taint } from "../../api/Node.js"
import type { Toleration } from "../../api/Pod.js"

/** An empty effect tolerates every effect; an empty key with `Exists` tolerates every taint. */
export const toleratesTaint = (t: Toleration, taint: Taint): boolean => {
  if ((t.effect ?? "") !== "" && t.effect !== taint.effect) return false
  if ((t.key ?? "") !== "" && t.key !== taint.key) return false
  switch (t.operator ?? "") {
    case "":
    case "Equal":
      return (t.value ?? "") === (taint.value ?? "")
    case "Exists":
      return true
    default:
      return false
  }
}

export const tolerated = (tolerations: ReadonlyArray<Toleration> | undefined, taint: Taint): boolean => {
  if (tolerations === undefined) return false
  for (const t of tolerations) if (toleratesTaint(t, taint)) return true
  return false
}

/** The taints a filter must respect: NoSchedule and NoExecute (PreferNoSchedule only scores). */
export const isHardTaint = (taint: Taint): boolean => taint.effect === "NoSchedule" || taint.effect === "NoExecute"

/** The first hard taint the tolerations do not tolerate. */
export const firstUntoleratedHardTaint = (
  taints: ReadonlyArray<Taint> | undefined,
  tolerations: ReadonlyArray<Toleration> | undefined
): Taint | undefined => {
  if (taints === undefined) return undefined
  for (const taint of taints) if (isHardTaint(taint) && !tolerated(tolerations, taint)) return taint
  return undefined
}
