/**
 * The apps/v1 ReplicaSet: keeps `spec.replicas` pods matching its selector running from its
 * template. Also the rules a workload's selector and template share with Deployment
 * (ValidatePodTemplateSpecForReplicaSet) and the wide columns both print.
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type { FieldError } from "./errors.js"
import { Int32, Int64 } from "./IntOrString.js"
import * as LabelSelector from "./LabelSelector.js"
import { ObjectMeta } from "./meta.js"
import { defaultPodTemplate, PodTemplateSpec, validatePodTemplate } from "./PodSpec.js"
import { requiredField } from "./requiredField.js"
import { ageColumn, type Column, nameColumn, type ResourceType, type ScaleSubresource } from "./resource.js"
import * as V from "./validation.js"

const opt = Schema.optional

export const ReplicaSetCondition = Schema.Struct({
  type: requiredField(Schema.String),
  status: requiredField(Schema.String),
  lastTransitionTime: opt(Schema.NullOr(Schema.String)),
  reason: opt(Schema.String),
  message: opt(Schema.String)
}).annotations({ identifier: "io.k8s.api.apps.v1.ReplicaSetCondition" })

export const ReplicaSetSpec = Schema.Struct({
  replicas: opt(Int32),
  minReadySeconds: opt(Int32),
  selector: requiredField(LabelSelector.LabelSelector),
  template: requiredField(PodTemplateSpec)
}).annotations({ identifier: "io.k8s.api.apps.v1.ReplicaSetSpec" })
export type ReplicaSetSpec = typeof ReplicaSetSpec.Type

export const ReplicaSetStatus = Schema.Struct({
  replicas: opt(Int32),
  fullyLabeledReplicas: opt(Int32),
  readyReplicas: opt(Int32),
  availableReplicas: opt(Int32),
  terminatingReplicas: opt(Int32),
  observedGeneration: opt(Int64),
  conditions: opt(Schema.Array(ReplicaSetCondition))
}).annotations({ identifier: "io.k8s.api.apps.v1.ReplicaSetStatus" })

export const ReplicaSet = Schema.Struct({
  apiVersion: Schema.Literal("apps/v1"),
  kind: Schema.Literal("ReplicaSet"),
  metadata: ObjectMeta,
  spec: opt(ReplicaSetSpec),
  status: opt(ReplicaSetStatus)
}).annotations({ identifier: "io.k8s.api.apps.v1.ReplicaSet" })
export type ReplicaSet = typeof ReplicaSet.Type

/** SetDefaults_ReplicaSet: one replica; the template's pod spec defaults (an absent spec is Go's zero value). */
export const defaults = (rs: ReplicaSet): ReplicaSet => ({
  ...rs,
  spec: { ...rs.spec, replicas: rs.spec?.replicas ?? 1, template: defaultPodTemplate(rs.spec?.template) }
})

/**
 * The selector/template rules Deployment and ReplicaSet share: a required, non-empty, valid
 * selector that matches the template's labels, a template whose pods restart Always and have no
 * deadline.
 */
export const validateSelectorAndTemplate = (
  selector: LabelSelector.LabelSelector | undefined,
  template: PodTemplateSpec | undefined
): ReadonlyArray<FieldError> => {
  const errors: Array<FieldError> = []
  if (selector === undefined) errors.push(V.required("spec.selector"))
  else {
    errors.push(...LabelSelector.validate("spec.selector", selector))
    if (
      (selector.matchLabels === undefined || Object.keys(selector.matchLabels).length === 0) &&
      (selector.matchExpressions ?? []).length === 0
    ) {
      errors.push(V.invalid("spec.selector", selector, "empty selector is invalid for deployment"))
    }
  }
  // An absent selector selects nothing (LabelSelectorAsSelector(nil)), so no template matches it.
  const parsed = selector === undefined ? Either.right(undefined) : LabelSelector.fromLabelSelector(selector)
  if (Either.isLeft(parsed)) {
    errors.push(V.invalid("spec.selector", selector, "invalid label selector"))
    return errors
  }
  const labels = template?.metadata?.labels
  const sel = parsed.right
  if (sel === undefined || (!LabelSelector.isEmpty(sel) && !LabelSelector.matches(sel, labels))) {
    errors.push(
      V.invalid(
        "spec.template.metadata.labels",
        new V.StringMapValue(labels),
        "`selector` does not match template `labels`"
      )
    )
  }
  errors.push(...validatePodTemplate("spec.template", template ?? {}))
  const restartPolicy = template?.spec?.restartPolicy
  if (restartPolicy !== undefined && restartPolicy !== "Always") {
    errors.push(V.notSupported("spec.template.spec.restartPolicy", restartPolicy, ["Always"]))
  }
  if (template?.spec?.activeDeadlineSeconds !== undefined) {
    errors.push(
      V.forbidden("spec.template.spec.activeDeadlineSeconds", "activeDeadlineSeconds in ReplicaSet is not Supported")
    )
  }
  return errors
}

/** ValidateReplicaSet / ValidateReplicaSetUpdate (the selector is immutable in apps/v1). */
export const validate = (rs: ReplicaSet, old: ReplicaSet | undefined): ReadonlyArray<FieldError> => [
  ...V.metadata(rs.metadata, old?.metadata, true, V.nameIsDNSSubdomain),
  ...V.nonNegative("spec.replicas", rs.spec?.replicas),
  ...V.nonNegative("spec.minReadySeconds", rs.spec?.minReadySeconds),
  ...validateSelectorAndTemplate(rs.spec?.selector, rs.spec?.template),
  ...(old === undefined ? [] : V.immutable("spec.selector", rs.spec?.selector, old.spec?.selector))
]

/** The scale subresource of a workload with `spec.replicas` and `spec.selector`. */
export const replicasScale = <
  A extends {
    readonly spec?:
      | { readonly replicas?: number | undefined; readonly selector?: LabelSelector.LabelSelector | undefined }
      | undefined
    readonly status?: { readonly replicas?: number | undefined } | undefined
  }
>(): ScaleSubresource<A> => ({
  specReplicas: (obj) => obj.spec?.replicas ?? 1,
  statusReplicas: (obj) => obj.status?.replicas ?? 0,
  withSpecReplicas: (obj, replicas) => ({ ...obj, spec: { ...obj.spec, replicas } }),
  selector: (obj) =>
    obj.spec?.selector === undefined
      ? ""
      : Either.match(LabelSelector.fromLabelSelector(obj.spec.selector), {
          onLeft: () => "",
          onRight: LabelSelector.format
        })
})

/** The wide CONTAINERS, IMAGES and SELECTOR columns of a workload. */
export const workloadColumns = <
  A extends {
    readonly spec?:
      | {
          readonly selector?: LabelSelector.LabelSelector | undefined
          readonly template?: PodTemplateSpec | undefined
        }
      | undefined
  }
>(): ReadonlyArray<Column<A>> => {
  const containers = (obj: A) => obj.spec?.template?.spec?.containers ?? []
  return [
    {
      name: "Containers",
      type: "string",
      priority: 1,
      description: "Names of each container in the template.",
      cell: (obj) =>
        containers(obj)
          .map((c) => c.name ?? "")
          .join(",")
    },
    {
      name: "Images",
      type: "string",
      priority: 1,
      description: "Images referenced by each container in the template.",
      cell: (obj) =>
        containers(obj)
          .map((c) => c.image ?? "")
          .join(",")
    },
    {
      name: "Selector",
      type: "string",
      priority: 1,
      description: "Label selector for pods.",
      cell: (obj) => LabelSelector.formatLabelSelector(obj.spec?.selector)
    }
  ]
}

export const ReplicaSets: ResourceType<ReplicaSet> = {
  group: "apps",
  version: "v1",
  kind: "ReplicaSet",
  plural: "replicasets",
  singular: "replicaset",
  shortNames: ["rs"],
  namespaced: true,
  categories: ["all"],
  schema: ReplicaSet,
  defaults,
  validate,
  fields: {},
  columns: [
    nameColumn("replica set"),
    {
      name: "Desired",
      type: "integer",
      priority: 0,
      description: "Number of desired pods.",
      cell: (rs) => rs.spec?.replicas ?? 1
    },
    {
      name: "Current",
      type: "integer",
      priority: 0,
      description: "Number of actual pods.",
      cell: (rs) => rs.status?.replicas ?? 0
    },
    {
      name: "Ready",
      type: "integer",
      priority: 0,
      description: "Number of ready pods.",
      cell: (rs) => rs.status?.readyReplicas ?? 0
    },
    ageColumn("replica set"),
    ...workloadColumns<ReplicaSet>()
  ],
  statusSubresource: true,
  scale: replicasScale<ReplicaSet>(),
  hasGeneration: true
}
