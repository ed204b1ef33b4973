/**
 * TaintToleration: the pod must tolerate every NoSchedule and NoExecute taint of the node; the
 * score counts the node's PreferNoSchedule taints the pod does not tolerate, reversed so that the
 * node with the fewest scores 100.
 */
import type { Toleration } from "../../api/Pod.js"
import * as Plugin from "../framework/Plugin.js"
import { defaultNormalizeScore } from "./NormalizeScore.js"
import { reader } from "./PluginArgs.js"
import { stateData } from "./StateData.js"
import { firstUntoleratedHardTaint, tolerated } from "./Tolerations.js"

export const Name = "TaintToleration"

/** Tolerations that may tolerate a PreferNoSchedule taint (an empty effect matches every effect). */
const preferNoScheduleTolerations = (tolerations: ReadonlyArray<Toleration> | undefined) =>
  (tolerations ?? []).filter((t) => (t.effect ?? "") === "" || t.effect === "PreferNoSchedule")

export const make: Plugin.PluginFactory = (args) => {
  reader(Name, args, [])
  const preScoreState = stateData<ReadonlyArray<Toleration>>(`PreScore${Name}`)
  // Whether this cycle's filter met a PreferNoSchedule taint: without one, every feasible node would
  // score the same (100), which changes no choice, so scoring is skipped.
  let filtered: Plugin.CycleState | undefined
  let sawPreferNoSchedule = false
  return {
    name: Name,
    filter: (state, pod, node) => {
      if (state !== filtered) {
        filtered = state
        sawPreferNoSchedule = false
      }
      const taints = node.taints
      if (taints.length === 0) return Plugin.success
      if (!sawPreferNoSchedule) sawPreferNoSchedule = taints.some((t) => t.effect === "PreferNoSchedule")
      const taint = firstUntoleratedHardTaint(taints, pod.spec?.tolerations)
      if (taint === undefined) return Plugin.success
      return Plugin.unresolvable(`node(s) had untolerated taint {${taint.key ?? ""}: ${taint.value ?? ""}}`)
    },
    preScore: (state, pod) => {
      if (state === filtered && !sawPreferNoSchedule) return Plugin.skip
      preScoreState.write(state, preferNoScheduleTolerations(pod.spec?.tolerations))
      return Plugin.success
    },
    score: (state, pod, node) => {
      const taints = node.taints
      if (taints.length === 0) return 0
      const tolerations = preScoreState.read(state) ?? preferNoScheduleTolerations(pod.spec?.tolerations)
      let intolerable = 0
      for (const taint of taints)
        if (taint.effect === "PreferNoSchedule" && !tolerated(tolerations, taint)) intolerable++
      return intolerable
    },
    normalizeScore: (_state, _pod, scores) => defaultNormalizeScore(scores, true),
    events: [
      { resource: "Node", action: "Add" },
      { resource: "Node", action: "Update" }
    ]
  }
}
