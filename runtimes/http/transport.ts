/**
 * The HTTP `Transport`: carries an `ApiRequest` to a (minik8s or Kubernetes) API server with undici,
 * one `request` call per exchange, and turns the answer back into an `ApiResponse` (a watch or a
 * pod's log as a stream read as it arrives).
 * No retries here: callers (informers, controllers) decide.
 */
import * as NodeStream from "@effect/platform-node/NodeStream"
import * as Undici from "@effect/platform-node/Undici"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import type { IncomingHttpHeaders } from "node:http"
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

/** The request's headers for the wire: its own, the token, and the body's content type. */
const headersOf = (request: ApiRequest, token: string | undefined): Record<string, string> => {
  const headers: Record<string, string> = {}
  for (const name in request.headers) if (!ownHeaders.has(name)) headers[name] = request.headers[name]!
  if (token !== undefined) headers["authorization"] = `Bearer ${token}`
  if (request.body !== undefined) headers["content-type"] = request.headers["content-type"] ?? "application/json"
  return headers
}

const bodyOf = (request: ApiRequest): Uint8Array | string | null =>
  request.body === undefined
    ? null
    : request.body._tag === "Raw"
      ? request.body.bytes
      : JSON.stringify(request.body.value)

/** Several values of one header are read as one, comma-separated (as a Headers object does). */
const responseHeaders = (headers: IncomingHttpHeaders): Record<string, string> => {
  const joined: Record<string, string> = {}
  for (const name in headers) {
    const value = headers[name]
    if (value !== undefined) joined[name] = Array.isArray(value) ? value.join(", ") : value
  }
  return joined
}

const ignore = () => {}

const why = (cause: unknown): string => {
  const error = cause as { code?: string; message?: string } | undefined
  return error?.message || error?.code || String(cause)
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

/** An answer as text: JSON when it says so and parses, else text as it came. */
const textResponse = (status: number, headers: Record<string, string>, text: string): ApiResponse => {
  if ((headers["content-type"] ?? "").includes("json")) {
    try {
      return { _tag: "Json", status, headers, body: text === "" ? null : JSON.parse(text) }
    } catch {
      // Not JSON after all: hand it over as text.
    }
  }
  return { _tag: "Text", status, headers, body: text }
}

/** The Transport over `dispatcher` (an undici Agent, which keeps connections alive). */
export const make = (options: Options, dispatcher: Undici.Dispatcher): Transport["Type"] => {
  const base = new URL(options.server)
  const origin = base.origin
  const basePath = base.pathname.replace(/\/+$/, "")
  const timeout = Duration.decode(options.timeout ?? "60 seconds")
  const timeoutMillis = Duration.toMillis(timeout)

  const request = (request: ApiRequest): Effect.Effect<ApiResponse, Unreachable> =>
    Effect.async<ApiResponse, Unreachable>((resume) => {
      const failed = (cause: unknown) =>
        resume(Effect.fail(new Unreachable({ message: `${request.method} ${request.path}: ${why(cause)}` })))
      const watch = isWatch(request)
      const controller = new AbortController()
      const timer = watch
        ? undefined
        : setTimeout(() => {
            controller.abort()
            resume(
              Effect.fail(
                new Unreachable({
                  message: `${request.method} ${request.path}: no answer within ${Duration.format(timeout)}`
                })
              )
            )
          }, timeoutMillis)
      const done = () => clearTimeout(timer)
      const search = request.query.toString()
      dispatcher.request(
        {
          origin,
          path: `${basePath}${request.path}${search === "" ? "" : `?${search}`}`,
          method: request.method,
          headers: headersOf(request, options.token),
          body: bodyOf(request),
          signal: controller.signal,
          // The exchange's own limit above is the only one; a watch waits as long as it runs.
          headersTimeout: 0,
          bodyTimeout: 0
        },
        (error, response) => {
          if (error !== null) {
            done()
            return failed(error)
          }
          const { statusCode: status, body } = response
          const headers = responseHeaders(response.headers)
          const stream = () =>
            // Ending the stream early destroys the body, which then emits an error nobody waits for.
            NodeStream.fromReadable<Unreachable, Uint8Array>(
              () => body.on("error", ignore),
              (cause) => new Unreachable({ message: `${request.method} ${request.path}: ${why(cause)}` })
            ).pipe(Stream.decodeText())
          if (status === 200 && watch) {
            return resume(
              Effect.succeed({
                _tag: "Watch",
                status,
                headers,
                events: stream().pipe(
                  Stream.splitLines,
                  Stream.filter((line) => line.trim() !== ""),
                  Stream.map(watchLine),
                  // A broken connection ends the watch, as the server closing it would: the caller re-watches.
                  Stream.catchAll(() => Stream.empty)
                )
              })
            )
          }
          if (status >= 200 && status < 300 && isLog(request)) {
            done()
            // A broken connection ends the log, as the server closing it would.
            return resume(
              Effect.succeed({
                _tag: "TextStream",
                status,
                headers,
                body: stream().pipe(Stream.catchAll(() => Stream.empty))
              })
            )
          }
          body.text().then(
            (text) => {
              done()
              resume(Effect.succeed(textResponse(status, headers, text)))
            },
            (cause: unknown) => {
              done()
              failed(cause)
            }
          )
        }
      )
      // Interrupted: the exchange is abandoned, its connection closed.
      return Effect.sync(() => {
        done()
        controller.abort()
      })
    })

  return Transport.of({ request })
}

/** The HTTP Transport with its own connection pool, closed (with every open watch) when the layer's scope closes. */
export const layer = (options: Options): Layer.Layer<Transport> =>
  Layer.scoped(
    Transport,
    Effect.map(
      Effect.acquireRelease(
        Effect.sync(() =>
          options.certificateAuthority === undefined
            ? new Undici.Agent()
            : new Undici.Agent({ connect: { ca: options.certificateAuthority } })
        ),
        (agent) => Effect.promise(() => agent.destroy())
      ),
      (agent) => make(options, agent)
    )
  )
