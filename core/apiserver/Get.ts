/**
 * get (GET of one object or its status): the current object, stamped with its resourceVersion,
 * in the negotiated format.
 */
import * as Effect from "effect/Effect"
import type { ApiError } from "../api/errors.js"
import type { KubeObject } from "../api/meta.js"
import type { ApiResponse } from "./ApiRequest.js"
import { type RequestScope, respondObject } from "./RequestScope.js"
import * as ResourceVersion from "./ResourceVersion.js"
import { objectKey } from "./StorageKey.js"
import { interpret } from "./StoreErrors.js"

/** Reads the object the scope names; 404 when there is none. */
export const read = (scope: RequestScope): Effect.Effect<KubeObject, ApiError> =>
  Effect.matchEffect(scope.store.get(objectKey(scope.resource, scope.namespace, scope.name!)), {
    onFailure: (e) => Effect.fail(interpret(scope.resource, scope.name!, e)),
    onSuccess: (entry) => Effect.succeed(ResourceVersion.stamp(entry))
  })

/** Handles GET of an object. */
export const get = (scope: RequestScope): Effect.Effect<ApiResponse, ApiError> =>
  Effect.matchEffect(scope.store.get(objectKey(scope.resource, scope.namespace, scope.name!)), {
    onFailure: (e) => Effect.fail(interpret(scope.resource, scope.name!, e)),
    onSuccess: (entry) => respondObject(scope, 200, ResourceVersion.stamp(entry))
  })
