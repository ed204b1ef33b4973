import * as k8s from "@kubernetes/client-node"
import { describe, expect, it } from "@effect/vitest"
import * as HttpServer from "@effect/platform/HttpServer"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as NodeHttp from "node:http"
import * as YAML from "yaml"
import type { Pod } from "../../core/api/Pod.js"
import { Pods } from "../../core/api/Pod.js"
import type { ApiRequest } from "../../core/apiserver/ApiRequest.js"
import * as ApiServer from "../../core/apiserver/ApiServer.js"
import * as Client from "../../core/client/Client.js"
import { testClient } from "../../core/client/ClientSuite.js"
import { Transport } from "../../core/client/Transport.js"
import * as MemoryStore from "../../core/store/MemoryStore.js"
import { Store } from "../../core/store/Store.js"
import { kubeconfig } from "./kubeconfig.js"
import * as Server from "./server.js"
import * as HttpTransport from "./transport.js"

type ApiServerOptions = Parameters<typeof ApiServer.layer>[0]

/** The API server on 127.0.0.1:0 over the Store in context. */
const serverLayer = (options: ApiServerOptions = {}, http: Partial<Server.Options> = {}) =>
  Server.layer({ port: 0, host: "127.0.0.1", ...http }).pipe(Layer.provide(ApiServer.layer(options)))

/** The HTTP transport pointed at the server in context. */
const transportLayer = (token?: string) =>
  Layer.unwrapEffect(
    Effect.map(Server.serverUrl, (server) => HttpTransport.layer(token === undefined ? { server } : { server, token }))
  )

testClient(
  "HTTP",
  Client.layer.pipe(
    Layer.provide(transportLayer()),
    Layer.provide(serverLayer()),
    Layer.provideMerge(MemoryStore.layer)
  )
)

const request = (method: ApiRequest["method"], path: string, query = "", body?: ApiRequest["body"]): ApiRequest => ({
  method,
  path,
  query: new URLSearchParams(query),
  headers: { accept: "application/json", "content-type": "application/json" },
  ...(body === undefined ? {} : { body })
})

const podJson = (name: string) =>
  JSON.stringify({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name },
    spec: { containers: [{ name: "main", image: "nginx:1.27" }] }
  })

/** A POST with the body sent in chunks without a content-length, as a streaming client would. */
const postChunked = (url: string, path: string, chunks: number, size: number) =>
  Effect.async<{ status: number; body: string }, Error>((resume) => {
    const req = NodeHttp.request(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" } })
    req.on("response", (res) => {
      let body = ""
      res.on("data", (chunk: Buffer) => (body += chunk.toString()))
      res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, body })))
    })
    req.on("error", (error) => resume(Effect.fail(error)))
    const write = (left: number): void => {
      if (left === 0) req.end()
      else req.write(Buffer.alloc(size, 0x20), () => write(left - 1))
    }
    write(chunks)
    return Effect.sync(() => req.destroy())
  })

/** Real sockets close asynchronously: poll (bounded) until the condition holds. */
const eventually = <E, R>(condition: Effect.Effect<boolean, E, R>) =>
  condition.pipe(
    Effect.repeat({ until: (ok) => ok, schedule: Schedule.spaced("5 millis") }),
    Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => new Error("condition not reached in 5 s") })
  )

describe("HTTP server and transport", () => {
  const withServer = <A, E>(
    body: Effect.Effect<A, E, Transport | Store | HttpServer.HttpServer>,
    options: { api?: ApiServerOptions; http?: Partial<Server.Options>; token?: string } = {}
  ) =>
    Effect.provide(
      body,
      transportLayer(options.token).pipe(
        Layer.provideMerge(serverLayer(options.api, options.http)),
        Layer.provideMerge(MemoryStore.layer)
      )
    )

  it.live("a server that is not there is Unreachable", () =>
    Effect.gen(function* () {
      // Bind a port and close the server again: nothing listens there any more.
      const server = yield* Effect.provide(Server.serverUrl, serverLayer().pipe(Layer.provide(MemoryStore.layer)))
      const error = yield* Transport.pipe(
        Effect.flatMap((transport) => transport.request(request("GET", "/version"))),
        Effect.flip,
        Effect.provide(HttpTransport.layer({ server }))
      )
      expect(error._tag).toBe("Unreachable")
      expect(error.message).toContain("ECONNREFUSED")
    })
  )

  it.live("a body over the limit is a 413 Status, with or without a content-length", () =>
    withServer(
      Effect.gen(function* () {
        const transport = yield* Transport
        const big = yield* transport.request(
          request("POST", "/api/v1/namespaces/default/pods", "", { _tag: "Raw", bytes: new Uint8Array(4096) })
        )
        expect(big.status).toBe(413)
        expect(big._tag === "Json" && (big.body as { reason: string }).reason).toBe("RequestEntityTooLarge")
        const chunked = yield* postChunked(yield* Server.serverUrl, "/api/v1/namespaces/default/pods", 64, 1024)
        expect(chunked.status).toBe(413)
        expect(JSON.parse(chunked.body).code).toBe(413)
        // The server still answers afterwards, and a body under the limit goes through.
        const ok = yield* transport.request(
          request("POST", "/api/v1/namespaces/default/pods", "", {
            _tag: "Raw",
            bytes: new TextEncoder().encode(podJson("small"))
          })
        )
        expect(ok.status).toBe(201)
      }),
      { http: { maxRequestBytes: 1024 } }
    )
  )

  it.live("raw bytes reach the API server with their content type (YAML)", () =>
    withServer(
      Effect.gen(function* () {
        const transport = yield* Transport
        const yaml = YAML.stringify(JSON.parse(podJson("from-yaml")))
        const response = yield* transport.request({
          ...request("POST", "/api/v1/namespaces/default/pods"),
          headers: { accept: "application/json", "content-type": "application/yaml" },
          body: { _tag: "Raw", bytes: new TextEncoder().encode(yaml) }
        })
        expect(response.status).toBe(201)
        expect(response._tag === "Json" && (response.body as Pod).metadata.name).toBe("from-yaml")
      })
    )
  )

  it.live("Warning headers come through", () =>
    withServer(
      Effect.gen(function* () {
        const transport = yield* Transport
        const body = { ...JSON.parse(podJson("warned")), spec: { ...JSON.parse(podJson("x")).spec, bogus: 1 } }
        const response = yield* transport.request(
          request("POST", "/api/v1/namespaces/default/pods", "fieldValidation=Warn", { _tag: "Parsed", value: body })
        )
        expect(response.status).toBe(201)
        expect(response.headers["warning"]).toContain('unknown field \\"spec.bogus\\"')
      })
    )
  )

  it.live("a watch answers at once, before any event", () =>
    withServer(
      Effect.gen(function* () {
        const transport = yield* Transport
        const listed = yield* transport.request(request("GET", "/api/v1/namespaces/default/pods"))
        const rv =
          listed._tag === "Json"
            ? (listed.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion
            : ""
        // Watching from the list's revision: nothing to replay, so only the headers can arrive.
        const response = yield* transport
          .request(request("GET", "/api/v1/namespaces/default/pods", `watch=1&resourceVersion=${rv}`))
          .pipe(Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => new Error("no headers in 5 s") }))
        expect(response._tag).toBe("Watch")
        expect(response.headers["content-type"]).toContain("application/json")
        const legacy = yield* transport.request(request("GET", "/api/v1/watch/namespaces/default/pods"))
        expect(legacy._tag).toBe("Watch")
      })
    )
  )

  it.live("a client that goes away ends the server's watch", () =>
    Effect.gen(function* () {
      const store = yield* MemoryStore.make
      yield* Effect.gen(function* () {
        const client = yield* Client.Client
        const events = yield* client.watch(Pods, { namespace: "default" }).pipe(Stream.runDrain, Effect.fork)
        yield* eventually(Effect.map(store.watcherCount, (n) => n === 1))
        yield* Fiber.interrupt(events)
        yield* eventually(Effect.map(store.watcherCount, (n) => n === 0))
      }).pipe(
        Effect.provide(
          Client.layer.pipe(
            Layer.provide(transportLayer()),
            Layer.provide(serverLayer()),
            Layer.provide(Layer.succeed(Store, store))
          )
        )
      )
    })
  )

  it.live("closing the server ends open watches", () =>
    Effect.gen(function* () {
      const store = yield* MemoryStore.make
      const scope = yield* Scope.make()
      const server = yield* Layer.buildWithScope(serverLayer().pipe(Layer.provide(Layer.succeed(Store, store))), scope)
      const url = yield* Effect.provide(Server.serverUrl, server)
      const watching = yield* Effect.flatMap(Client.Client, (client) =>
        Stream.runCollect(client.watch(Pods, { namespace: "default" }))
      ).pipe(Effect.provide(Client.layer.pipe(Layer.provide(HttpTransport.layer({ server: url })))), Effect.fork)
      yield* eventually(Effect.map(store.watcherCount, (n) => n === 1))
      yield* Scope.close(scope, Exit.void)
      expect((yield* Fiber.join(watching)).length).toBe(0)
      yield* eventually(Effect.map(store.watcherCount, (n) => n === 0))
    })
  )

  it.live("a bearer token is sent, and its absence is a 401", () =>
    Effect.gen(function* () {
      const api: ApiServerOptions = { tokens: { s3cret: { user: "admin", groups: [] } } }
      const list = Effect.flatMap(Client.Client, (client) => client.list(Pods, { namespace: "default" }))
      const clientLayer = (token?: string) =>
        Client.layer.pipe(
          Layer.provide(transportLayer(token)),
          Layer.provide(serverLayer(api)),
          Layer.provide(MemoryStore.layer)
        )
      expect((yield* Effect.provide(list, clientLayer("s3cret"))).items).toEqual([])
      const error = yield* Effect.flip(Effect.provide(list, clientLayer()))
      expect(error._tag).toBe("Unauthorized")
      const wrong = yield* Effect.flip(Effect.provide(list, clientLayer("guess")))
      expect(wrong._tag).toBe("Unauthorized")
    })
  )
})

describe("kubeconfig", () => {
  it("is a standard kubeconfig with one cluster, user and context named minik8s", () => {
    const config = YAML.parse(kubeconfig({ server: "http://127.0.0.1:6443", token: "t0k", namespace: "team" }))
    expect(config).toEqual({
      apiVersion: "v1",
      kind: "Config",
      preferences: {},
      clusters: [{ name: "minik8s", cluster: { server: "http://127.0.0.1:6443", "insecure-skip-tls-verify": true } }],
      users: [{ name: "minik8s", user: { token: "t0k" } }],
      contexts: [{ name: "minik8s", context: { cluster: "minik8s", user: "minik8s", namespace: "team" } }],
      "current-context": "minik8s"
    })
  })

  it.live("lets @kubernetes/client-node reach the server with the token", () =>
    Effect.gen(function* () {
      const server = yield* Server.serverUrl
      const config = new k8s.KubeConfig()
      config.loadFromString(kubeconfig({ server, token: "s3cret", namespace: "default" }))
      expect(config.getContextObject(config.getCurrentContext())?.namespace).toBe("default")
      const core = config.makeApiClient(k8s.CoreV1Api)
      yield* Effect.promise(() =>
        core.createNamespacedPod({ namespace: "default", body: JSON.parse(podJson("from-client-node")) })
      )
      const pods = yield* Effect.promise(() => core.listNamespacedPod({ namespace: "default" }))
      expect(pods.items.map((p) => p.metadata?.name)).toEqual(["from-client-node"])
      const namespaces = yield* Effect.promise(() => core.listNamespace())
      expect(namespaces.items.map((n) => n.metadata?.name)).toContain("default")
    }).pipe(
      Effect.provide(
        serverLayer({ tokens: { s3cret: { user: "admin", groups: [] } } }).pipe(Layer.provide(MemoryStore.layer))
      )
    )
  )
})
