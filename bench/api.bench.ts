/**
 * The API server over HTTP: create + get round trips and the latency of sequential creates, against
 * a bare `node:http` server that echoes the posted JSON. Both are driven by the same client, the
 * project's own `Client` over the HTTP transport, so the ratio is the server's cost alone.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { Pods } from "../core/api/Pod.js"
import * as ApiServer from "../core/apiserver/ApiServer.js"
import * as Client from "../core/client/Client.js"
import * as MemoryStore from "../core/store/MemoryStore.js"
import * as Server from "../runtimes/http/server.js"
import * as HttpTransport from "../runtimes/http/transport.js"
import { type BenchSuite, latencyRows, measureLatency, progress, type Row } from "./harness.js"
import { podManifest } from "./podManifest.js"

/** A server a benchmark talks to, with the client that talks to it. */
export interface Endpoint {
  readonly client: Client.Client["Type"]
  /** Closes the client's connections and the server. */
  readonly close: () => Promise<void>
}

/** The Client over the HTTP transport to `server`; its connection pool lives in `scope`. */
const clientOf = async (server: string, scope: Scope.Scope): Promise<Client.Client["Type"]> => {
  const layer = Client.layer.pipe(Layer.provide(HttpTransport.layer({ server })))
  return Context.get(await Effect.runPromise(Layer.buildWithScope(layer, scope)), Client.Client)
}

const closeScope = (scope: Scope.CloseableScope) => Effect.runPromise(Scope.close(scope, Exit.void))

/**
 * A bare `node:http` server on 127.0.0.1: a request with a body is answered 201 with that body, one
 * without (a GET) 200 with the last body posted, so a create and a get carry what the API server's do.
 */
export const echoEndpoint = async (): Promise<Endpoint> => {
  let last: Buffer = Buffer.from("{}")
  const server = Http.createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      if (chunks.length > 0) last = Buffer.concat(chunks)
      response.writeHead(chunks.length > 0 ? 201 : 200, { "content-type": "application/json" })
      response.end(last)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", resolve)
  })
  const scope = await Effect.runPromise(Scope.make())
  const client = await clientOf(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, scope)
  return {
    client,
    close: async () => {
      await closeScope(scope)
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

/** The minik8s API server over a fresh MemoryStore on 127.0.0.1 (any free port). */
export const apiEndpoint = async (): Promise<Endpoint> => {
  const scope = await Effect.runPromise(Scope.make())
  const layer = Server.layer({ port: 0, host: "127.0.0.1" }).pipe(
    Layer.provide(ApiServer.layer({})),
    Layer.provide(MemoryStore.layer)
  )
  try {
    const server = await Effect.runPromise(Layer.buildWithScope(layer, scope))
    const client = await clientOf(Effect.runSync(Effect.provide(Server.serverUrl, server)), scope)
    return { client, close: () => closeScope(scope) }
  } catch (error) {
    await closeScope(scope)
    throw error
  }
}

/** Creates a pod named `name` and reads it back. */
const createAndGet = (client: Client.Client["Type"], name: string) =>
  Effect.runPromise(Effect.zipRight(client.create(Pods, podManifest(name)), client.get(Pods, name)))

const roundTrips = (): BenchSuite => {
  let echo: Endpoint | undefined
  let api: Endpoint | undefined
  let pods = 0
  return {
    name: "HTTP create + get",
    setup: async () => {
      echo = await echoEndpoint()
      api = await apiEndpoint()
    },
    teardown: async () => {
      await api?.close()
      await echo?.close()
    },
    cases: [
      { name: "node:http echo server", async: true, fn: () => createAndGet(echo!.client, `web-${pods++}`) },
      { name: "API server over MemoryStore", async: true, fn: () => createAndGet(api!.client, `web-${pods++}`) }
    ]
  }
}

/** The suites of this file; each starts its servers in `setup` and closes them in `teardown`. */
export const suites: Array<BenchSuite> = [roundTrips()]

/** `count` sequential creates, timed one by one after `warmUp` untimed ones, on a fresh endpoint closed afterwards. */
const sequentialCreates = async (name: string, start: () => Promise<Endpoint>, count: number, warmUp: number) => {
  const endpoint = await start()
  try {
    progress(`HTTP create latency: ${name} …`)
    for (let i = 0; i < warmUp; i++) await Effect.runPromise(endpoint.client.create(Pods, podManifest(`warm-${i}`)))
    const latency = await measureLatency(count, (i) =>
      Effect.runPromise(Effect.asVoid(endpoint.client.create(Pods, podManifest(`web-${i}`))))
    )
    progress("")
    return { name, latency }
  } finally {
    await endpoint.close()
  }
}

/**
 * HTTP create latency over `count` sequential creates, echo server first as the baseline; `warmUp`
 * (default 200) untimed creates go first, so the JIT has compiled the path being timed.
 */
export const latency = async (options: { readonly count: number; readonly warmUp?: number }): Promise<Row[]> => {
  const warmUp = options.warmUp ?? 200
  return latencyRows(`HTTP create latency (${options.count.toLocaleString("en-US")} sequential)`, [
    await sequentialCreates("node:http echo server", echoEndpoint, options.count, warmUp),
    await sequentialCreates("API server over MemoryStore", apiEndpoint, options.count, warmUp)
  ])
}
