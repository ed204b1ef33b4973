import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as MemoryStore from "../store/MemoryStore.js"
import { Store, StoreUnavailable } from "../store/Store.js"
import * as ApiServer from "./ApiServer.js"
import { harness, jsonOf, pod, request, send, watchLines } from "./Harness.js"

const pods = "/api/v1/namespaces/default/pods"

const summary = (lines: ReadonlyArray<{ type: string; object: any }>) =>
  lines.map((l) => `${l.type} ${l.object.metadata?.name ?? l.object.reason ?? ""}`.trim())

const relabel = (h: Parameters<typeof send>[0], name: string, app: string) =>
  send(h, "PATCH", `${pods}/${name}`, {
    json: { metadata: { labels: { app } } },
    headers: { "content-type": "application/merge-patch+json" }
  })

describe("watch", () => {
  it.effect("without resourceVersion: ADDED for what exists, then changes in order", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* send(h, "POST", pods, { json: pod("a") })
      yield* send(h, "POST", pods, { json: pod("b") })
      const response = yield* h.handle(request("GET", pods, { query: { watch: "1" } }))
      const lines = yield* Effect.fork(watchLines(response, 5))
      yield* relabel(h, "a", "x")
      yield* send(h, "POST", pods, { json: pod("c") })
      yield* send(h, "DELETE", `${pods}/b`)
      const got = yield* Fiber.join(lines)
      expect(summary(got)).toEqual(["ADDED a", "ADDED b", "MODIFIED a", "ADDED c", "DELETED b"])
      const revisions = got.map((l: any) => Number(l.object.metadata.resourceVersion))
      expect(revisions.slice(2)).toEqual([...revisions.slice(2)].sort((x, y) => x - y))
    })
  )

  it.effect("from resourceVersion N: only the changes after N", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* send(h, "POST", pods, { json: pod("a") })
      const at = yield* h.store.revision
      yield* send(h, "POST", pods, { json: pod("b") })
      yield* relabel(h, "a", "y")
      const response = yield* h.handle(request("GET", pods, { query: { watch: "true", resourceVersion: String(at) } }))
      expect(summary(yield* watchLines(response, 2))).toEqual(["ADDED b", "MODIFIED a"])
    })
  )

  it.effect("a watch from a resourceVersion the store has not reached is 504, as a list is", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const ahead = String((yield* h.store.revision) + 1000)
      const answer = jsonOf(yield* h.handle(request("GET", pods, { query: { watch: "1", resourceVersion: ahead } })))
      expect(answer.status).toBe(504)
      expect(answer.body).toMatchObject({
        kind: "Status",
        reason: "Timeout",
        details: { causes: [{ reason: "ResourceVersionTooLarge" }] }
      })
      expect(answer.body.message).toContain("Too large resource version")
    })
  )

  it.effect("objects entering and leaving the selection arrive as ADDED and DELETED", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const at = yield* h.store.revision
      yield* send(h, "POST", pods, { json: pod("a", { metadata: { labels: { app: "web" } } }) })
      yield* send(h, "POST", pods, { json: pod("other", { metadata: { labels: { app: "db" } } }) })
      yield* relabel(h, "a", "db")
      yield* relabel(h, "other", "db2")
      yield* relabel(h, "a", "web")
      yield* send(h, "DELETE", `${pods}/a`)
      const response = yield* h.handle(
        request("GET", pods, { query: { watch: "1", resourceVersion: String(at), labelSelector: "app=web" } })
      )
      const lines = yield* watchLines(response, 4)
      expect(summary(lines)).toEqual(["ADDED a", "DELETED a", "ADDED a", "DELETED a"])
      // Leaving the selection shows the last selected state, at the revision it left.
      expect(lines[1].object).toMatchObject({ metadata: { labels: { app: "web" } } })
    })
  )

  it.effect("a compacted resourceVersion gives one ERROR line with 410 Expired, then the stream ends", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* send(h, "POST", pods, { json: pod("a") })
      yield* send(h, "POST", pods, { json: pod("b") })
      const current = yield* h.store.revision
      yield* h.store.compact(current)
      const response = yield* h.handle(request("GET", pods, { query: { watch: "1", resourceVersion: "2" } }))
      expect(response.status).toBe(200)
      const lines = yield* watchLines(response, 10)
      expect(lines).toHaveLength(1)
      expect(lines[0]).toEqual({
        type: "ERROR",
        object: {
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Failure",
          message: `too old resource version: 2 (${current})`,
          reason: "Expired",
          code: 410
        }
      })
    })
  )

  it.effect("bookmarks every bookmarkInterval of Clock time, carrying the last revision", () =>
    Effect.gen(function* () {
      const h = yield* harness({ bookmarkInterval: "10 seconds" })
      const response = yield* h.handle(request("GET", pods, { query: { watch: "1", allowWatchBookmarks: "true" } }))
      const lines = yield* Effect.fork(watchLines(response, 3))
      yield* send(h, "POST", pods, { json: pod("a") })
      const revision = yield* h.store.revision
      yield* TestClock.adjust("10 seconds")
      yield* TestClock.adjust("10 seconds")
      const got = yield* Fiber.join(lines)
      expect(summary(got)).toEqual(["ADDED a", "BOOKMARK", "BOOKMARK"])
      expect(got[1].object).toEqual({ apiVersion: "v1", kind: "Pod", metadata: { resourceVersion: String(revision) } })
    })
  )

  it.effect("a watch pinned to a node sees its pods come and go, and its bookmarks pass the other nodes' events", () =>
    Effect.gen(function* () {
      const h = yield* harness({ bookmarkInterval: "10 seconds" })
      const bind = (name: string, node: string) =>
        send(h, "POST", `${pods}/${name}/binding`, {
          json: { apiVersion: "v1", kind: "Binding", metadata: { name }, target: { kind: "Node", name: node } }
        })
      const query = { watch: "1", allowWatchBookmarks: "true", fieldSelector: "spec.nodeName=n1" }
      const lines = yield* Effect.fork(watchLines(yield* h.handle(request("GET", pods, { query })), 3))
      yield* send(h, "POST", pods, { json: pod("a") })
      yield* send(h, "POST", pods, { json: pod("b") })
      yield* bind("a", "n1")
      yield* bind("b", "n2")
      yield* send(h, "DELETE", `${pods}/a`, { json: { gracePeriodSeconds: 0 } })
      yield* send(h, "DELETE", `${pods}/b`, { json: { gracePeriodSeconds: 0 } })
      const revision = yield* h.store.revision
      yield* TestClock.adjust("10 seconds")
      const got = yield* Fiber.join(lines)
      expect(summary(got)).toEqual(["ADDED a", "DELETED a", "BOOKMARK"])
      expect((got[2].object as any).metadata.resourceVersion).toBe(String(revision))
    })
  )

  it.effect("timeoutSeconds ends the stream on the Clock", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* send(h, "POST", pods, { json: pod("a") })
      const response = yield* h.handle(request("GET", pods, { query: { watch: "1", timeoutSeconds: "30" } }))
      const lines = yield* Effect.fork(watchLines(response, 100))
      yield* TestClock.adjust("29 seconds")
      expect(Option.isNone(yield* Fiber.poll(lines))).toBe(true)
      yield* TestClock.adjust("1 second")
      expect(summary(yield* Fiber.join(lines))).toEqual(["ADDED a"])
    })
  )

  it.effect("the last bookmark comes 2 s before timeoutSeconds, however long the bookmark interval", () =>
    Effect.gen(function* () {
      const h = yield* harness({ bookmarkInterval: "60 seconds" })
      const query = { watch: "1", allowWatchBookmarks: "true", timeoutSeconds: "30" }
      const lines = yield* Effect.fork(watchLines(yield* h.handle(request("GET", pods, { query })), 100))
      yield* send(h, "POST", pods, { json: pod("a") })
      yield* TestClock.adjust("27 seconds")
      yield* send(h, "POST", pods, { json: pod("b") })
      const revision = yield* h.store.revision
      yield* TestClock.adjust("1 second")
      yield* TestClock.adjust("2 seconds")
      const got = yield* Fiber.join(lines)
      expect(summary(got)).toEqual(["ADDED a", "ADDED b", "BOOKMARK"])
      expect((got[2]!.object as any).metadata.resourceVersion).toBe(String(revision))
    })
  )

  it.effect("serves the legacy /watch/ prefix, also for one object", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* send(h, "POST", pods, { json: pod("a") })
      yield* send(h, "POST", pods, { json: pod("b") })
      const all = yield* h.handle(request("GET", "/api/v1/watch/namespaces/default/pods"))
      expect(summary(yield* watchLines(all, 2))).toEqual(["ADDED a", "ADDED b"])
      const one = yield* h.handle(
        request("GET", "/api/v1/watch/namespaces/default/pods/b", { query: { timeoutSeconds: "1" } })
      )
      const lines = yield* Effect.fork(watchLines(one, 10))
      yield* TestClock.adjust("1 second")
      expect(summary(yield* Fiber.join(lines))).toEqual(["ADDED b"])
    })
  )

  it.effect("a Table watch sends column definitions with the first event only", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* send(h, "POST", pods, { json: pod("a") })
      yield* send(h, "POST", pods, { json: pod("b") })
      const response = yield* h.handle(
        request("GET", pods, {
          query: { watch: "1" },
          headers: { accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json" }
        })
      )
      const lines = yield* watchLines(response, 2)
      const [first, second] = lines.map((l) => l.object as any)
      expect(first.kind).toBe("Table")
      expect(first.columnDefinitions.length).toBeGreaterThan(0)
      expect(first.rows[0].cells[0]).toBe("a")
      expect(second.columnDefinitions).toEqual([])
      expect(second.rows[0].object.kind).toBe("PartialObjectMetadata")
    })
  )

  it.effect("bad parameters are refused before the stream starts", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      for (const query of [
        { labelSelector: "!!" },
        { fieldSelector: "spec.x=1" },
        { resourceVersion: "x" },
        { timeoutSeconds: "-1" }
      ]) {
        const r = jsonOf(yield* h.handle(request("GET", pods, { query: { watch: "1", ...query } })))
        expect(r.status).toBe(400)
      }
    })
  )

  it.effect(
    "a store failure ends the stream after an ERROR line with 503 (a streaming store and an observing one)",
    () =>
      Effect.gen(function* () {
        const { observe: _, ...memory } = yield* MemoryStore.make
        const down = new StoreUnavailable({ message: "etcd is down" })
        const streaming: Store["Type"] = { ...memory, watch: () => Stream.fail(down) }
        const observing: Store["Type"] = { ...memory, observe: () => Effect.fail(down) }
        for (const failing of [streaming, observing]) {
          const server = yield* Effect.provideService(ApiServer.make(), Store, failing)
          const response = yield* server.handle(request("GET", pods, { query: { watch: "1", resourceVersion: "1" } }))
          const lines = yield* watchLines(response, 10)
          expect(lines).toHaveLength(1)
          expect(lines[0].type).toBe("ERROR")
          expect((lines[0].object as any).code).toBe(503)
        }
      })
  )
})
