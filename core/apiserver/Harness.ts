/**
 * Test support for the API server's tests: a server over a fresh MemoryStore with a seeded
 * Random, and requests built the way the HTTP adapter builds them.
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as Stream from "effect/Stream"
import * as MemoryStore from "../store/MemoryStore.js"
import { Store } from "../store/Store.js"
import type { ApiRequest, ApiResponse, Method, WatchLine } from "./ApiRequest.js"
import * as ApiServer from "./ApiServer.js"

export interface Harness {
  readonly handle: (request: ApiRequest) => Effect.Effect<ApiResponse>
  readonly store: MemoryStore.MemoryStore
}

/** A server over an empty MemoryStore (plus the system namespaces), with Random seeded. */
export const harness = (options: ApiServer.ApiServerOptions = {}, seed = 42): Effect.Effect<Harness> =>
  Effect.gen(function* () {
    const store = yield* MemoryStore.make
    const server = yield* Effect.provideService(ApiServer.make(options), Store, store)
    const random = Random.make(seed)
    return { handle: (request) => Effect.withRandom(server.handle(request), random), store }
  })

export interface RequestOptions {
  readonly query?: Record<string, string>
  readonly headers?: Record<string, string>
  /** A JSON value sent as Raw JSON bytes. */
  readonly json?: unknown
  /** Raw text sent as the body. */
  readonly text?: string
  /** A value given as an already-parsed body. */
  readonly parsed?: unknown
}

/** A request as the HTTP adapter would build it. */
export const request = (method: Method, path: string, options: RequestOptions = {}): ApiRequest => {
  const raw = options.json !== undefined ? JSON.stringify(options.json) : options.text
  const body =
    options.parsed !== undefined
      ? { _tag: "Parsed" as const, value: options.parsed }
      : raw !== undefined
        ? { _tag: "Raw" as const, bytes: new TextEncoder().encode(raw) }
        : undefined
  return {
    method,
    path,
    query: new URLSearchParams(options.query ?? {}),
    headers: { ...(raw !== undefined ? { "content-type": "application/json" } : {}), ...options.headers },
    ...(body === undefined ? {} : { body })
  }
}

/** A JSON answer's status, body and headers (fails the test on a watch or text answer). */
export const jsonOf = (
  response: ApiResponse
): { status: number; body: any; headers: Readonly<Record<string, string>> } => {
  if (response._tag !== "Json") throw new Error(`expected a JSON answer, got ${response._tag}`)
  return { status: response.status, body: response.body, headers: response.headers }
}

/** Sends a request and reads the JSON answer. */
export const send = (h: Harness, method: Method, path: string, options: RequestOptions = {}) =>
  Effect.map(h.handle(request(method, path, options)), jsonOf)

/** The first `n` lines of a watch answer. */
export const watchLines = (response: ApiResponse, n: number): Effect.Effect<ReadonlyArray<WatchLine>> => {
  if (response._tag !== "Watch") throw new Error(`expected a watch, got ${response._tag} ${JSON.stringify(response)}`)
  return Effect.map(Stream.runCollect(Stream.take(response.events, n)), Chunk.toReadonlyArray)
}

/** A minimal valid pod. */
export const pod = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, ...((extra.metadata as object) ?? {}) },
  spec: { containers: [{ name: "app", image: "nginx:1.27" }], ...((extra.spec as object) ?? {}) }
})

/** A minimal valid deployment. */
export const deployment = (name: string, replicas = 1) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, labels: { app: name } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "app", image: "nginx:1.27" }] } }
  }
})
