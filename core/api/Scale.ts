/**
 * The autoscaling/v1 Scale: what the `scale` subresource of deployments and replica sets
 * reads and writes (`kubectl scale`). Not stored: the API server builds it from the workload.
 */
import * as Schema from "effect/Schema"
import { Int32 } from "./IntOrString.js"
import { ObjectMeta } from "./meta.js"
import { requiredField } from "./requiredField.js"

const opt = Schema.optional

export const ScaleSpec = Schema.Struct({ replicas: opt(Int32) }).annotations({
  identifier: "io.k8s.api.autoscaling.v1.ScaleSpec"
})

export const ScaleStatus = Schema.Struct({
  replicas: requiredField(Int32),
  /** The label selector in string form (`app=web`). */
  selector: opt(Schema.String)
}).annotations({ identifier: "io.k8s.api.autoscaling.v1.ScaleStatus" })

export const Scale = Schema.Struct({
  apiVersion: Schema.Literal("autoscaling/v1"),
  kind: Schema.Literal("Scale"),
  metadata: ObjectMeta,
  spec: opt(ScaleSpec),
  status: opt(ScaleStatus)
}).annotations({ identifier: "io.k8s.api.autoscaling.v1.Scale" })
export type Scale = typeof Scale.Type
