/**
 * Object metadata shared by every kind (`metav1.ObjectMeta`, `TypeMeta`, `OwnerReference`,
 * `ListMeta`). Types equal their JSON form: timestamps are RFC 3339 strings, so objects go to
 * the store and the wire unchanged.
 */
import * as Schema from "effect/Schema"
import { requiredField } from "./requiredField.js"

export const StringMap = Schema.Record({ key: Schema.String, value: Schema.String })

// Required in Kubernetes' OpenAPI, but a missing one is validation's 422, not the decoder's 400.
export const OwnerReference = Schema.Struct({
  apiVersion: requiredField(Schema.String),
  kind: requiredField(Schema.String),
  name: requiredField(Schema.String),
  uid: requiredField(Schema.String),
  controller: Schema.optional(Schema.Boolean),
  blockOwnerDeletion: Schema.optional(Schema.Boolean)
}).annotations({ identifier: "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference" })
export type OwnerReference = typeof OwnerReference.Type

export const ManagedFieldsEntry = Schema.Struct({
  manager: Schema.optional(Schema.String),
  operation: Schema.optional(Schema.String),
  apiVersion: Schema.optional(Schema.String),
  time: Schema.optional(Schema.String),
  fieldsType: Schema.optional(Schema.String),
  fieldsV1: Schema.optional(Schema.Unknown),
  subresource: Schema.optional(Schema.String)
}).annotations({ identifier: "io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry" })

export const ObjectMeta = Schema.Struct({
  name: Schema.optional(Schema.String),
  generateName: Schema.optional(Schema.String),
  namespace: Schema.optional(Schema.String),
  uid: Schema.optional(Schema.String),
  resourceVersion: Schema.optional(Schema.String),
  generation: Schema.optional(Schema.Number),
  creationTimestamp: Schema.optional(Schema.NullOr(Schema.String)),
  deletionTimestamp: Schema.optional(Schema.String),
  deletionGracePeriodSeconds: Schema.optional(Schema.Number),
  labels: Schema.optional(StringMap),
  annotations: Schema.optional(StringMap),
  ownerReferences: Schema.optional(Schema.Array(OwnerReference)),
  finalizers: Schema.optional(Schema.Array(Schema.String)),
  managedFields: Schema.optional(Schema.Array(ManagedFieldsEntry)),
  selfLink: Schema.optional(Schema.String)
}).annotations({ identifier: "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" })
export type ObjectMeta = typeof ObjectMeta.Type

export const ListMeta = Schema.Struct({
  resourceVersion: Schema.optional(Schema.String),
  continue: Schema.optional(Schema.String),
  remainingItemCount: Schema.optional(Schema.Number)
}).annotations({ identifier: "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta" })
export type ListMeta = typeof ListMeta.Type

/** What every stored API object has. */
export interface KubeObject {
  readonly apiVersion: string
  readonly kind: string
  readonly metadata: ObjectMeta
}

/** A list as the API returns it (`PodList` …). */
export interface KubeList<A extends KubeObject = KubeObject> {
  readonly apiVersion: string
  readonly kind: string
  readonly metadata: ListMeta
  readonly items: ReadonlyArray<A>
}
