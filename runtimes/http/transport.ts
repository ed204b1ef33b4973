/**
 * The HTTP `Transport`: carries an `ApiRequest` to a (minik8s or Kubernetes) API server with
 * `@effect/platform`'s HttpClient over undici, and turns the answer back into an `ApiResponse`
 * (a watch or a pod's log as a stream read as it arrives).
 * No retries here: callers (informers, controllers) decide.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Undici from "@effect/platform-node/Undici"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { pipe } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { InternalError, toStatus } from "../../core/api/errors.js"
import type { ApiRequest, ApiResponse, WatchLine } from "../../core/apiserver/ApiRequest.js"
import { Transport, Unreachable } from "../../core/client/Transport.js"

/** Where the API server is and how to present ourselves to it. */
export interface Options {
  /** The API server's base URL, e.g. `http://127.0.0.1:6443`. */
  readonly server: string
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string
  /** PEM of the authority an `https://` server's certificate must chain to (default: the system's). */
  readonly certificateAuthority?: string
  /**
   * Limit on one whole exchange (default 60 s); watches run until either side ends them, and a
   * log's text until it ends once its answer has begun.
   */
  readonly timeout?: Duration.DurationInput
}

/** `watch=1` / `watch=true`, or the legacy `/watch/` path, as the API server reads them. */
const isWatch = (request: ApiRequest): boolean => {
  const watch = request.query.get("watch")
  return watch === "1" || watch === "true" || /^\/(api\/[^/]+|apis\/[^/]+\/[^/]+)\/watch\//.test(request.path)
}

/** `pods/{name}/log`, whose answer is text read as it comes. */
const isLog = (request: ApiRequest): boolean => /^\/api\/v1\/namespaces\/[^/]+\/pods\/[^/]+\/log$/.test(request.path)

// Hop-by-hop and body headers are set by the HTTP client itself.
const ownHeaders = new Set(["content-type", "content-length", "host", "connection", "transfer-encoding"])

const encoder = new TextEncoder()

const toHttpRequest = (request: ApiRequest, options: Options): HttpClientRequest.HttpClientRequest => {
  const search = request.query.toString()
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(request.headers)) if (!ownHeaders.has(name)) headers[name] = value
  const contentType = request.headers["content-type"] ?? "application/json"
  return pipe(
    HttpClientRequest.make(request.method)(
      `${options.server.replace(/\/+$/, "")}${request.path}${search === "" ? "" : `?${search}`}`
    ),
    HttpClientRequest.setHeaders(headers),
    options.token === undefined ? (r) => r : HttpClientRequest.bearerToken(options.token),
    request.body === undefined
      ? (r) => r
      : HttpClientRequest.bodyUint8Array(
          request.body._tag === "Raw" ? request.body.bytes : encoder.encode(JSON.stringify(request.body.value)),
          contentType
        )
  )
}

const unreachable = (request: ApiRequest, error: HttpClientError.HttpClientError): Unreachable => {
  const cause = error.cause as { code?: string; message?: string } | undefined
  const why = cause?.message ?? cause?.code ?? error.message
  return new Unreachable({ message: `${request.method} ${request.path}: ${why}` })
}

/** One JSON object per line; a garbled line surfaces as an ERROR event rather than vanishing. */
const watchLine = (line: string): WatchLine => {
  try {
    return JSON.parse(line) as WatchLine
  } catch {
    return {
      type: "ERROR",
      object: toStatus(new InternalError({ message: `malformed watch event: ${line.slice(0, 200)}` }))
    }
  }
}

const fromHttpResponse = (
  request: ApiRequest,
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<ApiResponse, HttpClientError.HttpClientError> => {
  const headers: Record<string, string> = { ...response.headers }
  if (response.status === 200 && isWatch(request)) {
    return Effect.succeed({
      _tag: "Watch",
      status: 200,
      headers,
      events: response.stream.pipe(
        Stream.decodeText(),
        Stream.splitLines,
        Stream.filter((line) => line.trim() !== ""),
        Stream.map(watchLine),
        // A broken connection ends the watch, as the server closing it would: the caller re-watches.
        Stream.catchAll(() => Stream.empty)
      )
    })
  }
  if (response.status >= 200 && response.status < 300 && isLog(request)) {
    return Effect.succeed({
      _tag: "TextStream",
      status: response.status,
      headers,
      // A broken connection ends the log, as the server closing it would.
      body: response.stream.pipe(
        Stream.decodeText(),
        Stream.catchAll(() => Stream.empty)
      )
    })
  }
  return Effect.map(response.text, (text): ApiResponse => {
    if ((headers["content-type"] ?? "").includes("json")) {
      try {
        return { _tag: "Json", status: response.status, headers, body: text === "" ? null : JSON.parse(text) }
      } catch {
        // Not JSON after all: hand it over as text.
      }
    }
    return { _tag: "Text", status: response.status, headers, body: text }
  })
}

/** The Transport over an already-provided HttpClient. */
export const make = (options: Options): Effect.Effect<Transport["Type"], never, HttpClient.HttpClient> =>
  Effect.map(HttpClient.HttpClient, (httpClient) => {
    // No spans, no trace headers: nothing here reads them, and a span per request costs 2-3% of a create.
    const client = HttpClient.withTracerDisabledWhen(HttpClient.withTracerPropagation(httpClient, false), () => true)
    const timeout = Duration.decode(options.timeout ?? "60 seconds")
    return Transport.of({
      request: (request) => {
        const exchange = client
          .execute(toHttpRequest(request, options))
          .pipe(Effect.flatMap((response) => fromHttpResponse(request, response)))
        return (
          isWatch(request)
            ? exchange
            : Effect.timeoutFail(exchange, {
                duration: timeout,
                onTimeout: () =>
                  new Unreachable({
                    message: `${request.method} ${request.path}: no answer within ${Duration.format(timeout)}`
                  })
              })
        ).pipe(
          Effect.catchTags({
            RequestError: (error) => Effect.fail(unreachable(request, error)),
            ResponseError: (error) => Effect.fail(unreachable(request, error))
          })
        )
      }
    })
  })

/** The HTTP Transport with its own connection pool, closed (with every open watch) when the layer's scope closes. */
export const layer = (options: Options): Layer.Layer<Transport> =>
  Layer.effect(Transport, make(options)).pipe(
    Layer.provide(
      options.certificateAuthority === undefined
        ? NodeHttpClient.layerUndici
        : NodeHttpClient.layerUndiciWithoutDispatcher.pipe(
            Layer.provide(
              Layer.scoped(
                NodeHttpClient.Dispatcher,
                Effect.acquireRelease(
                  Effect.sync(() => new Undici.Agent({ connect: { ca: options.certificateAuthority } })),
                  (agent) => Effect.promise(() => agent.destroy())
                )
              )
            )
          )
    )
  )
