/**
 * The core/v1 PodSpec and the PodTemplateSpec workloads embed: defaulting (SetDefaults_PodSpec)
 * and validation (ValidatePodSpec, ValidatePodTemplateSpec) shared by pods and templates.
 */
import * as Schema from "effect/Schema"
import { Container, defaultContainer, ResourceList, ResourceRequirements, validateContainer } from "./Container.js"
import type { FieldError } from "./errors.js"
import { Int32, Int64 } from "./IntOrString.js"
import { ObjectMeta, StringMap } from "./meta.js"
import { requiredField } from "./requiredField.js"
import {
  Affinity,
  TopologySpreadConstraint,
  Toleration,
  validateAffinity,
  validateTolerations,
  validateTopologySpread
} from "./SchedulingConstraints.js"
import * as V from "./validation.js"

const opt = Schema.optional
const id = (name: string) => ({ identifier: `io.k8s.api.core.v1.${name}` })
/** A struct that keeps fields we do not interpret, so they round-trip unchanged. */
const loose = <F extends Schema.Struct.Fields>(fields: F) =>
  Schema.Struct(fields, Schema.Record({ key: Schema.String, value: Schema.Unknown }))

export const Volume = loose({ name: requiredField(Schema.String) }).annotations(id("Volume"))

export const PodSpec = Schema.Struct({
  volumes: opt(Schema.Array(Volume)),
  initContainers: opt(Schema.Array(Container)),
  containers: requiredField(Schema.Array(Container)),
  ephemeralContainers: opt(Schema.Array(Schema.Unknown)),
  restartPolicy: opt(Schema.String),
  terminationGracePeriodSeconds: opt(Int64),
  activeDeadlineSeconds: opt(Int64),
  dnsPolicy: opt(Schema.String),
  nodeSelector: opt(StringMap),
  serviceAccountName: opt(Schema.String),
  serviceAccount: opt(Schema.String),
  automountServiceAccountToken: opt(Schema.Boolean),
  nodeName: opt(Schema.String),
  hostNetwork: opt(Schema.Boolean),
  hostPID: opt(Schema.Boolean),
  hostIPC: opt(Schema.Boolean),
  shareProcessNamespace: opt(Schema.Boolean),
  securityContext: opt(Schema.Unknown),
  imagePullSecrets: opt(Schema.Array(Schema.Struct({ name: opt(Schema.String) }))),
  hostname: opt(Schema.String),
  subdomain: opt(Schema.String),
  affinity: opt(Affinity),
  schedulerName: opt(Schema.String),
  tolerations: opt(Schema.Array(Toleration)),
  hostAliases: opt(Schema.Array(Schema.Unknown)),
  priorityClassName: opt(Schema.String),
  priority: opt(Int32),
  dnsConfig: opt(Schema.Unknown),
  readinessGates: opt(
    Schema.Array(Schema.Struct({ conditionType: requiredField(Schema.String) }).annotations(id("PodReadinessGate")))
  ),
  runtimeClassName: opt(Schema.String),
  enableServiceLinks: opt(Schema.Boolean),
  preemptionPolicy: opt(Schema.String),
  overhead: opt(ResourceList),
  topologySpreadConstraints: opt(Schema.Array(TopologySpreadConstraint)),
  setHostnameAsFQDN: opt(Schema.Boolean),
  os: opt(Schema.Unknown),
  hostUsers: opt(Schema.Boolean),
  schedulingGates: opt(
    Schema.Array(Schema.Struct({ name: requiredField(Schema.String) }).annotations(id("PodSchedulingGate")))
  ),
  resourceClaims: opt(Schema.Array(Schema.Unknown)),
  resources: opt(ResourceRequirements)
}).annotations(id("PodSpec"))
export type PodSpec = typeof PodSpec.Type

/** The pod a workload stamps out (`spec.template`). */
export const PodTemplateSpec = Schema.Struct({
  metadata: opt(ObjectMeta),
  spec: opt(PodSpec)
}).annotations(id("PodTemplateSpec"))
export type PodTemplateSpec = typeof PodTemplateSpec.Type

/** SetDefaults_PodSpec and its containers: what a pod template gets too. */
export const defaultPodSpec = (spec: PodSpec): PodSpec => {
  // One copy, then fields set: the key order of a spread with overrides.
  const out: { -readonly [K in keyof PodSpec]: PodSpec[K] } = { ...spec }
  if (spec.containers !== undefined) out.containers = spec.containers.map(defaultContainer)
  if (spec.initContainers !== undefined) out.initContainers = spec.initContainers.map(defaultContainer)
  out.restartPolicy = spec.restartPolicy ?? "Always"
  out.terminationGracePeriodSeconds = spec.terminationGracePeriodSeconds ?? 30
  out.dnsPolicy = spec.dnsPolicy ?? "ClusterFirst"
  out.securityContext = spec.securityContext ?? {}
  out.schedulerName = spec.schedulerName ?? "default-scheduler"
  return out
}

/** A template's pod spec defaulted as a workload's `spec.template` is (an absent one is Go's zero PodSpec). */
export const defaultPodTemplate = (t: PodTemplateSpec | undefined): PodTemplateSpec => ({
  ...t,
  spec: defaultPodSpec(t?.spec ?? {})
})

/** ValidatePodSpec at `at` (`spec`, or `spec.template.spec` for workloads). */
export const validatePodSpec = (at: string, spec: PodSpec): ReadonlyArray<FieldError> => {
  const errors: Array<FieldError> = []
  const volumes = new Set<string>()
  ;(spec.volumes ?? []).forEach((v, i) => {
    const name = v.name ?? ""
    if (name === "") errors.push(V.required(`${at}.volumes[${i}].name`))
    else errors.push(...V.dns1123Label(name).map((m) => V.invalid(`${at}.volumes[${i}].name`, name, m)))
    if (volumes.has(name)) errors.push(V.duplicate(`${at}.volumes[${i}].name`, name))
    volumes.add(name)
  })
  const containers = spec.containers ?? []
  if (containers.length === 0) errors.push(V.required(`${at}.containers`))
  const names = new Set<string>()
  const each = (list: ReadonlyArray<Container>, field: string, init: boolean) =>
    list.forEach((c, i) => {
      const name = c.name ?? ""
      errors.push(...validateContainer(`${at}.${field}[${i}]`, c, init))
      if (name !== "" && names.has(name)) errors.push(V.duplicate(`${at}.${field}[${i}].name`, name))
      names.add(name)
    })
  each(spec.initContainers ?? [], "initContainers", true)
  each(containers, "containers", false)
  errors.push(...V.supported(`${at}.restartPolicy`, spec.restartPolicy, ["Always", "OnFailure", "Never"]))
  errors.push(
    ...V.supported(`${at}.dnsPolicy`, spec.dnsPolicy, ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"])
  )
  errors.push(...V.labels(`${at}.nodeSelector`, spec.nodeSelector))
  errors.push(...V.nonNegative(`${at}.terminationGracePeriodSeconds`, spec.terminationGracePeriodSeconds))
  if (
    spec.activeDeadlineSeconds !== undefined &&
    (spec.activeDeadlineSeconds < 1 || spec.activeDeadlineSeconds > 2147483647)
  ) {
    errors.push(
      V.invalid(
        `${at}.activeDeadlineSeconds`,
        spec.activeDeadlineSeconds,
        "must be between 1 and 2147483647, inclusive"
      )
    )
  }
  for (const [field, value] of [
    ["nodeName", spec.nodeName],
    ["serviceAccountName", spec.serviceAccountName]
  ] as const) {
    if (value !== undefined && value !== "") {
      errors.push(...V.dns1123Subdomain(value).map((m) => V.invalid(`${at}.${field}`, value, m)))
    }
  }
  for (const [field, value] of [
    ["hostname", spec.hostname],
    ["subdomain", spec.subdomain]
  ] as const) {
    if (value !== undefined && value !== "")
      errors.push(...V.dns1123Label(value).map((m) => V.invalid(`${at}.${field}`, value, m)))
  }
  errors.push(...validateTolerations(`${at}.tolerations`, spec.tolerations))
  errors.push(...validateAffinity(`${at}.affinity`, spec.affinity))
  errors.push(...validateTopologySpread(`${at}.topologySpreadConstraints`, spec.topologySpreadConstraints))
  ;(spec.readinessGates ?? []).forEach((g, i) => {
    const conditionType = g.conditionType ?? ""
    const field = `${at}.readinessGates[${i}].conditionType`
    errors.push(...V.qualifiedName(conditionType).map((m) => V.invalid(field, conditionType, m)))
  })
  const gates = new Set<string>()
  ;(spec.schedulingGates ?? []).forEach((g, i) => {
    const name = g.name ?? ""
    errors.push(...V.qualifiedName(name).map((m) => V.invalid(`${at}.schedulingGates[${i}]`, name, m)))
    if (gates.has(name)) errors.push(V.duplicate(`${at}.schedulingGates[${i}]`, name))
    gates.add(name)
  })
  if (spec.preemptionPolicy !== undefined) {
    errors.push(...V.supported(`${at}.preemptionPolicy`, spec.preemptionPolicy, ["PreemptLowerPriority", "Never"]))
  }
  return errors
}

/** ValidatePodTemplateSpec at `at`: template labels and the pod spec. */
export const validatePodTemplate = (at: string, t: PodTemplateSpec): ReadonlyArray<FieldError> => [
  ...V.labels(`${at}.metadata.labels`, t.metadata?.labels),
  ...V.annotations(`${at}.metadata.annotations`, t.metadata?.annotations),
  ...validatePodSpec(`${at}.spec`, t.spec ?? {})
]
