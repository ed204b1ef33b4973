/**
 * The apps/v1 Deployment: replicas rolled out through ReplicaSets with the RollingUpdate
 * (maxSurge, maxUnavailable) or Recreate strategy; defaulting, validation and kubectl's columns.
 */
import * as Schema from "effect/Schema"
import type { FieldError } from "./errors.js"
import { Int32, Int64, IntOrString, percent } from "./IntOrString.js"
import * as LabelSelector from "./LabelSelector.js"
import { ObjectMeta } from "./meta.js"
import { defaultPodTemplate, PodTemplateSpec } from "./PodSpec.js"
import { replicasScale, validateSelectorAndTemplate, workloadColumns } from "./ReplicaSet.js"
import { requiredField } from "./requiredField.js"
import { ageColumn, nameColumn, type ResourceType } from "./resource.js"
import * as V from "./validation.js"

const opt = Schema.optional
const id = (name: string) => ({ identifier: `io.k8s.api.apps.v1.${name}` })

export const RollingUpdateDeployment = Schema.Struct({
  maxUnavailable: opt(IntOrString),
  maxSurge: opt(IntOrString)
}).annotations(id("RollingUpdateDeployment"))

export const DeploymentStrategy = Schema.Struct({
  type: opt(Schema.String),
  rollingUpdate: opt(RollingUpdateDeployment)
}).annotations(id("DeploymentStrategy"))
export type DeploymentStrategy = typeof DeploymentStrategy.Type

export const DeploymentSpec = Schema.Struct({
  replicas: opt(Int32),
  selector: requiredField(LabelSelector.LabelSelector),
  template: requiredField(PodTemplateSpec),
  strategy: opt(DeploymentStrategy),
  minReadySeconds: opt(Int32),
  revisionHistoryLimit: opt(Int32),
  paused: opt(Schema.Boolean),
  progressDeadlineSeconds: opt(Int32)
}).annotations(id("DeploymentSpec"))
export type DeploymentSpec = typeof DeploymentSpec.Type

export const DeploymentCondition = Schema.Struct({
  type: requiredField(Schema.String),
  status: requiredField(Schema.String),
  lastUpdateTime: opt(Schema.NullOr(Schema.String)),
  lastTransitionTime: opt(Schema.NullOr(Schema.String)),
  reason: opt(Schema.String),
  message: opt(Schema.String)
}).annotations(id("DeploymentCondition"))
export type DeploymentCondition = typeof DeploymentCondition.Type

export const DeploymentStatus = Schema.Struct({
  observedGeneration: opt(Int64),
  replicas: opt(Int32),
  updatedReplicas: opt(Int32),
  readyReplicas: opt(Int32),
  availableReplicas: opt(Int32),
  unavailableReplicas: opt(Int32),
  terminatingReplicas: opt(Int32),
  conditions: opt(Schema.Array(DeploymentCondition)),
  collisionCount: opt(Int32)
}).annotations(id("DeploymentStatus"))
export type DeploymentStatus = typeof DeploymentStatus.Type

export const Deployment = Schema.Struct({
  apiVersion: Schema.Literal("apps/v1"),
  kind: Schema.Literal("Deployment"),
  metadata: ObjectMeta,
  spec: opt(DeploymentSpec),
  status: opt(DeploymentStatus)
}).annotations(id("Deployment"))
export type Deployment = typeof Deployment.Type

/** SetDefaults_Deployment (apps/v1) and the template's pod spec defaults (an absent spec is Go's zero value). */
export const defaults = (d: Deployment): Deployment => {
  const spec = d.spec ?? {}
  const type = spec.strategy?.type ?? "RollingUpdate"
  const rollingUpdate = spec.strategy?.rollingUpdate
  const strategy: DeploymentStrategy =
    type === "RollingUpdate"
      ? {
          ...spec.strategy,
          type,
          rollingUpdate: {
            ...rollingUpdate,
            maxUnavailable: rollingUpdate?.maxUnavailable ?? "25%",
            maxSurge: rollingUpdate?.maxSurge ?? "25%"
          }
        }
      : { ...spec.strategy, type }
  return {
    ...d,
    spec: {
      ...spec,
      replicas: spec.replicas ?? 1,
      strategy,
      revisionHistoryLimit: spec.revisionHistoryLimit ?? 10,
      progressDeadlineSeconds: spec.progressDeadlineSeconds ?? 600,
      template: defaultPodTemplate(spec.template)
    }
  }
}

/** ValidatePositiveIntOrPercent: a non-negative integer or an "N%" string. */
const intOrPercent = (field: string, v: IntOrString | undefined): ReadonlyArray<FieldError> => {
  if (v === undefined) return []
  if (typeof v === "number") return V.nonNegative(field, v)
  return percent(v) === undefined
    ? [
        V.invalid(
          field,
          v,
          "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"
        )
      ]
    : []
}

const isZero = (v: IntOrString | undefined) => (typeof v === "number" ? v === 0 : v !== undefined && percent(v) === 0)

const validateStrategy = (strategy: DeploymentStrategy | undefined): ReadonlyArray<FieldError> => {
  const type = strategy?.type
  const rollingUpdate = strategy?.rollingUpdate
  if (type === "Recreate") {
    return rollingUpdate === undefined
      ? []
      : [V.forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'")]
  }
  if (type !== "RollingUpdate") return [V.notSupported("spec.strategy.type", type ?? "", ["Recreate", "RollingUpdate"])]
  if (rollingUpdate === undefined) {
    return [V.required("spec.strategy.rollingUpdate", "this should be defaulted and never be nil")]
  }
  const errors: Array<FieldError> = [
    ...intOrPercent("spec.strategy.rollingUpdate.maxUnavailable", rollingUpdate.maxUnavailable),
    ...intOrPercent("spec.strategy.rollingUpdate.maxSurge", rollingUpdate.maxSurge)
  ]
  if (isZero(rollingUpdate.maxUnavailable) && isZero(rollingUpdate.maxSurge)) {
    errors.push(
      V.invalid(
        "spec.strategy.rollingUpdate.maxUnavailable",
        rollingUpdate.maxUnavailable,
        "may not be 0 when `maxSurge` is 0"
      )
    )
  }
  const unavailablePercent =
    rollingUpdate.maxUnavailable === undefined ? undefined : percent(rollingUpdate.maxUnavailable)
  if (unavailablePercent !== undefined && unavailablePercent > 100) {
    errors.push(
      V.invalid(
        "spec.strategy.rollingUpdate.maxUnavailable",
        rollingUpdate.maxUnavailable,
        "must not be greater than 100%"
      )
    )
  }
  return errors
}

/** ValidateDeployment / ValidateDeploymentUpdate (the selector is immutable in apps/v1). */
export const validate = (d: Deployment, old: Deployment | undefined): ReadonlyArray<FieldError> => {
  const spec = d.spec ?? {}
  const errors: Array<FieldError> = [
    ...V.metadata(d.metadata, old?.metadata, true, V.nameIsDNSSubdomain),
    ...V.nonNegative("spec.replicas", spec.replicas),
    ...validateSelectorAndTemplate(spec.selector, spec.template),
    ...validateStrategy(spec.strategy),
    ...V.nonNegative("spec.minReadySeconds", spec.minReadySeconds),
    ...V.nonNegative("spec.revisionHistoryLimit", spec.revisionHistoryLimit)
  ]
  if (spec.progressDeadlineSeconds !== undefined) {
    errors.push(...V.nonNegative("spec.progressDeadlineSeconds", spec.progressDeadlineSeconds))
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      errors.push(
        V.invalid("spec.progressDeadlineSeconds", spec.progressDeadlineSeconds, "must be greater than minReadySeconds")
      )
    }
  }
  if (old !== undefined) errors.push(...V.immutable("spec.selector", spec.selector, old.spec?.selector))
  return errors
}

export const Deployments: ResourceType<Deployment> = {
  group: "apps",
  version: "v1",
  kind: "Deployment",
  plural: "deployments",
  singular: "deployment",
  shortNames: ["deploy"],
  namespaced: true,
  categories: ["all"],
  schema: Deployment,
  defaults,
  validate,
  fields: {},
  columns: [
    nameColumn("deployment"),
    {
      name: "Ready",
      type: "string",
      priority: 0,
      description: "Number of the pod with ready state.",
      cell: (d) => `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 1}`
    },
    {
      name: "Up-to-date",
      type: "integer",
      priority: 0,
      description:
        "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
      cell: (d) => d.status?.updatedReplicas ?? 0
    },
    {
      name: "Available",
      type: "integer",
      priority: 0,
      description: "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
      cell: (d) => d.status?.availableReplicas ?? 0
    },
    ageColumn("deployment"),
    ...workloadColumns<Deployment>()
  ],
  statusSubresource: true,
  scale: replicasScale<Deployment>(),
  hasGeneration: true
}
