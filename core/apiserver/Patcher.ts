/**
 * patch (PATCH): the patch type comes from Content-Type — JSON merge patch, JSON patch, or
 * strategic merge patch for our built-in kinds; server-side apply is refused with 415. The patch
 * is applied to the current object and the result goes on as an update, retried on conflict
 * unless the patch itself carries a resourceVersion.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { type ApiError, BadRequest, Invalid, RequestEntityTooLarge, UnsupportedMediaType } from "../api/errors.js"
import type { KubeObject } from "../api/meta.js"
import type { UpdateScope } from "./Admission.js"
import type { ApiResponse } from "./ApiRequest.js"
import { isObject } from "./JsonValue.js"
import { jsonPatch, mergePatch, strategicMergePatch } from "./patch.js"
import * as RequestBody from "./RequestBody.js"
import { decodeBody, dryRunOf, fieldValidationOf, type RequestScope, respondObject } from "./RequestScope.js"
import { warningHeaders } from "./Responses.js"
import { placeAtUrl, preconditionOf, type Proposal, updateObject } from "./Update.js"

export type PatchType = "json" | "merge" | "strategic"

/** The patch type of a Content-Type; 415 for server-side apply and unknown types. */
export const patchTypeOf = (contentType: string | undefined): Either.Either<PatchType, UnsupportedMediaType> => {
  switch (RequestBody.mediaTypeOf(contentType)) {
    case "application/json-patch+json":
      return Either.right("json")
    case "application/merge-patch+json":
      return Either.right("merge")
    case "application/strategic-merge-patch+json":
      return Either.right("strategic")
    case "application/apply-patch+yaml":
    case "application/apply-patch+cbor":
      return Either.left(
        new UnsupportedMediaType({
          message:
            "server-side apply is not supported by this server: use client-side apply (kubectl apply without --server-side)"
        })
      )
    default:
      return Either.left(
        new UnsupportedMediaType({
          message: `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`
        })
      )
  }
}

/** Kubernetes' cap on the operations of one JSON patch (maxJSONPatchOperations). */
export const maxJsonPatchOperations = 10_000

/**
 * Reads the patch document: JSON, an array of operations for a JSON patch and an object otherwise
 * (400 if not); 413 for a JSON patch of more than `maxJsonPatchOperations` operations.
 */
export const readPatch = (scope: RequestScope, type: PatchType): Effect.Effect<unknown, ApiError> =>
  Effect.flatMap(
    RequestBody.readOptional(scope.request, "json", scope.config.maxRequestBytes),
    (patch): Effect.Effect<unknown, BadRequest | RequestEntityTooLarge> => {
      if (patch === undefined) return Effect.fail(new BadRequest({ message: "the patch is empty" }))
      if (type === "json") {
        const wellFormed =
          Array.isArray(patch) &&
          patch.every((op) => isObject(op) && typeof op.op === "string" && typeof op.path === "string")
        if (!wellFormed)
          return Effect.fail(
            new BadRequest({ message: 'a JSON patch must be an array of operations with "op" and "path"' })
          )
        return patch.length > maxJsonPatchOperations
          ? Effect.fail(
              new RequestEntityTooLarge({
                message: `Request entity too large: The allowed maximum operations in a JSON patch is ${maxJsonPatchOperations}, got ${patch.length}`
              })
            )
          : Effect.succeed(patch)
      }
      return isObject(patch)
        ? Effect.succeed(patch)
        : Effect.fail(new BadRequest({ message: "a merge patch must be a JSON object" }))
    }
  )

/** Applies a patch document to a JSON object; a patch that cannot apply is 422. */
export const applyPatch = (
  type: PatchType,
  kind: string,
  target: unknown,
  patch: unknown
): Either.Either<unknown, Invalid> => {
  const result =
    type === "merge"
      ? Either.right(mergePatch(target, patch))
      : type === "json"
        ? jsonPatch(target, patch)
        : strategicMergePatch(kind, target, patch)
  return Either.mapLeft(result, (message) => new Invalid({ message: `the patch could not be applied: ${message}` }))
}

/** Handles PATCH of an object or of its status. */
export const patch = (scope: RequestScope, updateScope: UpdateScope): Effect.Effect<ApiResponse, ApiError> =>
  Effect.gen(function* () {
    const rt = scope.resource
    const type = yield* patchTypeOf(scope.request.headers["content-type"])
    const mode = yield* fieldValidationOf(scope.request.query)
    const dryRun = yield* dryRunOf(scope.request.query)
    const document = yield* readPatch(scope, type)
    // The warnings of the attempt that was stored (a conflict re-runs the patch on the newer object).
    let warnings: ReadonlyArray<string> = []
    const propose = (current: KubeObject): Either.Either<Proposal, ApiError> =>
      Either.gen(function* () {
        const patched = yield* applyPatch(type, rt.kind, current, document)
        const decoded = yield* decodeBody(rt, patched, mode)
        warnings = decoded.warnings
        const placed = yield* placeAtUrl(scope, decoded.object)
        const precondition = yield* preconditionOf(placed)
        return precondition === undefined ? { object: placed } : { object: placed, precondition }
      })
    const updated = yield* updateObject(scope, scope.name!, updateScope, propose, dryRun)
    return yield* respondObject(scope, 200, updated, warningHeaders(warnings))
  })
