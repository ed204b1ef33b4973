/**
 * The API server over HTTP: maps each HTTP exchange to an `ApiRequest` for the `ApiServer`
 * handler and writes its `ApiResponse` back (JSON, text, streamed text such as a followed log,
 * or a watch as one JSON object per line, flushed per event), on Node's HTTP server (listening and
 * closing through `@effect/platform`'s NodeHttpServer), over TLS when given a certificate. A client
 * that goes away ends its stream.
 */
import * as HttpServer from "@effect/platform/HttpServer"
import type { ServeError } from "@effect/platform/HttpServerError"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
import * as Stream from "effect/Stream"
import * as Http from "node:http"
import * as Https from "node:https"
import { BadRequest, InternalError, MethodNotAllowed, RequestEntityTooLarge, toStatus } from "../../core/api/errors.js"
import type { ApiError } from "../../core/api/errors.js"
import type { ApiRequest, ApiResponse, Method, WatchLine } from "../../core/apiserver/ApiRequest.js"
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
  const given = source.headers
  for (const name in given) {
    const value = given[name]
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value
  }
  return headers
}

/** A whole answer in one write: status, headers and body (HEAD answers drop the body themselves). */
const send = (
  response: Http.ServerResponse,
  status: number,
  headers: Readonly<Record<string, string>>,
  defaultType: string,
  body: string
): void => {
  response.writeHead(status, {
    ...headers,
    "content-type": headers["content-type"] ?? defaultType,
    "content-length": Buffer.byteLength(body)
  })
  response.end(body)
}

const sendStatus = (response: Http.ServerResponse, error: ApiError, headers: Record<string, string> = {}): void =>
  send(response, error.code, headers, "application/json", JSON.stringify(toStatus(error)))

/** Writes the pieces as they come (chunked), waiting for the socket to drain when it is full, then ends. */
const sendStream = <A>(
  response: Http.ServerResponse,
  status: number,
  headers: Readonly<Record<string, string>>,
  defaultType: string,
  pieces: Stream.Stream<A>,
  text: (piece: A) => string
): Effect.Effect<void> => {
  response.writeHead(status, { ...headers, "content-type": headers["content-type"] ?? defaultType })
  // Headers go out at once: the client's watch (or log) starts before any event.
  response.flushHeaders()
  const drained = Effect.async<void>((resume) => {
    const onDrain = () => resume(Effect.void)
    response.once("drain", onDrain)
    return Effect.sync(() => response.off("drain", onDrain))
  })
  // What came together goes out in one write (one TLS record, one system call), at once.
  return Stream.runForEachChunk(pieces, (chunk) => {
    let written = ""
    for (const piece of chunk) written += text(piece)
    return written === "" || response.write(written) ? Effect.void : drained
  }).pipe(Effect.zipRight(Effect.sync(() => response.end())))
}

const watchLine = (line: WatchLine) => JSON.stringify(line) + "\n"
const asIs = (text: string) => text

/** Writes the handler's answer: JSON and text at once, a followed log or a watch as it comes. */
const respond = (response: Http.ServerResponse, answer: ApiResponse): Effect.Effect<void> => {
  switch (answer._tag) {
    case "Json":
      return Effect.sync(() =>
        send(response, answer.status, answer.headers, "application/json", JSON.stringify(answer.body))
      )
    case "Text":
      return Effect.sync(() => send(response, answer.status, answer.headers, "text/plain; charset=utf-8", answer.body))
    case "TextStream":
      return sendStream(response, answer.status, answer.headers, "text/plain", answer.body, asIs)
    case "Watch":
      return sendStream(response, 200, answer.headers, "application/json", answer.events, watchLine)
  }
}

/** One request: its body read, one ApiServer call, the answer written. */
const serve = (
  api: ApiServer["Type"],
  maxRequestBytes: number,
  source: Http.IncomingMessage,
  response: Http.ServerResponse
): Effect.Effect<void> =>
  Effect.gen(function* () {
    const method = source.method ?? "GET"
    if (!methods.has(method)) {
      return sendStatus(response, new MethodNotAllowed({ message: `the server does not allow the method ${method}` }))
    }
    const url = yield* Effect.try({
      try: () => new URL(source.url ?? "/", "http://localhost"),
      catch: () => new BadRequest({ message: `malformed request URL: ${source.url}` })
    })
    const body = yield* readBody(source, maxRequestBytes)
    const apiRequest: ApiRequest = {
      method: method as Method,
      path: url.pathname,
      query: url.searchParams,
      headers: headersOf(source),
      ...(body === undefined ? {} : { body: { _tag: "Raw", bytes: body } })
    }
    const started = yield* Clock.currentTimeMillis
    const answer = yield* api.handle(apiRequest)
    // Kubernetes' httplog: one line per request (a watch's when it starts), built only at debug level.
    yield* Effect.whenLogLevel(
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.logDebug("request").pipe(
          Effect.annotateLogs({
            verb: method,
            uri: source.url,
            status: answer.status,
            latency: `${now - started}ms`,
            userAgent: source.headers["user-agent"] ?? ""
          })
        )
      ),
      "Debug"
    )
    yield* respond(response, answer)
  }).pipe(
    Effect.catchAll((error) =>
      // After a refused body the connection may still carry its rest: close it rather than parse it.
      Effect.sync(() =>
        sendStatus(response, error, error._tag === "RequestEntityTooLarge" ? { connection: "close" } : {})
      )
    ),
    Effect.catchAllDefect((defect) =>
      Effect.sync(() => {
        // A defect once the answer has begun can only cut it short.
        if (response.headersSent) response.destroy()
        else sendStatus(response, new InternalError({ message: `internal error: ${String(defect)}` }))
      })
    )
  )

/**
 * Serves the ApiServer on `host:port` until the layer's scope closes; closing also cuts open
 * watches and keep-alive connections, so the port is free again at once. Each request is one
 * fiber, with no span (nothing reads them; Kubernetes traces only when configured); a client that
 * goes away before its answer is complete interrupts it.
 */
export const layer = (options: Options): Layer.Layer<HttpServer.HttpServer, ServeError, ApiServer> =>
  Layer.scoped(
    HttpServer.HttpServer,
    Effect.gen(function* () {
      const api = yield* ApiServer
      const runFork = Runtime.runFork(yield* Effect.runtime<never>())
      const maxRequestBytes = options.maxRequestBytes ?? defaultMaxRequestBytes
      const node = options.tls === undefined ? Http.createServer() : Https.createServer(options.tls)
      const server = yield* NodeHttpServer.make(() => node, { port: options.port, host: options.host ?? "127.0.0.1" })
      const onRequest = (source: Http.IncomingMessage, response: Http.ServerResponse) => {
        const fiber = runFork(serve(api, maxRequestBytes, source, response))
        response.on("close", () => {
          if (!response.writableEnded) fiber.unsafeInterruptAsFork(FiberId.none)
        })
      }
      node.on("request", onRequest)
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => {
          node.off("request", onRequest)
          node.closeAllConnections()
        })
      )
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
