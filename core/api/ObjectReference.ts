/**
 * `core/v1 ObjectReference`: a pointer to another object, as events, bindings and endpoint
 * addresses carry it.
 */
import * as Schema from "effect/Schema"

export const ObjectReference = Schema.Struct({
  kind: Schema.optional(Schema.String),
  namespace: Schema.optional(Schema.String),
  name: Schema.optional(Schema.String),
  uid: Schema.optional(Schema.String),
  apiVersion: Schema.optional(Schema.String),
  resourceVersion: Schema.optional(Schema.String),
  fieldPath: Schema.optional(Schema.String)
}).annotations({ identifier: "io.k8s.api.core.v1.ObjectReference" })
export type ObjectReference = typeof ObjectReference.Type
