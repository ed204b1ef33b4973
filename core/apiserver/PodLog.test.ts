import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as Client from "../client/Client.js"
import { Transport } from "../client/Transport.js"
import type { ApiResponse } from "./ApiRequest.js"
import { harness, type Harness, pod, request, send } from "./Harness.js"
import {
  type ContainerLogOptions,
  KubeletConnection,
  type KubeletEndpoint,
  KubeletRefused,
  KubeletUnreachable
} from "./KubeletConnection.js"

const pods = "/api/v1/namespaces/default/pods"

interface Call {
  readonly endpoint: KubeletEndpoint
  readonly namespace: string
  readonly pod: string
  readonly container: string
  readonly options: ContainerLogOptions
}

type Answer = Effect.Effect<Stream.Stream<string, KubeletUnreachable>, KubeletRefused | KubeletUnreachable>

/** A KubeletConnection that records its calls and answers with `answer`. */
const fakeKubelet = (answer: () => Answer) => {
  const calls: Array<Call> = []
  const connection = KubeletConnection.of({
    containerLogs: (endpoint, namespace, pod, container, options) => {
      calls.push({ endpoint, namespace, pod, container, options })
      return answer()
    }
  })
  return { calls, connection }
}

const node = (name: string, status: Record<string, unknown>) => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name },
  status
})

/** A node with an address and a kubelet port, and pods on it (one, several containers), unscheduled and on a missing node. */
const cluster = (h: Harness) =>
  Effect.gen(function* () {
    yield* send(h, "POST", "/api/v1/nodes", {
      json: node("node-1", {
        addresses: [
          { type: "Hostname", address: "node-1" },
          { type: "InternalIP", address: "10.1.2.3" }
        ],
        daemonEndpoints: { kubeletEndpoint: { Port: 12345 } }
      })
    })
    yield* send(h, "POST", "/api/v1/nodes", {
      json: node("node-2", { addresses: [{ type: "Hostname", address: "node-2.example" }] })
    })
    yield* send(h, "POST", "/api/v1/nodes", { json: node("node-3", {}) })
    yield* send(h, "POST", pods, { json: pod("single", { spec: { nodeName: "node-1" } }) })
    yield* send(h, "POST", pods, {
      json: pod("multi", {
        spec: {
          nodeName: "node-1",
          initContainers: [{ name: "setup", image: "busybox:1.36" }],
          containers: [
            { name: "a", image: "nginx:1.27" },
            { name: "b", image: "nginx:1.27" }
          ]
        }
      })
    })
    yield* send(h, "POST", pods, { json: pod("pending") })
    yield* send(h, "POST", pods, { json: pod("orphan", { spec: { nodeName: "ghost" } }) })
    yield* send(h, "POST", pods, { json: pod("hostname", { spec: { nodeName: "node-2" } }) })
    yield* send(h, "POST", pods, { json: pod("nowhere", { spec: { nodeName: "node-3" } }) })
  })

/** A server with the fake kubelet connection and the cluster above. */
const withKubelet = (answer: () => Answer) =>
  Effect.gen(function* () {
    const kubelet = fakeKubelet(answer)
    const h = yield* Effect.provideService(harness(), KubeletConnection, kubelet.connection)
    yield* cluster(h)
    return { h, calls: kubelet.calls }
  })

const streamed = (lines: ReadonlyArray<string>): Answer => Effect.succeed(Stream.fromIterable(lines))
const refused = (status: number, message: string): Answer => Effect.fail(new KubeletRefused({ status, message }))

const textOf = (response: ApiResponse) =>
  Effect.gen(function* () {
    if (response._tag !== "TextStream") throw new Error(`expected streamed text, got ${response._tag}`)
    return Chunk.toReadonlyArray(yield* Stream.runCollect(response.body)).join("")
  })

const getLog = (h: Harness, name: string, query: Record<string, string> = {}, headers: Record<string, string> = {}) =>
  h.handle(request("GET", `${pods}/${name}/log`, { query, headers }))

describe("pods/log", () => {
  it.effect("streams the kubelet's answer as text/plain, asked at the node's InternalIP and kubelet port", () =>
    Effect.gen(function* () {
      const { h, calls } = yield* withKubelet(() => streamed(["line 1\nline", " 2\n"]))
      const response = yield* getLog(h, "single", { follow: "true", tailLines: "5", previous: "false" })
      expect(response.status).toBe(200)
      expect(response.headers["content-type"]).toBe("text/plain")
      expect(yield* textOf(response)).toBe("line 1\nline 2\n")
      expect(calls).toEqual([
        {
          endpoint: { host: "10.1.2.3", port: 12345 },
          namespace: "default",
          pod: "single",
          container: "app",
          options: { follow: true, previous: false, timestamps: false, tailLines: 5 }
        }
      ])
      // The Accept header asks nothing of a log: text it is.
      expect((yield* getLog(h, "single", {}, { accept: "text/plain" })).status).toBe(200)
    })
  )

  it.effect("names the container to choose when the pod has several, and refuses one it does not have", () =>
    Effect.gen(function* () {
      const { h, calls } = yield* withKubelet(() => streamed([]))
      const unnamed = yield* Effect.map(getLog(h, "multi"), (r) => (r._tag === "Json" ? r : undefined))
      expect(unnamed?.status).toBe(400)
      expect(unnamed?.body).toMatchObject({
        reason: "BadRequest",
        message: "a container name must be specified for pod multi, choose one of: [setup a b]"
      })
      const wrong = (yield* send(h, "GET", `${pods}/single/log`, { query: { container: "zz" } })).body
      expect(wrong).toMatchObject({ code: 400, message: "container zz is not valid for pod single" })
      expect((yield* getLog(h, "multi", { container: "setup" })).status).toBe(200)
      expect(calls.map((c) => c.container)).toEqual(["setup"])
    })
  )

  it.effect("answers 404 for a missing pod, and an empty log for a pod not yet scheduled", () =>
    Effect.gen(function* () {
      const { h, calls } = yield* withKubelet(() => streamed(["never"]))
      const missing = yield* send(h, "GET", `${pods}/nope/log`)
      expect(missing.status).toBe(404)
      expect(missing.body.message).toBe('pods "nope" not found')
      expect(yield* textOf(yield* getLog(h, "pending"))).toBe("")
      expect(calls).toEqual([])
    })
  )

  it.effect("passes the kubelet's 400s on word for word: a container waiting to start, no previous instance", () =>
    Effect.gen(function* () {
      const waiting = 'container "app" in pod "single" is waiting to start: ContainerCreating'
      const { h } = yield* withKubelet(() => refused(400, waiting))
      const response = yield* send(h, "GET", `${pods}/single/log`)
      expect(response.status).toBe(400)
      expect(response.body).toMatchObject({ kind: "Status", reason: "BadRequest", message: waiting })
      const noPrevious = 'previous terminated container "app" in pod "single" not found'
      const { h: h2, calls } = yield* withKubelet(() => refused(400, noPrevious))
      const previous = yield* send(h2, "GET", `${pods}/single/log`, { query: { previous: "true" } })
      expect(previous.body).toMatchObject({ code: 400, message: noPrevious })
      expect(calls[0]?.options.previous).toBe(true)
    })
  )

  it.effect("words the kubelet's other refusals as GenericHttpResponseChecker does", () =>
    Effect.gen(function* () {
      const notFound = yield* withKubelet(() => refused(404, 'pod "single" does not exist'))
      expect((yield* send(notFound.h, "GET", `${pods}/single/log`)).body).toMatchObject({
        code: 404,
        reason: "NotFound",
        message: "the server could not find the requested resource ( pods/log single)",
        details: { name: "single", group: "", kind: "pods/log" }
      })
      const broken = yield* withKubelet(() => refused(500, "runtime down"))
      expect((yield* send(broken.h, "GET", `${pods}/single/log`)).body).toMatchObject({
        code: 500,
        reason: "InternalError",
        message: "Internal error occurred: runtime down"
      })
      const invalid = yield* withKubelet(() => refused(422, '{"message": "Invalid request."}'))
      expect((yield* send(invalid.h, "GET", `${pods}/single/log`)).body).toMatchObject({
        code: 422,
        message: "the server rejected our request due to an error in our request ( pods/log single)"
      })
    })
  )

  it.effect("answers 500 with the URL and the reason when the kubelet cannot be reached", () =>
    Effect.gen(function* () {
      const message = 'Get "http://10.1.2.3:12345/containerLogs/default/single/app": connect ECONNREFUSED'
      const { h } = yield* withKubelet(() => Effect.fail(new KubeletUnreachable({ message })))
      expect((yield* send(h, "GET", `${pods}/single/log`)).body).toMatchObject({ code: 500, message })
    })
  )

  it.effect("ends the log when the connection to the kubelet breaks off", () =>
    Effect.gen(function* () {
      const { h } = yield* withKubelet(() =>
        Effect.succeed(Stream.concat(Stream.make("first\n"), Stream.fail(new KubeletUnreachable({ message: "reset" }))))
      )
      expect(yield* textOf(yield* getLog(h, "single"))).toBe("first\n")
    })
  )

  it.effect("validates PodLogOptions (422) and reads the query as Kubernetes' parameter codec (400)", () =>
    Effect.gen(function* () {
      const { h, calls } = yield* withKubelet(() => streamed([]))
      const negative = yield* send(h, "GET", `${pods}/single/log`, { query: { tailLines: "-1", limitBytes: "0" } })
      expect(negative.status).toBe(422)
      expect(negative.body.message).toBe(
        'PodLogOptions "single" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0, limitBytes: Invalid value: 0: must be greater than 0'
      )
      const both = yield* send(h, "GET", `${pods}/single/log`, {
        query: { sinceSeconds: "10", sinceTime: "2024-01-01T00:00:00Z" }
      })
      expect(both.body.details.causes).toEqual([
        {
          reason: "FieldValueForbidden",
          field: "",
          message: "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified"
        }
      ])
      const garbled = yield* send(h, "GET", `${pods}/single/log`, { query: { tailLines: "ten" } })
      expect(garbled.body).toMatchObject({ code: 400, message: 'strconv.ParseInt: parsing "ten": invalid syntax' })
      // A boolean is true unless absent, "false" or "0"; an empty value is true, as in Kubernetes.
      yield* getLog(h, "single", { follow: "", timestamps: "FALSE", previous: "1", limitBytes: "+7" })
      expect(calls.map((c) => c.options)).toEqual([{ follow: true, previous: true, timestamps: false, limitBytes: 7 }])
    })
  )

  it.effect("finds the kubelet by the preferred address type and port 10250 by default; 404 for a missing node", () =>
    Effect.gen(function* () {
      const { h, calls } = yield* withKubelet(() => streamed([]))
      yield* getLog(h, "hostname")
      expect(calls.map((c) => c.endpoint)).toEqual([{ host: "node-2.example", port: 10250 }])
      const nowhere = yield* send(h, "GET", `${pods}/nowhere/log`)
      expect(nowhere.body).toMatchObject({ code: 500, message: "no preferred addresses found; known addresses: []" })
      const ghost = yield* send(h, "GET", `${pods}/orphan/log`)
      expect(ghost.body).toMatchObject({ code: 404, message: 'nodes "ghost" not found' })
    })
  )

  it.effect("answers 503 when the server has no connection to kubelets, 405 to writes, and shows in discovery", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* cluster(h)
      const response = yield* send(h, "GET", `${pods}/single/log`)
      expect(response.status).toBe(503)
      expect(response.body.message).toBe(
        "the log of pod single cannot be read: this API server has no connection to kubelets (it runs in process or simulated)"
      )
      expect((yield* send(h, "POST", `${pods}/single/log`, { json: {} })).status).toBe(405)
      const resources = (yield* send(h, "GET", "/api/v1")).body.resources as Array<{ name: string }>
      expect(resources.find((r) => r.name === "pods/log")).toEqual({
        name: "pods/log",
        singularName: "",
        namespaced: true,
        kind: "Pod",
        verbs: ["get"]
      })
    })
  )

  it.effect("Client.logs reads the log line by line over the in-process transport", () =>
    Effect.gen(function* () {
      const { h, calls } = yield* withKubelet(() => streamed(["one\ntw", "o\n", "three"]))
      const client = yield* Client.make.pipe(Effect.provide(Layer.succeed(Transport, { request: h.handle })))
      const lines = yield* Stream.runCollect(client.logs("multi", { container: "b", tailLines: 3, follow: true }))
      expect(Chunk.toReadonlyArray(lines)).toEqual(["one", "two", "three"])
      expect(calls[0]).toMatchObject({ container: "b", options: { follow: true, tailLines: 3 } })
      const failed = yield* Effect.flip(Stream.runCollect(client.logs("multi")))
      expect(failed._tag).toBe("BadRequest")
    })
  )
})
