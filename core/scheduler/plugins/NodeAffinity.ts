/**
 * NodeAffinity: the node must match the pod's `nodeSelector` and one of its required node affinity
 * terms; the score is the sum of the weights of the preferred terms the node matches, scaled to
 * 0..100. Required terms that only name nodes (`matchFields` metadata.name In …) narrow the cycle
 * to those nodes in pre-filter.
 */
import type { NodeSelectorTerm } from "../../api/Pod.js"
import * as Plugin from "../framework/Plugin.js"
import * as NodeSelectors from "./NodeSelectors.js"
import { defaultNormalizeScore } from "./NormalizeScore.js"
import { reader } from "./PluginArgs.js"
import { stateData } from "./StateData.js"

export const Name = "NodeAffinity"

export const errReasonPod = "node(s) didn't match Pod's node affinity/selector"
export const errReasonConflict = "pod affinity terms conflict"

const rejected = Plugin.unresolvable(errReasonPod)

/** The node names every required term pins (a term without a name pin allows every node). */
const pinnedNodeNames = (terms: ReadonlyArray<NodeSelectorTerm>) => {
  let union: Set<string> | undefined
  for (const term of terms) {
    let names: Set<string> | undefined
    for (const f of term.matchFields ?? []) {
      if (f.key !== "metadata.name" || f.operator !== "In") continue
      const values = new Set(f.values ?? [])
      names = names === undefined ? values : new Set([...names].filter((n) => values.has(n)))
    }
    if (names === undefined) return undefined
    union = new Set([...(union ?? []), ...names])
  }
  return union
}

export const make: Plugin.PluginFactory = (args) => {
  reader(Name, args, [])
  const preFilterState = stateData<NodeSelectors.NodeMatcher>(`PreFilter${Name}`)
  const preScoreState = stateData<ReadonlyArray<NodeSelectors.WeightedTerm>>(`PreScore${Name}`)
  return {
    name: Name,
    preFilter: (state, pod) => {
      const matcher = NodeSelectors.requiredNodeAffinity(pod)
      if (matcher === undefined) return { status: Plugin.skip }
      preFilterState.write(state, matcher)
      const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms
      if (terms === undefined || terms.length === 0) return { status: Plugin.success }
      const names = pinnedNodeNames(terms)
      if (names === undefined) return { status: Plugin.success }
      if (names.size === 0) return { status: Plugin.unresolvable(errReasonConflict) }
      return { status: Plugin.success, nodeNames: names }
    },
    filter: (state, pod, node) => {
      const matcher = preFilterState.read(state) ?? NodeSelectors.requiredNodeAffinity(pod)
      return NodeSelectors.matchesNode(matcher, node.node) ? Plugin.success : rejected
    },
    preScore: (state, pod) => {
      const terms = NodeSelectors.preferredTerms(pod)
      if (terms.length === 0) return Plugin.skip
      preScoreState.write(state, terms)
      return Plugin.success
    },
    score: (state, pod, node) => {
      const terms = preScoreState.read(state) ?? NodeSelectors.preferredTerms(pod)
      const labels = node.labels
      let score = 0
      for (const t of terms) if (t.matches(labels, node.name)) score += t.weight
      return score
    },
    normalizeScore: (_state, _pod, scores) => defaultNormalizeScore(scores, false),
    events: [
      { resource: "Node", action: "Add" },
      { resource: "Node", action: "Update" }
    ]
  }
}
