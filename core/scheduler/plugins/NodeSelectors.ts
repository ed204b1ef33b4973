/**
 * Node selector terms compiled once per pod (component-helpers' `nodeaffinity`): a pod's required
 * node affinity (`spec.nodeSelector` AND any of the required terms) and its preferred terms. A term
 * that does not parse, and an empty term, select no node, as in Kubernetes.
 */
import type { Node } from "../../api/Node.js"
import type { NodeSelectorRequirement, NodeSelectorTerm, Pod } from "../../api/Pod.js"

type Labels = Readonly<Record<string, string>>

/** Whether a node (its labels and name) is selected. */
export type NodeMatcher = (labels: Labels, name: string) => boolean

const never: NodeMatcher = () => false

const integer = (s: string): number | undefined => (/^[+-]?\d+$/.test(s) ? Number(s) : undefined)

const requirement = (r: NodeSelectorRequirement): ((value: string | undefined) => boolean) | undefined => {
  const values = r.values ?? []
  switch (r.operator) {
    case "In":
      return values.length === 0 ? undefined : (v) => v !== undefined && values.includes(v)
    case "NotIn":
      return values.length === 0 ? undefined : (v) => v === undefined || !values.includes(v)
    case "Exists":
      return values.length > 0 ? undefined : (v) => v !== undefined
    case "DoesNotExist":
      return values.length > 0 ? undefined : (v) => v === undefined
    case "Gt":
    case "Lt": {
      const bound = values.length === 1 ? integer(values[0]) : undefined
      if (bound === undefined) return undefined
      const gt = r.operator === "Gt"
      return (v) => {
        const n = v === undefined ? undefined : integer(v)
        return n !== undefined && (gt ? n > bound : n < bound)
      }
    }
    default:
      return undefined
  }
}

/** A node selector term: every expression (on labels) and every field (only `metadata.name`) must hold. */
export const compileTerm = (term: NodeSelectorTerm): NodeMatcher => {
  const expressions = term.matchExpressions ?? []
  const fields = term.matchFields ?? []
  if (expressions.length === 0 && fields.length === 0) return never
  const checks: Array<NodeMatcher> = []
  for (const e of expressions) {
    const holds = requirement(e)
    if (holds === undefined) return never
    const key = e.key ?? ""
    checks.push((labels) => holds(Object.hasOwn(labels, key) ? labels[key] : undefined))
  }
  for (const f of fields) {
    const holds =
      f.key === "metadata.name" && (f.operator === "In" || f.operator === "NotIn") ? requirement(f) : undefined
    if (holds === undefined) return never
    checks.push((_, name) => holds(name))
  }
  return (labels, name) => {
    for (const check of checks) if (!check(labels, name)) return false
    return true
  }
}

/** `GetRequiredNodeAffinity(pod)`: the node selector map and the required terms (ORed), both must hold. */
export const requiredNodeAffinity = (pod: Pod): NodeMatcher | undefined => {
  const selector = Object.entries(pod.spec?.nodeSelector ?? {})
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
  if (selector.length === 0 && required === undefined) return undefined
  const terms = required === undefined ? undefined : (required.nodeSelectorTerms ?? []).map(compileTerm)
  return (labels, name) => {
    for (const [key, value] of selector) if (labels[key] !== value) return false
    if (terms === undefined) return true
    for (const term of terms) if (term(labels, name)) return true
    return false
  }
}

/** Whether a node satisfies a compiled required affinity (none: every node does). */
export const matchesNode = (matcher: NodeMatcher | undefined, node: Node | undefined): boolean =>
  matcher === undefined || (node !== undefined && matcher(node.metadata.labels ?? {}, node.metadata.name ?? ""))

/** A preferred term with its weight; terms of weight 0 and empty terms are dropped. */
export interface WeightedTerm {
  readonly weight: number
  readonly matches: NodeMatcher
}

export const preferredTerms = (pod: Pod): ReadonlyArray<WeightedTerm> =>
  (pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).flatMap((t) => {
    const weight = t.weight ?? 0
    const preference = t.preference ?? {}
    const empty = (preference.matchExpressions ?? []).length === 0 && (preference.matchFields ?? []).length === 0
    return weight === 0 || empty ? [] : [{ weight, matches: compileTerm(preference) }]
  })
