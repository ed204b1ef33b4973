/**
 * The coordination.k8s.io/v1 Lease: a holder's claim, renewed periodically; kubelets use one
 * per node as a heartbeat and controllers use them for leader election.
 */
import * as Schema from "effect/Schema"
import type { FieldError } from "./errors.js"
import { Int32 } from "./IntOrString.js"
import { ObjectMeta } from "./meta.js"
import { ageColumn, nameColumn, type ResourceType } from "./resource.js"
import * as V from "./validation.js"

const opt = Schema.optional

export const LeaseSpec = Schema.Struct({
  holderIdentity: opt(Schema.String),
  leaseDurationSeconds: opt(Int32),
  /** RFC 3339 with microseconds (`metav1.MicroTime`). */
  acquireTime: opt(Schema.String),
  renewTime: opt(Schema.String),
  leaseTransitions: opt(Int32),
  strategy: opt(Schema.String),
  preferredHolder: opt(Schema.String)
}).annotations({ identifier: "io.k8s.api.coordination.v1.LeaseSpec" })
export type LeaseSpec = typeof LeaseSpec.Type

export const Lease = Schema.Struct({
  apiVersion: Schema.Literal("coordination.k8s.io/v1"),
  kind: Schema.Literal("Lease"),
  metadata: ObjectMeta,
  spec: opt(LeaseSpec)
}).annotations({ identifier: "io.k8s.api.coordination.v1.Lease" })
export type Lease = typeof Lease.Type

/** ValidateLease / ValidateLeaseUpdate. */
export const validate = (lease: Lease, old: Lease | undefined): ReadonlyArray<FieldError> => [
  ...V.metadata(lease.metadata, old?.metadata, true, V.nameIsDNSSubdomain),
  ...V.positive("spec.leaseDurationSeconds", lease.spec?.leaseDurationSeconds),
  ...V.nonNegative("spec.leaseTransitions", lease.spec?.leaseTransitions)
]

export const Leases: ResourceType<Lease> = {
  group: "coordination.k8s.io",
  version: "v1",
  kind: "Lease",
  plural: "leases",
  singular: "lease",
  shortNames: [],
  namespaced: true,
  categories: [],
  schema: Lease,
  defaults: (lease) => lease,
  validate,
  fields: {},
  columns: [
    nameColumn("lease"),
    {
      name: "Holder",
      type: "string",
      priority: 0,
      description: "The current holder.",
      cell: (l) => l.spec?.holderIdentity ?? ""
    },
    ageColumn("lease")
  ],
  statusSubresource: false,
  hasGeneration: false
}
