/**
 * The API server over HTTP: maps each HTTP exchange to an `ApiRequest` for the `ApiServer`
 * handler and writes its `ApiResponse` back (JSON, text, streamed text such as a followed log,
 * or a watch as one JSON object per line, flushed per event), with `@effect/platform`'s
 * HttpServer on Node, over TLS when given a certificate. A client that goes away ends its stream.
 */
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpServer from "@effect/platform/HttpServer"
import type { ServeError } from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as Http from "node:http"
import * as Https from "node:https"
import { BadRequest, InternalError, MethodNotAllowed, RequestEntityTooLarge, toStatus } from "../../core/api/errors.js"
import type { ApiError } from "../../core/api/errors.js"
import type { ApiRequest, ApiResponse, Method } from "../../core/apiserver/ApiRequest.js"
import { ApiServer } from "../../core/apiserver/ApiServer.js"
import { defaultMaxRequestBytes } from "../../core/apiserver/RequestBody.js"

/** Where to listen, and the request body limit. */
export interface Options {
  /** 0 picks a free port (read it back with `serverUrl` or `HttpServer.addressWith`). */
  readonly port: number
  /** Default 127.0.0.1: listening on every interface is an explicit choice. */
  readonly host?: string
  /** Bodies above this are answered 413 without being buffered; default 3 MiB, as Kubernetes. */
  readonly maxRequestBytes?: number
  /** Serve HTTPS with this certificate and key (PEM); default plain HTTP. */
  readonly tls?: { readonly cert: string; readonly key: string }
}

const methods: ReadonlySet<string> = new Set<Method>(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])

const encoder = new TextEncoder()

/** Reads the body up to `limit` bytes; past it, stops keeping bytes and fails. */
const readBody = (
  source: Http.IncomingMessage,
  limit: number
): Effect.Effect<Uint8Array | undefined, RequestEntityTooLarge | BadRequest> =>
  Effect.async((resume) => {
    // Made only when needed: an error captures a stack trace, too dear for every request.
    const tooLarge = () => new RequestEntityTooLarge({ message: `Request entity too large: limit is ${limit}` })
    if (Number(source.headers["content-length"] ?? 0) > limit) return resume(Effect.fail(tooLarge()))
    const chunks: Array<Buffer> = []
    let size = 0
    const detach = () => {
      source.off("data", onData)
      source.off("end", onEnd)
      source.off("error", onError)
    }
    // The stream keeps flowing after `detach`, so the rest of an oversized body is discarded, not buffered.
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        detach()
        resume(Effect.fail(tooLarge()))
      } else chunks.push(chunk)
    }
    const onEnd = () => {
      detach()
      resume(Effect.succeed(size === 0 ? undefined : Buffer.concat(chunks, size)))
    }
    const onError = (error: Error) => {
      detach()
      resume(Effect.fail(new BadRequest({ message: `reading the request body: ${error.message}` })))
    }
    source.on("data", onData)
    source.on("end", onEnd)
    source.on("error", onError)
    return Effect.sync(detach)
  })

const headersOf = (source: Http.IncomingMessage): Record<string, string> => {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(source.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value
  }
  return headers
}

const statusResponse = (error: ApiError, headers: Record<string, string> = {}): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.text(JSON.stringify(toStatus(error)), {
    status: error.code,
    headers,
    contentType: "application/json"
  })

const toHttpResponse = (response: ApiResponse): HttpServerResponse.HttpServerResponse => {
  const { "content-type": contentType, ...headers } = response.headers
  switch (response._tag) {
    case "Json":
      return HttpServerResponse.text(JSON.stringify(response.body), {
        status: response.status,
        headers,
        contentType: contentType ?? "application/json"
      })
    case "Text":
      return HttpServerResponse.text(response.body, {
        status: response.status,
        headers,
        contentType: contentType ?? "text/plain; charset=utf-8"
      })
    case "TextStream":
      return HttpServerResponse.stream(
        // Headers go out at once; each piece of text is written (chunked) as it comes.
        Stream.concat(Stream.succeed(new Uint8Array(0)), Stream.encodeText(response.body)),
        { status: response.status, headers, contentType: contentType ?? "text/plain" }
      )
    case "Watch":
      return HttpServerResponse.stream(
        Stream.concat(
          // An empty first write sends the headers at once, so the client's watch starts before any event.
          Stream.succeed(new Uint8Array(0)),
          Stream.map(response.events, (line) => encoder.encode(JSON.stringify(line) + "\n"))
        ),
        { status: 200, headers, contentType: contentType ?? "application/json" }
      )
  }
}

/** The HTTP app: one ApiServer call per request. */
const app = (
  api: ApiServer["Type"],
  options: { readonly maxRequestBytes?: number } = {}
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest> =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (!methods.has(request.method)) {
      return statusResponse(new MethodNotAllowed({ message: `the server does not allow the method ${request.method}` }))
    }
    const source = NodeHttpServerRequest.toIncomingMessage(request)
    const url = yield* Effect.try({
      try: () => new URL(request.url, "http://localhost"),
      catch: () => new BadRequest({ message: `malformed request URL: ${request.url}` })
    })
    const body = yield* readBody(source, options.maxRequestBytes ?? defaultMaxRequestBytes)
    const apiRequest: ApiRequest = {
      method: request.method as Method,
      path: url.pathname,
      query: url.searchParams,
      headers: headersOf(source),
      ...(body === undefined ? {} : { body: { _tag: "Raw", bytes: body } })
    }
    const started = yield* Clock.currentTimeMillis
    const response = yield* api.handle(apiRequest)
    // Kubernetes' httplog: one line per request (a watch's when it starts), built only at debug level.
    yield* Effect.whenLogLevel(
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.logDebug("request").pipe(
          Effect.annotateLogs({
            verb: request.method,
            uri: request.url,
            status: response.status,
            latency: `${now - started}ms`,
            userAgent: source.headers["user-agent"] ?? ""
          })
        )
      ),
      "Debug"
    )
    return toHttpResponse(response)
  }).pipe(
    Effect.catchAll((error) =>
      // After a refused body the connection may still carry its rest: close it rather than parse it.
      Effect.succeed(statusResponse(error, error._tag === "RequestEntityTooLarge" ? { connection: "close" } : {}))
    ),
    Effect.catchAllDefect((defect) =>
      Effect.succeed(statusResponse(new InternalError({ message: `internal error: ${String(defect)}` })))
    )
  )

/**
 * Serves the ApiServer on `host:port` until the layer's scope closes; closing also cuts open
 * watches and keep-alive connections, so the port is free again at once.
 */
export const layer = (options: Options): Layer.Layer<HttpServer.HttpServer, ServeError, ApiServer> =>
  Layer.scoped(
    HttpServer.HttpServer,
    Effect.gen(function* () {
      const api = yield* ApiServer
      const node = options.tls === undefined ? Http.createServer() : Https.createServer(options.tls)
      const server = yield* NodeHttpServer.make(() => node, { port: options.port, host: options.host ?? "127.0.0.1" })
      yield* Effect.addFinalizer(() => Effect.sync(() => node.closeAllConnections()))
      // No span per request: nothing reads them (as Kubernetes, which traces only when configured).
      yield* HttpMiddleware.withTracerDisabledWhenEffect(server.serve(app(api, options)), () => true)
      return server
    })
  )

const urlOf = (scheme: "http" | "https"): Effect.Effect<string, never, HttpServer.HttpServer> =>
  HttpServer.addressWith((address) =>
    Effect.succeed(
      address._tag === "TcpAddress"
        ? `${scheme}://${hostForUrl(address.hostname)}:${address.port}`
        : HttpServer.formatAddress(address)
    )
  )

/** The URL clients reach the running server at, e.g. `http://127.0.0.1:43817`. */
export const serverUrl: Effect.Effect<string, never, HttpServer.HttpServer> = urlOf("http")

/** The same, for a server given a TLS certificate: `https://127.0.0.1:43817`. */
export const secureServerUrl: Effect.Effect<string, never, HttpServer.HttpServer> = urlOf("https")

const hostForUrl = (hostname: string): string =>
  hostname === "0.0.0.0"
    ? "127.0.0.1"
    : hostname === "::"
      ? "[::1]"
      : hostname.includes(":")
        ? `[${hostname}]`
        : hostname
