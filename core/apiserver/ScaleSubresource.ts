/**
 * The `scale` subresource of deployments and replica sets: an autoscaling/v1 Scale built from the
 * workload (spec.replicas, status.replicas, status.selector); writing one sets the workload's
 * spec.replicas through the ordinary update path (so generation counts it).
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { type ApiError, invalid } from "../api/errors.js"
import type { KubeObject } from "../api/meta.js"
import { decode } from "../api/decode.js"
import { Scale } from "../api/Scale.js"
import type { ApiResponse } from "./ApiRequest.js"
import { read } from "./Get.js"
import { applyPatch, patchTypeOf, readPatch } from "./Patcher.js"
import * as RequestBody from "./RequestBody.js"
import { dryRunOf, fieldValidationOf, type RequestScope } from "./RequestScope.js"
import { nameMismatch } from "./ObjectIdentity.js"
import { json, warningHeaders } from "./Responses.js"
import type { Resource } from "./Route.js"
import { preconditionOf, type Proposal, updateObject } from "./Update.js"

const scaleType = { group: "autoscaling", version: "v1", kind: "Scale", schema: Scale } as const

/** The Scale of a workload. */
export const scaleOf = (rt: Resource, obj: KubeObject): Scale => {
  const scale = rt.scale!
  const { name, namespace, uid, resourceVersion, creationTimestamp } = obj.metadata
  return {
    apiVersion: "autoscaling/v1",
    kind: "Scale",
    metadata: {
      ...(name === undefined ? {} : { name }),
      ...(namespace === undefined ? {} : { namespace }),
      ...(uid === undefined ? {} : { uid }),
      ...(resourceVersion === undefined ? {} : { resourceVersion }),
      ...(creationTimestamp === undefined ? {} : { creationTimestamp })
    },
    spec: { replicas: scale.specReplicas(obj) },
    status: { replicas: scale.statusReplicas(obj), selector: scale.selector(obj) }
  }
}

/** Handles GET of `{workload}/scale`. */
export const getScale = (scope: RequestScope): Effect.Effect<ApiResponse, ApiError> =>
  Effect.map(read(scope), (obj) => json(200, scaleOf(scope.resource, obj)))

/** Decodes a Scale and turns it into the workload it asks for. */
const proposeFrom = (
  scope: RequestScope,
  current: KubeObject,
  body: unknown,
  mode: "Strict" | "Warn" | "Ignore"
): Either.Either<{ readonly proposal: Proposal; readonly warnings: ReadonlyArray<string> }, ApiError> =>
  Either.gen(function* () {
    const { object: scale, warnings } = yield* decode(scaleType, body, mode)
    const name = scale.metadata.name ?? ""
    if (name !== scope.name) return yield* Either.left(nameMismatch(name, scope.name))
    const replicas = scale.spec?.replicas ?? 0
    if (replicas < 0) {
      return yield* Either.left(
        invalid("Scale", "autoscaling", name, [
          {
            type: "FieldValueInvalid",
            field: "spec.replicas",
            message: `Invalid value: ${replicas}: must be greater than or equal to 0`
          }
        ])
      )
    }
    const precondition = yield* preconditionOf(scale)
    const object = scope.resource.scale!.withSpecReplicas(current, replicas)
    return { proposal: precondition === undefined ? { object } : { object, precondition }, warnings }
  })

/** Handles PUT (`patchDocument` undefined) or PATCH of `{workload}/scale`. */
export const writeScale = (scope: RequestScope, method: "PUT" | "PATCH"): Effect.Effect<ApiResponse, ApiError> =>
  Effect.gen(function* () {
    const mode = yield* fieldValidationOf(scope.request.query)
    const dryRun = yield* dryRunOf(scope.request.query)
    const patchType = method === "PATCH" ? yield* patchTypeOf(scope.request.headers["content-type"]) : undefined
    const document =
      patchType === undefined
        ? yield* RequestBody.readObject(scope.request, scope.config.maxRequestBytes)
        : yield* readPatch(scope, patchType)
    let warnings: ReadonlyArray<string> = []
    const propose = (current: KubeObject) =>
      Either.gen(function* () {
        const body =
          patchType === undefined
            ? document
            : yield* applyPatch(patchType, "Scale", scaleOf(scope.resource, current), document)
        const proposed = yield* proposeFrom(scope, current, body, mode)
        warnings = proposed.warnings
        return proposed.proposal
      })
    const updated = yield* updateObject(scope, scope.name!, "object", propose, dryRun)
    return json(200, scaleOf(scope.resource, updated), warningHeaders(warnings))
  })
