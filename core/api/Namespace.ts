/**
 * The core/v1 Namespace: its `kubernetes` finalizer (added by the API server on create, held
 * until the namespace is emptied), phase Active/Terminating, validation, field selectors and
 * kubectl's columns.
 */
import * as Schema from "effect/Schema"
import type { FieldError } from "./errors.js"
import { ObjectMeta } from "./meta.js"
import { requiredField } from "./requiredField.js"
import { ageColumn, nameColumn, type ResourceType } from "./resource.js"
import * as V from "./validation.js"

const opt = Schema.optional

export const NamespaceCondition = Schema.Struct({
  type: requiredField(Schema.String),
  status: requiredField(Schema.String),
  lastTransitionTime: opt(Schema.NullOr(Schema.String)),
  reason: opt(Schema.String),
  message: opt(Schema.String)
}).annotations({ identifier: "io.k8s.api.core.v1.NamespaceCondition" })

export const NamespaceSpec = Schema.Struct({ finalizers: opt(Schema.Array(Schema.String)) }).annotations({
  identifier: "io.k8s.api.core.v1.NamespaceSpec"
})

export const NamespaceStatus = Schema.Struct({
  phase: opt(Schema.String),
  conditions: opt(Schema.Array(NamespaceCondition))
}).annotations({ identifier: "io.k8s.api.core.v1.NamespaceStatus" })

export const Namespace = Schema.Struct({
  apiVersion: Schema.Literal("v1"),
  kind: Schema.Literal("Namespace"),
  metadata: ObjectMeta,
  spec: opt(NamespaceSpec),
  status: opt(NamespaceStatus)
}).annotations({ identifier: "io.k8s.api.core.v1.Namespace" })
export type Namespace = typeof Namespace.Type

/**
 * SetDefaults_NamespaceStatus: phase Active unless set. The `kubernetes` finalizer is not a
 * default (the API server adds it on create) so that removing it through `finalize` sticks.
 */
export const defaults = (ns: Namespace): Namespace => ({
  ...ns,
  status: { ...ns.status, phase: ns.status?.phase ?? "Active" }
})

/** ValidateNamespace / ValidateNamespaceUpdate. */
export const validate = (ns: Namespace, old: Namespace | undefined): ReadonlyArray<FieldError> => [
  ...V.metadata(ns.metadata, old?.metadata, false, V.nameIsDNSLabel),
  ...(ns.spec?.finalizers ?? []).flatMap((f, i) => {
    const problems = V.qualifiedName(f)
    if (problems.length > 0) return problems.map((m) => V.invalid(`spec.finalizers[${i}]`, f, m))
    return f.includes("/") || f === "kubernetes"
      ? []
      : [V.invalid(`spec.finalizers[${i}]`, f, "name is neither a standard finalizer name nor is it fully qualified")]
  })
]

export const Namespaces: ResourceType<Namespace> = {
  group: "",
  version: "v1",
  kind: "Namespace",
  plural: "namespaces",
  singular: "namespace",
  shortNames: ["ns"],
  namespaced: false,
  categories: [],
  schema: Namespace,
  defaults,
  validate,
  fields: { "status.phase": (ns) => ns.status?.phase ?? "" },
  columns: [
    nameColumn("namespace"),
    {
      name: "Status",
      type: "string",
      priority: 0,
      description: "The status of the namespace.",
      cell: (ns) => ns.status?.phase ?? ""
    },
    ageColumn("namespace")
  ],
  statusSubresource: true,
  hasGeneration: false
}
