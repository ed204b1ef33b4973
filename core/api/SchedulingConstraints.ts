/**
 * Where a pod may and may not run: tolerations, node and pod (anti-)affinity and topology
 * spread constraints (core/v1), with Kubernetes' validation of each.
 */
import * as Schema from "effect/Schema"
import type { FieldError } from "./errors.js"
import { Int32, Int64 } from "./IntOrString.js"
import * as LabelSelector from "./LabelSelector.js"
import { requiredField } from "./requiredField.js"
import * as V from "./validation.js"

const opt = Schema.optional
const id = (name: string) => ({ identifier: `io.k8s.api.core.v1.${name}` })

export const Toleration = Schema.Struct({
  key: opt(Schema.String),
  operator: opt(Schema.String),
  value: opt(Schema.String),
  effect: opt(Schema.String),
  tolerationSeconds: opt(Int64)
}).annotations(id("Toleration"))
export type Toleration = typeof Toleration.Type

export const NodeSelectorRequirement = Schema.Struct({
  key: requiredField(Schema.String),
  operator: requiredField(Schema.String),
  values: opt(Schema.Array(Schema.String))
}).annotations(id("NodeSelectorRequirement"))
export type NodeSelectorRequirement = typeof NodeSelectorRequirement.Type

export const NodeSelectorTerm = Schema.Struct({
  matchExpressions: opt(Schema.Array(NodeSelectorRequirement)),
  matchFields: opt(Schema.Array(NodeSelectorRequirement))
}).annotations(id("NodeSelectorTerm"))
export type NodeSelectorTerm = typeof NodeSelectorTerm.Type

export const NodeSelector = Schema.Struct({
  nodeSelectorTerms: requiredField(Schema.Array(NodeSelectorTerm))
}).annotations(id("NodeSelector"))

export const PreferredSchedulingTerm = Schema.Struct({
  weight: requiredField(Int32),
  preference: requiredField(NodeSelectorTerm)
}).annotations(id("PreferredSchedulingTerm"))

export const NodeAffinity = Schema.Struct({
  requiredDuringSchedulingIgnoredDuringExecution: opt(NodeSelector),
  preferredDuringSchedulingIgnoredDuringExecution: opt(Schema.Array(PreferredSchedulingTerm))
}).annotations(id("NodeAffinity"))

export const PodAffinityTerm = Schema.Struct({
  labelSelector: opt(LabelSelector.LabelSelector),
  namespaces: opt(Schema.Array(Schema.String)),
  topologyKey: requiredField(Schema.String),
  namespaceSelector: opt(LabelSelector.LabelSelector),
  matchLabelKeys: opt(Schema.Array(Schema.String)),
  mismatchLabelKeys: opt(Schema.Array(Schema.String))
}).annotations(id("PodAffinityTerm"))
export type PodAffinityTerm = typeof PodAffinityTerm.Type

export const WeightedPodAffinityTerm = Schema.Struct({
  weight: requiredField(Int32),
  podAffinityTerm: requiredField(PodAffinityTerm)
}).annotations(id("WeightedPodAffinityTerm"))

const podAffinityFields = {
  requiredDuringSchedulingIgnoredDuringExecution: opt(Schema.Array(PodAffinityTerm)),
  preferredDuringSchedulingIgnoredDuringExecution: opt(Schema.Array(WeightedPodAffinityTerm))
}
export const PodAffinity = Schema.Struct(podAffinityFields).annotations(id("PodAffinity"))
export const PodAntiAffinity = Schema.Struct(podAffinityFields).annotations(id("PodAntiAffinity"))

export const Affinity = Schema.Struct({
  nodeAffinity: opt(NodeAffinity),
  podAffinity: opt(PodAffinity),
  podAntiAffinity: opt(PodAntiAffinity)
}).annotations(id("Affinity"))
export type Affinity = typeof Affinity.Type

export const TopologySpreadConstraint = Schema.Struct({
  maxSkew: requiredField(Int32),
  topologyKey: requiredField(Schema.String),
  whenUnsatisfiable: requiredField(Schema.String),
  labelSelector: opt(LabelSelector.LabelSelector),
  minDomains: opt(Int32),
  nodeAffinityPolicy: opt(Schema.String),
  nodeTaintsPolicy: opt(Schema.String),
  matchLabelKeys: opt(Schema.Array(Schema.String))
}).annotations(id("TopologySpreadConstraint"))
export type TopologySpreadConstraint = typeof TopologySpreadConstraint.Type

/** ValidateTolerations at `at`. */
export const validateTolerations = (
  at: string,
  tolerations: ReadonlyArray<Toleration> | undefined
): ReadonlyArray<FieldError> =>
  (tolerations ?? []).flatMap((t, i) => {
    const tat = `${at}[${i}]`
    const errors: Array<FieldError> = []
    const key = t.key ?? ""
    const operator = t.operator ?? ""
    if (key !== "") errors.push(...V.qualifiedName(key).map((m) => V.invalid(`${tat}.key`, key, m)))
    if (key === "" && operator !== "Exists") {
      errors.push(
        V.invalid(
          `${tat}.operator`,
          operator,
          'operator must be Exists when `key` is empty, which means "match all values and all keys"'
        )
      )
    }
    if (t.tolerationSeconds !== undefined && t.effect !== "NoExecute") {
      errors.push(
        V.invalid(`${tat}.effect`, t.effect ?? "", "effect must be 'NoExecute' when `tolerationSeconds` is set")
      )
    }
    if (operator === "Equal" || operator === "") {
      errors.push(...V.labelValue(t.value ?? "").map((m) => V.invalid(`${tat}.operator`, t.value ?? "", m)))
    } else if (operator === "Exists") {
      if ((t.value ?? "") !== "") {
        errors.push(V.invalid(`${tat}.operator`, t, "value must be empty when `operator` is 'Exists'"))
      }
    } else {
      errors.push(V.notSupported(`${tat}.operator`, operator, ["Equal", "Exists"]))
    }
    if ((t.effect ?? "") !== "") {
      errors.push(...V.supported(`${tat}.effect`, t.effect, ["NoSchedule", "PreferNoSchedule", "NoExecute"]))
    }
    return errors
  })

const validateNodeSelectorRequirement = (at: string, r: NodeSelectorRequirement, field: boolean) => {
  const errors: Array<FieldError> = []
  const values = r.values ?? []
  switch (r.operator) {
    case "In":
    case "NotIn":
      if (values.length === 0) {
        errors.push(V.required(`${at}.values`, "must be specified when `operator` is 'In' or 'NotIn'"))
      }
      break
    case "Exists":
    case "DoesNotExist":
      if (values.length > 0) {
        errors.push(V.forbidden(`${at}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
      }
      break
    case "Gt":
    case "Lt":
      if (values.length !== 1)
        errors.push(V.required(`${at}.values`, "must be specified single value when `operator` is 'Lt' or 'Gt'"))
      break
    default:
      errors.push(V.invalid(`${at}.operator`, r.operator ?? "", "not a valid selector operator"))
  }
  const key = r.key ?? ""
  if (field) {
    if (key !== "metadata.name") errors.push(V.notSupported(`${at}.key`, key, ["metadata.name"]))
  } else {
    errors.push(...V.qualifiedName(key).map((m) => V.invalid(`${at}.key`, key, m)))
  }
  return errors
}

const validateNodeSelectorTerm = (at: string, term: NodeSelectorTerm): ReadonlyArray<FieldError> => [
  ...(term.matchExpressions ?? []).flatMap((r, i) =>
    validateNodeSelectorRequirement(`${at}.matchExpressions[${i}]`, r, false)
  ),
  ...(term.matchFields ?? []).flatMap((r, i) => validateNodeSelectorRequirement(`${at}.matchFields[${i}]`, r, true))
]

const weight = (at: string, w = 0): ReadonlyArray<FieldError> =>
  w < 1 || w > 100 ? [V.invalid(at, w, "must be in the range 1-100")] : []

const validatePodAffinityTerm = (at: string, term: PodAffinityTerm = {}): ReadonlyArray<FieldError> => {
  const topologyKey = term.topologyKey ?? ""
  return [
    ...LabelSelector.validate(`${at}.labelSelector`, term.labelSelector),
    ...LabelSelector.validate(`${at}.namespaceSelector`, term.namespaceSelector),
    ...(term.namespaces ?? []).flatMap((ns) => V.dns1123Label(ns).map((m) => V.invalid(`${at}.namespace`, ns, m))),
    ...(topologyKey === ""
      ? [V.required(`${at}.topologyKey`, "can not be empty")]
      : V.qualifiedName(topologyKey).map((m) => V.invalid(`${at}.topologyKey`, topologyKey, m)))
  ]
}

const validatePodAffinity = (at: string, a: typeof PodAffinity.Type | undefined): ReadonlyArray<FieldError> => [
  ...(a?.requiredDuringSchedulingIgnoredDuringExecution ?? []).flatMap((t, i) =>
    validatePodAffinityTerm(`${at}.requiredDuringSchedulingIgnoredDuringExecution[${i}]`, t)
  ),
  ...(a?.preferredDuringSchedulingIgnoredDuringExecution ?? []).flatMap((t, i) => [
    ...weight(`${at}.preferredDuringSchedulingIgnoredDuringExecution[${i}].weight`, t.weight),
    ...validatePodAffinityTerm(
      `${at}.preferredDuringSchedulingIgnoredDuringExecution[${i}].podAffinityTerm`,
      t.podAffinityTerm
    )
  ])
]

/** ValidateAffinity at `at`. */
export const validateAffinity = (at: string, a: Affinity | undefined): ReadonlyArray<FieldError> => {
  if (a === undefined) return []
  const errors: Array<FieldError> = []
  const required = a.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
  const rat = `${at}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`
  if (required !== undefined) {
    const terms = required.nodeSelectorTerms ?? []
    if (terms.length === 0) {
      errors.push(V.required(`${rat}.nodeSelectorTerms`, "must have at least one node selector term"))
    }
    terms.forEach((t, i) => errors.push(...validateNodeSelectorTerm(`${rat}.nodeSelectorTerms[${i}]`, t)))
  }
  ;(a.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => {
    const pat = `${at}.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[${i}]`
    errors.push(
      ...weight(`${pat}.weight`, t.weight),
      ...validateNodeSelectorTerm(`${pat}.preference`, t.preference ?? {})
    )
  })
  errors.push(...validatePodAffinity(`${at}.podAffinity`, a.podAffinity))
  errors.push(...validatePodAffinity(`${at}.podAntiAffinity`, a.podAntiAffinity))
  return errors
}

/** ValidateTopologySpreadConstraints at `at`. */
export const validateTopologySpread = (
  at: string,
  constraints: ReadonlyArray<TopologySpreadConstraint> | undefined
): ReadonlyArray<FieldError> => {
  const errors: Array<FieldError> = []
  const seen = new Set<string>()
  ;(constraints ?? []).forEach((c, i) => {
    const cat = `${at}[${i}]`
    const [maxSkew, topologyKey, whenUnsatisfiable] = [c.maxSkew ?? 0, c.topologyKey ?? "", c.whenUnsatisfiable ?? ""]
    if (maxSkew <= 0) errors.push(V.invalid(`${cat}.maxSkew`, maxSkew, "must be greater than zero"))
    if (topologyKey === "") errors.push(V.required(`${cat}.topologyKey`, "can not be empty"))
    else errors.push(...V.qualifiedName(topologyKey).map((m) => V.invalid(`${cat}.topologyKey`, topologyKey, m)))
    // Unlike most enums, an empty whenUnsatisfiable is "Unsupported", not "Required".
    if (!["DoNotSchedule", "ScheduleAnyway"].includes(whenUnsatisfiable)) {
      errors.push(V.notSupported(`${cat}.whenUnsatisfiable`, whenUnsatisfiable, ["DoNotSchedule", "ScheduleAnyway"]))
    }
    if (c.minDomains !== undefined) {
      if (c.minDomains <= 0) errors.push(V.invalid(`${cat}.minDomains`, c.minDomains, "must be greater than 0"))
      else if (whenUnsatisfiable !== "DoNotSchedule") {
        errors.push(
          V.invalid(
            `${cat}.minDomains`,
            c.minDomains,
            "can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway"
          )
        )
      }
    }
    for (const [name, policy] of [
      ["nodeAffinityPolicy", c.nodeAffinityPolicy],
      ["nodeTaintsPolicy", c.nodeTaintsPolicy]
    ] as const) {
      if (policy !== undefined) errors.push(...V.supported(`${cat}.${name}`, policy, ["Honor", "Ignore"]))
    }
    errors.push(...LabelSelector.validate(`${cat}.labelSelector`, c.labelSelector))
    const pair = `{${topologyKey}, ${whenUnsatisfiable}}`
    if (seen.has(pair)) errors.push(V.duplicate(`${cat}.{topologyKey, whenUnsatisfiable}`, pair))
    seen.add(pair)
  })
  return errors
}
