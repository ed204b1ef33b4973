/**
 * How a component reaches the API server: in process (a direct call of the handler, or through
 * the simulated network) or over HTTP (`runtimes/http`). The Client is the same over all of them.
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { ApiServer } from "../apiserver/ApiServer.js"
import type { ApiRequest, ApiResponse } from "../apiserver/ApiRequest.js"

/** The request did not reach the server, or its answer did not come back (connection refused, reset, partition). */
export class Unreachable extends Data.TaggedError("Unreachable")<{ readonly message: string }> {}

export class Transport extends Context.Tag("minik8s/Transport")<
  Transport,
  {
    readonly request: (request: ApiRequest) => Effect.Effect<ApiResponse, Unreachable>
  }
>() {}

/** The in-process transport: calls the API server's handler directly. */
export const layerInProcess: Layer.Layer<Transport, never, ApiServer> = Layer.effect(
  Transport,
  Effect.map(ApiServer, (server) => ({ request: server.handle }))
)
