/**
 * Pod (anti-)affinity terms compiled once per pod object (`framework.AffinityTerm`): which pods a
 * term selects (namespaces, namespaceSelector, labelSelector, matchLabelKeys / mismatchLabelKeys)
 * and its topology key. A namespaceSelector sees only the label every namespace carries,
 * `kubernetes.io/metadata.name`; the scheduler keeps no namespace cache.
 */
import * as Either from "effect/Either"
import * as LabelSelector from "../../api/LabelSelector.js"
import type { Pod, PodAffinityTerm } from "../../api/Pod.js"

export interface AffinityTerm {
  readonly topologyKey: string
  /** Whether the term selects this pod (its namespace and labels). */
  readonly matches: (pod: Pod) => boolean
}

export interface WeightedAffinityTerm extends AffinityTerm {
  readonly weight: number
}

export interface AffinityInfo {
  readonly requiredAffinity: ReadonlyArray<AffinityTerm>
  readonly requiredAntiAffinity: ReadonlyArray<AffinityTerm>
  readonly preferredAffinity: ReadonlyArray<WeightedAffinityTerm>
  readonly preferredAntiAffinity: ReadonlyArray<WeightedAffinityTerm>
}

export const namespaceOf = (pod: Pod): string => pod.metadata.namespace ?? "default"

const nothing = () => false

const selectorOf = (ls: LabelSelector.LabelSelector | undefined): LabelSelector.Selector | undefined => {
  if (ls === undefined) return undefined
  const parsed = LabelSelector.fromLabelSelector(ls)
  return Either.isRight(parsed) ? parsed.right : undefined
}

const compile = (term: PodAffinityTerm, owner: Pod): AffinityTerm => {
  const topologyKey = term.topologyKey ?? ""
  const selector = selectorOf(term.labelSelector)
  if (selector === undefined) return { topologyKey, matches: nothing }
  const ownerLabels = owner.metadata.labels ?? {}
  const keyed = (keys: ReadonlyArray<string> | undefined, operator: "in" | "notin") =>
    (keys ?? []).flatMap((key) =>
      Object.hasOwn(ownerLabels, key) ? [{ key, operator, values: [ownerLabels[key]] } as const] : []
    )
  const full: LabelSelector.Selector = {
    requirements: [
      ...selector.requirements,
      ...keyed(term.matchLabelKeys, "in"),
      ...keyed(term.mismatchLabelKeys, "notin")
    ]
  }
  const namespaces = new Set(term.namespaces ?? [])
  const namespaceSelector = term.namespaceSelector === undefined ? undefined : selectorOf(term.namespaceSelector)
  if (namespaces.size === 0 && term.namespaceSelector === undefined) namespaces.add(namespaceOf(owner))
  const namespaceMatches = (ns: string) =>
    namespaces.has(ns) ||
    (namespaceSelector !== undefined && LabelSelector.matches(namespaceSelector, { "kubernetes.io/metadata.name": ns }))
  return {
    topologyKey,
    matches: (pod) => namespaceMatches(namespaceOf(pod)) && LabelSelector.matches(full, pod.metadata.labels)
  }
}

const cache = new WeakMap<Pod, AffinityInfo>()

/** The pod's terms, compiled once per pod object (pods in the scheduler cache are immutable). */
export const affinityInfo = (pod: Pod): AffinityInfo => {
  let info = cache.get(pod)
  if (info === undefined) {
    const affinity = pod.spec?.affinity
    info = {
      requiredAffinity: (affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) =>
        compile(t, pod)
      ),
      requiredAntiAffinity: (affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) =>
        compile(t, pod)
      ),
      preferredAffinity: (affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => ({
        ...compile(t.podAffinityTerm ?? {}, pod),
        weight: t.weight ?? 0
      })),
      preferredAntiAffinity: (affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map(
        (t) => ({ ...compile(t.podAffinityTerm ?? {}, pod), weight: t.weight ?? 0 })
      )
    }
    cache.set(pod, info)
  }
  return info
}

/** Whether the pod matches every term (`podMatchesAllAffinityTerms`; no terms: false). */
export const matchesAll = (terms: ReadonlyArray<AffinityTerm>, pod: Pod): boolean => {
  if (terms.length === 0) return false
  for (const t of terms) if (!t.matches(pod)) return false
  return true
}
