/**
 * get (GET of one object or its status): the current object, stamped with its resourceVersion,
 * in the negotiated format.
 */
import * as Effect from "effect/Effect"
import type { ApiError } from "../api/errors.js"
import type { ApiResponse } from "./ApiRequest.js"
import { type RequestScope, respondObject } from "./RequestScope.js"
import * as ResourceVersion from "./ResourceVersion.js"
import { objectKey } from "./StorageKey.js"
import { interpret } from "./StoreErrors.js"

/** Reads the object the scope names; 404 when there is none. */
export const read = (scope: RequestScope) =>
  scope.store.get(objectKey(scope.resource, scope.namespace, scope.name!)).pipe(
    Effect.map((entry) => ResourceVersion.stamp(entry)),
    Effect.mapError((e) => interpret(scope.resource, scope.name!, e))
  )

/** Handles GET of an object. */
export const get = (scope: RequestScope): Effect.Effect<ApiResponse, ApiError> =>
  Effect.flatMap(read(scope), (obj) => respondObject(scope, 200, obj))
