/**
 * PodTopologySpread: spreads matching pods evenly over topology domains (nodes, zones …).
 * Filter (`whenUnsatisfiable: DoNotSchedule`): placing the pod in a domain must keep
 * `matching pods there + self - global minimum ≤ maxSkew`, with minDomains (fewer eligible domains
 * make the global minimum 0), nodeAffinityPolicy (default Honor) and nodeTaintsPolicy (default
 * Ignore) deciding which nodes count. Score (`ScheduleAnyway`): fewer matching pods in the node's
 * domains scores higher. Nodes that lack a constraint's topology label cannot take the pod (filter)
 * or score 0.
 *
 * Argument `defaultConstraints: [{maxSkew, topologyKey, whenUnsatisfiable}]` applies to pods that
 * set no constraints of their own; their pods to spread are those with the same controller owner
 * (Kubernetes derives the selector from the owning ReplicaSet/Service; without an owner, no default).
 */
import * as Either from "effect/Either"
import type { Pod, TopologySpreadConstraint } from "../../api/Pod.js"
import * as LabelSelector from "../../api/LabelSelector.js"
import type { NodeInfo, PodInfo } from "../framework/NodeInfo.js"
import * as Plugin from "../framework/Plugin.js"
import * as NodeSelectors from "./NodeSelectors.js"
import { reader } from "./PluginArgs.js"
import { stateData } from "./StateData.js"
import { firstUntoleratedHardTaint } from "./Tolerations.js"

export const Name = "PodTopologySpread"

export const errReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints"
export const errReasonNodeLabelNotMatch = `${errReasonConstraintsNotMatch} (missing required label)`

const hostnameKey = "kubernetes.io/hostname"

const constraintsNotMatch = Plugin.unschedulable(errReasonConstraintsNotMatch)
const nodeLabelNotMatch = Plugin.unresolvable(errReasonNodeLabelNotMatch)

/** A constraint ready to evaluate. */
interface Constraint {
  readonly maxSkew: number
  readonly topologyKey: string
  readonly minDomains: number
  readonly honorAffinity: boolean
  readonly honorTaints: boolean
  /** Whether an existing pod counts (a nil or empty selector counts none, as in Kubernetes). */
  readonly counts: (pod: Pod) => boolean
  /** Whether the incoming pod counts itself (an empty selector matches it, a nil one does not). */
  readonly selfMatch: boolean
}

type DefaultConstraint = Pick<TopologySpreadConstraint, "maxSkew" | "topologyKey" | "whenUnsatisfiable">

const namespaceOf = (pod: Pod) => pod.metadata.namespace ?? "default"

const controllerUid = (pod: Pod) => pod.metadata.ownerReferences?.find((o) => o.controller === true)?.uid

/** The pod's constraints of one kind (`filterTopologySpreadConstraints` / `buildDefaultConstraints`). */
const constraintsOf = (
  pod: Pod,
  action: "DoNotSchedule" | "ScheduleAnyway",
  defaults: ReadonlyArray<DefaultConstraint>
): ReadonlyArray<Constraint> => {
  const own = pod.spec?.topologySpreadConstraints ?? []
  const labels = pod.metadata.labels ?? {}
  if (own.length === 0) {
    const owner = controllerUid(pod)
    if (owner === undefined) return []
    const sameOwner = (p: Pod) => controllerUid(p) === owner
    return defaults
      .filter((c) => c.whenUnsatisfiable === action)
      .map((c) => ({
        maxSkew: c.maxSkew ?? 1,
        topologyKey: c.topologyKey ?? "",
        minDomains: 1,
        honorAffinity: true,
        honorTaints: false,
        counts: sameOwner,
        selfMatch: true
      }))
  }
  return own
    .filter((c) => c.whenUnsatisfiable === action)
    .map((c) => {
      let counts: (p: Pod) => boolean = () => false
      let selfMatch = false
      if (c.labelSelector !== undefined) {
        const parsed = LabelSelector.fromLabelSelector(c.labelSelector)
        if (Either.isRight(parsed)) {
          const extra = (c.matchLabelKeys ?? []).flatMap((k) => (Object.hasOwn(labels, k) ? [[k, labels[k]]] : []))
          const selector: LabelSelector.Selector = {
            requirements: [
              ...parsed.right.requirements,
              ...LabelSelector.fromMap(Object.fromEntries(extra)).requirements
            ]
          }
          selfMatch = LabelSelector.matches(selector, labels)
          if (!LabelSelector.isEmpty(selector)) counts = (p) => LabelSelector.matches(selector, p.metadata.labels)
        }
      }
      return {
        maxSkew: c.maxSkew ?? 1,
        topologyKey: c.topologyKey ?? "",
        minDomains: c.minDomains ?? 1,
        honorAffinity: (c.nodeAffinityPolicy ?? "Honor") === "Honor",
        honorTaints: (c.nodeTaintsPolicy ?? "Ignore") === "Honor",
        counts,
        selfMatch
      }
    })
}

const hasAllKeys = (labels: Readonly<Record<string, string>>, constraints: ReadonlyArray<Constraint>) => {
  for (const c of constraints) if (!Object.hasOwn(labels, c.topologyKey)) return false
  return true
}

/** Matching pods on a node, skipping terminating pods and other namespaces. */
const countPods = (pods: ReadonlyArray<PodInfo>, c: Constraint, namespace: string): number => {
  let n = 0
  for (const p of pods) {
    if (p.pod.metadata.deletionTimestamp !== undefined || namespaceOf(p.pod) !== namespace) continue
    if (c.counts(p.pod)) n++
  }
  return n
}

/** Whether the node's pods count for the constraint (`matchNodeInclusionPolicies`). */
const included = (c: Constraint, pod: Pod, node: NodeInfo, affinity: NodeSelectors.NodeMatcher | undefined) =>
  (!c.honorAffinity || NodeSelectors.matchesNode(affinity, node.node)) &&
  (!c.honorTaints || firstUntoleratedHardTaint(node.taints, pod.spec?.tolerations) === undefined)

interface PreFilterState {
  readonly constraints: ReadonlyArray<Constraint>
  /** Matching pods per domain (topology value), per constraint. */
  readonly counts: ReadonlyArray<Map<string, number>>
  /** The global minimum per constraint (0 when fewer domains than minDomains). */
  readonly minMatch: ReadonlyArray<number>
}

interface PreScoreState {
  readonly constraints: ReadonlyArray<Constraint>
  readonly counts: ReadonlyArray<Map<string, number>>
  readonly weights: ReadonlyArray<number>
  /** Feasible nodes without every topology label: they score 0. */
  readonly ignored: ReadonlySet<string>
}

export const make: Plugin.PluginFactory = (raw) => {
  const args = reader(Name, raw, ["defaultConstraints"])
  const defaults: ReadonlyArray<DefaultConstraint> =
    args.list("defaultConstraints", (c, at) => {
      const { maxSkew, topologyKey, whenUnsatisfiable } = c
      if (typeof maxSkew !== "number" || !Number.isInteger(maxSkew) || maxSkew < 1)
        return args.fail(`"${at}.maxSkew" must be an integer ≥ 1`)
      if (typeof topologyKey !== "string" || topologyKey === "")
        return args.fail(`"${at}.topologyKey" must be a label key`)
      if (whenUnsatisfiable !== "DoNotSchedule" && whenUnsatisfiable !== "ScheduleAnyway")
        return args.fail(`"${at}.whenUnsatisfiable" must be DoNotSchedule or ScheduleAnyway`)
      if (c.labelSelector !== undefined) return args.fail(`"${at}.labelSelector" is not allowed in default constraints`)
      return { maxSkew, topologyKey, whenUnsatisfiable }
    }) ?? []
  const preFilterState = stateData<PreFilterState>(`PreFilter${Name}`)
  // Filter needs what pre-filter counted over the whole snapshot (a profile listing preFilter must keep it).
  const missingPreFilter = Plugin.error(`${Name}: pre-filter did not run this cycle`)
  const preScoreState = stateData<PreScoreState>(`PreScore${Name}`)
  return {
    name: Name,
    preFilter: (state, pod, snapshot) => {
      const constraints = constraintsOf(pod, "DoNotSchedule", defaults)
      if (constraints.length === 0) return { status: Plugin.skip }
      const namespace = namespaceOf(pod)
      const affinity = NodeSelectors.requiredNodeAffinity(pod)
      const counts = constraints.map(() => new Map<string, number>())
      for (const node of snapshot.nodes) {
        const labels = node.labels
        if (!hasAllKeys(labels, constraints)) continue
        constraints.forEach((c, i) => {
          if (!included(c, pod, node, affinity)) return
          const value = labels[c.topologyKey]
          counts[i].set(value, (counts[i].get(value) ?? 0) + countPods(node.pods, c, namespace))
        })
      }
      const minMatch = constraints.map((c, i) => {
        if (counts[i].size < c.minDomains) return 0
        let lowest = Infinity
        for (const n of counts[i].values()) lowest = Math.min(lowest, n)
        return lowest
      })
      preFilterState.write(state, { constraints, counts, minMatch })
      return { status: Plugin.success }
    },
    filter: (state, _pod, node) => {
      const s = preFilterState.read(state)
      if (s === undefined) return missingPreFilter
      const labels = node.labels
      for (let i = 0; i < s.constraints.length; i++) {
        const c = s.constraints[i]
        if (!Object.hasOwn(labels, c.topologyKey)) return nodeLabelNotMatch
        const skew = (s.counts[i].get(labels[c.topologyKey]) ?? 0) + (c.selfMatch ? 1 : 0) - s.minMatch[i]
        if (skew > c.maxSkew) return constraintsNotMatch
      }
      return Plugin.success
    },
    preScore: (state, pod, nodes, snapshot) => {
      const constraints = constraintsOf(pod, "ScheduleAnyway", defaults)
      if (constraints.length === 0 || snapshot.nodes.length === 0) return Plugin.skip
      const namespace = namespaceOf(pod)
      const ignored = new Set<string>()
      const counts = constraints.map(() => new Map<string, number>())
      for (const node of nodes) {
        const labels = node.labels
        if (!hasAllKeys(labels, constraints)) {
          ignored.add(node.name)
          continue
        }
        constraints.forEach((c, i) => {
          if (c.topologyKey !== hostnameKey && !counts[i].has(labels[c.topologyKey])) {
            counts[i].set(labels[c.topologyKey], 0)
          }
        })
      }
      const weights = constraints.map((c, i) =>
        Math.log((c.topologyKey === hostnameKey ? nodes.length - ignored.size : counts[i].size) + 2)
      )
      const affinity = NodeSelectors.requiredNodeAffinity(pod)
      for (const node of snapshot.nodes) {
        const labels = node.labels
        if (!hasAllKeys(labels, constraints)) continue
        constraints.forEach((c, i) => {
          const value = labels[c.topologyKey]
          const count = counts[i].get(value)
          if (count === undefined || !included(c, pod, node, affinity)) return
          counts[i].set(value, count + countPods(node.pods, c, namespace))
        })
      }
      preScoreState.write(state, { constraints, counts, weights, ignored })
      return Plugin.success
    },
    score: (state, pod, node) => {
      const s = preScoreState.read(state)
      if (s === undefined || s.ignored.has(node.name)) return 0
      const labels = node.labels
      let score = 0
      for (let i = 0; i < s.constraints.length; i++) {
        const c = s.constraints[i]
        if (!Object.hasOwn(labels, c.topologyKey)) continue
        const count =
          c.topologyKey === hostnameKey
            ? countPods(node.pods, c, namespaceOf(pod))
            : (s.counts[i].get(labels[c.topologyKey]) ?? 0)
        score += count * s.weights[i] + (c.maxSkew - 1)
      }
      return Math.round(score)
    },
    normalizeScore: (state, _pod, scores) => {
      const s = preScoreState.read(state)
      if (s === undefined) return
      let [lowest, highest] = [Infinity, 0]
      for (const n of scores) {
        if (s.ignored.has(n.name)) continue
        lowest = Math.min(lowest, n.score)
        highest = Math.max(highest, n.score)
      }
      for (const n of scores) {
        if (s.ignored.has(n.name)) n.score = 0
        else if (highest === 0) n.score = Plugin.maxNodeScore
        else n.score = Math.floor((Plugin.maxNodeScore * (highest + lowest - n.score)) / highest)
      }
    },
    events: [
      { resource: "Pod", action: "Add" },
      { resource: "Pod", action: "Update" },
      { resource: "Pod", action: "Delete" },
      { resource: "Node", action: "Add" },
      { resource: "Node", action: "Update" },
      { resource: "Node", action: "Delete" }
    ]
  }
}
