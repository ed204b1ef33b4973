/**
 * InterPodAffinity: required pod affinity (the node's domain must hold a pod the terms select — or,
 * for the first of a group, the pod selects itself), required anti-affinity (no selected pod in the
 * node's domain), and existing pods' required anti-affinity against the incoming pod; the score
 * adds the preferred terms' weights (and existing pods' preferences for this pod, and their required
 * affinity at `hardPodAffinityWeight`) per topology domain, scaled min-max to 0..100.
 *
 * Arguments (InterPodAffinityArgs): `hardPodAffinityWeight` (0..100, default 1),
 * `ignorePreferredTermsOfExistingPods` (default false).
 */
import type { Pod } from "../../api/Pod.js"
import type { NodeInfo } from "../framework/NodeInfo.js"
import * as Plugin from "../framework/Plugin.js"
import { type AffinityTerm, affinityInfo, matchesAll, type WeightedAffinityTerm } from "./AffinityTerm.js"
import { reader } from "./PluginArgs.js"
import { stateData } from "./StateData.js"

export const Name = "InterPodAffinity"

export const errReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules"
export const errReasonAffinityRulesNotMatch = "node(s) didn't match pod affinity rules"
export const errReasonAntiAffinityRulesNotMatch = "node(s) didn't match pod anti-affinity rules"

const affinityRejected = Plugin.unresolvable(errReasonAffinityRulesNotMatch)
const antiAffinityRejected = Plugin.unschedulable(errReasonAntiAffinityRulesNotMatch)
const existingAntiAffinityRejected = Plugin.unschedulable(errReasonExistingAntiAffinityRulesNotMatch)

/** Counts per topology pair, keyed `key\0value`. */
type PairCounts = Map<string, number>

const pair = (key: string, value: string) => `${key}\u0000${value}`

const addTo = (counts: PairCounts, node: NodeInfo, topologyKey: string, value: number) => {
  const labels = node.labels
  if (!Object.hasOwn(labels, topologyKey)) return
  const p = pair(topologyKey, labels[topologyKey])
  const n = (counts.get(p) ?? 0) + value
  if (n === 0) counts.delete(p)
  else counts.set(p, n)
}

const hasLabels = (node: NodeInfo) => {
  for (const _ in node.labels) return true
  return false
}

interface PreFilterState {
  readonly requiredAffinity: ReadonlyArray<AffinityTerm>
  readonly requiredAntiAffinity: ReadonlyArray<AffinityTerm>
  /** Whether the incoming pod matches all its own affinity terms (the first pod of a group). */
  readonly selfAffinity: boolean
  readonly existingAntiAffinityCounts: PairCounts
  readonly affinityCounts: PairCounts
  readonly antiAffinityCounts: PairCounts
}

/** Score per topology key and value. */
type TopologyScore = Map<string, Map<string, number>>

const addScore = (scores: TopologyScore, node: NodeInfo, term: AffinityTerm, weight: number, pod: Pod) => {
  if (!term.matches(pod)) return
  const labels = node.labels
  if (!Object.hasOwn(labels, term.topologyKey)) return
  let values = scores.get(term.topologyKey)
  if (values === undefined) scores.set(term.topologyKey, (values = new Map()))
  const value = labels[term.topologyKey]
  values.set(value, (values.get(value) ?? 0) + weight)
}

const addTerms = (
  scores: TopologyScore,
  node: NodeInfo,
  terms: ReadonlyArray<WeightedAffinityTerm>,
  pod: Pod,
  sign: 1 | -1
) => {
  for (const t of terms) addScore(scores, node, t, t.weight * sign, pod)
}

export const make: Plugin.PluginFactory = (raw) => {
  const args = reader(Name, raw, ["hardPodAffinityWeight", "ignorePreferredTermsOfExistingPods"])
  const hardPodAffinityWeight = args.number("hardPodAffinityWeight", 1, 0, 100)
  const ignoreExistingPreferences = args.boolean("ignorePreferredTermsOfExistingPods", false)
  const preFilterState = stateData<PreFilterState>(`PreFilter${Name}`)
  // Filter needs what pre-filter counted over the whole snapshot (a profile listing preFilter must keep it).
  const missingPreFilter = Plugin.error(`${Name}: pre-filter did not run this cycle`)
  const preScoreState = stateData<TopologyScore>(`PreScore${Name}`)
  return {
    name: Name,
    preFilter: (state, pod, snapshot) => {
      const info = affinityInfo(pod)
      const { requiredAffinity, requiredAntiAffinity } = info
      const withAntiAffinity = snapshot.nodesWithRequiredAntiAffinityPods
      if (requiredAffinity.length === 0 && requiredAntiAffinity.length === 0 && withAntiAffinity.length === 0) {
        return { status: Plugin.skip }
      }
      const existingAntiAffinityCounts: PairCounts = new Map()
      for (const node of withAntiAffinity)
        for (const existing of node.podsWithRequiredAntiAffinity)
          for (const term of affinityInfo(existing.pod).requiredAntiAffinity)
            if (term.matches(pod)) addTo(existingAntiAffinityCounts, node, term.topologyKey, 1)
      const affinityCounts: PairCounts = new Map()
      const antiAffinityCounts: PairCounts = new Map()
      if (requiredAffinity.length > 0 || requiredAntiAffinity.length > 0) {
        for (const node of snapshot.nodes)
          for (const existing of node.pods) {
            if (matchesAll(requiredAffinity, existing.pod))
              for (const t of requiredAffinity) addTo(affinityCounts, node, t.topologyKey, 1)
            for (const t of requiredAntiAffinity)
              if (t.matches(existing.pod)) addTo(antiAffinityCounts, node, t.topologyKey, 1)
          }
      }
      preFilterState.write(state, {
        requiredAffinity,
        requiredAntiAffinity,
        selfAffinity: matchesAll(requiredAffinity, pod),
        existingAntiAffinityCounts,
        affinityCounts,
        antiAffinityCounts
      })
      return { status: Plugin.success }
    },
    filter: (state, _pod, node) => {
      const s = preFilterState.read(state)
      if (s === undefined) return missingPreFilter
      const labels = node.labels
      // Affinity: every term's domain must hold a selected pod (all topology labels must exist).
      let podsExist = true
      for (const t of s.requiredAffinity) {
        if (!Object.hasOwn(labels, t.topologyKey)) return affinityRejected
        if ((s.affinityCounts.get(pair(t.topologyKey, labels[t.topologyKey])) ?? 0) <= 0) podsExist = false
      }
      // The first pod of a group that selects itself may go anywhere that has the topologies.
      if (!podsExist && !(s.affinityCounts.size === 0 && s.selfAffinity)) return affinityRejected
      if (s.antiAffinityCounts.size > 0)
        for (const t of s.requiredAntiAffinity) {
          if (!Object.hasOwn(labels, t.topologyKey)) continue
          if ((s.antiAffinityCounts.get(pair(t.topologyKey, labels[t.topologyKey])) ?? 0) > 0)
            return antiAffinityRejected
        }
      if (s.existingAntiAffinityCounts.size > 0)
        for (const key in labels)
          if ((s.existingAntiAffinityCounts.get(pair(key, labels[key])) ?? 0) > 0) return existingAntiAffinityRejected
      return Plugin.success
    },
    preScore: (state, pod, nodes, snapshot) => {
      if (nodes.length === 0) return Plugin.skip
      const info = affinityInfo(pod)
      const hasConstraints = info.preferredAffinity.length > 0 || info.preferredAntiAffinity.length > 0
      if (ignoreExistingPreferences && !hasConstraints) return Plugin.skip
      const scores: TopologyScore = new Map()
      for (const node of hasConstraints ? snapshot.nodes : snapshot.nodesWithAffinityPods) {
        if (!hasLabels(node)) continue
        for (const existing of hasConstraints ? node.pods : node.podsWithAffinity) {
          addTerms(scores, node, info.preferredAffinity, existing.pod, 1)
          addTerms(scores, node, info.preferredAntiAffinity, existing.pod, -1)
          const theirs = affinityInfo(existing.pod)
          if (hardPodAffinityWeight > 0)
            for (const t of theirs.requiredAffinity) addScore(scores, node, t, hardPodAffinityWeight, pod)
          addTerms(scores, node, theirs.preferredAffinity, pod, 1)
          addTerms(scores, node, theirs.preferredAntiAffinity, pod, -1)
        }
      }
      if (scores.size === 0) return Plugin.skip
      preScoreState.write(state, scores)
      return Plugin.success
    },
    score: (state, _pod, node) => {
      const scores = preScoreState.read(state)
      if (scores === undefined) return 0
      const labels = node.labels
      let score = 0
      for (const [key, values] of scores) if (Object.hasOwn(labels, key)) score += values.get(labels[key]) ?? 0
      return score
    },
    normalizeScore: (state, _pod, scores) => {
      if (preScoreState.read(state) === undefined) return
      let [lowest, highest] = [Infinity, -Infinity]
      for (const n of scores) {
        lowest = Math.min(lowest, n.score)
        highest = Math.max(highest, n.score)
      }
      const spread = highest - lowest
      for (const n of scores) n.score = spread > 0 ? Math.floor(Plugin.maxNodeScore * ((n.score - lowest) / spread)) : 0
    },
    events: [
      { resource: "Pod", action: "Add" },
      { resource: "Pod", action: "Update" },
      { resource: "Pod", action: "Delete" },
      { resource: "Node", action: "Add" },
      { resource: "Node", action: "Update" }
    ]
  }
}
