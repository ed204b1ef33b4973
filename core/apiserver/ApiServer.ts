/**
 * The API server as a service: one `handle` for every request, whatever carried it.
 * It never fails: errors come back as `Status` bodies with their HTTP code.
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { ApiRequest, ApiResponse } from "./ApiRequest.js"

export class ApiServer extends Context.Tag("minik8s/ApiServer")<
  ApiServer,
  {
    readonly handle: (request: ApiRequest) => Effect.Effect<ApiResponse>
  }
>() {}
