import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as MemoryStore from "../store/MemoryStore.js"
import { Store } from "../store/Store.js"
import * as ApiServer from "./ApiServer.js"
import * as ContinueToken from "./ContinueToken.js"
import { harness, jsonOf, pod, request, send } from "./Harness.js"

const pods = "/api/v1/namespaces/default/pods"

const names = (body: any): ReadonlyArray<string> => body.items.map((i: any) => i.metadata.name)

const seed = (h: Parameters<typeof send>[0], count: number) =>
  Effect.forEach(
    Array.from({ length: count }, (_, i) => i),
    (i) =>
      send(h, "POST", pods, {
        json: pod(`p${String(i).padStart(2, "0")}`, {
          metadata: { labels: { app: i % 2 === 0 ? "even" : "odd" } },
          spec: { nodeName: i < 3 ? "node-a" : "" }
        })
      })
  )

describe("list", () => {
  it.effect("answers a PodList at the store's revision, in name order", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* seed(h, 3)
      const { status, body } = yield* send(h, "GET", pods)
      expect(status).toBe(200)
      expect(body.kind).toBe("PodList")
      expect(body.apiVersion).toBe("v1")
      expect(body.metadata.resourceVersion).toBe(String(yield* h.store.revision))
      expect(names(body)).toEqual(["p00", "p01", "p02"])
      expect(body.items[0].metadata.resourceVersion).toBeDefined()
    })
  )

  it.effect("lists all namespaces at /api/v1/pods and one namespace under it", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* send(h, "POST", "/api/v1/namespaces", {
        json: { apiVersion: "v1", kind: "Namespace", metadata: { name: "team" } }
      })
      yield* send(h, "POST", pods, { json: pod("a") })
      yield* send(h, "POST", "/api/v1/namespaces/team/pods", { json: pod("b") })
      expect(names((yield* send(h, "GET", "/api/v1/pods")).body)).toEqual(["a", "b"])
      expect(names((yield* send(h, "GET", "/api/v1/namespaces/team/pods")).body)).toEqual(["b"])
    })
  )

  it.effect("selects by labels and fields; bad selectors and unknown fields are 400", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* seed(h, 6)
      expect(names((yield* send(h, "GET", pods, { query: { labelSelector: "app=odd" } })).body)).toEqual([
        "p01",
        "p03",
        "p05"
      ])
      expect(names((yield* send(h, "GET", pods, { query: { labelSelector: "app in (even),app!=odd" } })).body)).toEqual(
        ["p00", "p02", "p04"]
      )
      expect(names((yield* send(h, "GET", pods, { query: { fieldSelector: "spec.nodeName=node-a" } })).body)).toEqual([
        "p00",
        "p01",
        "p02"
      ])
      expect(names((yield* send(h, "GET", pods, { query: { fieldSelector: "metadata.name=p04" } })).body)).toEqual([
        "p04"
      ])
      expect(
        names(
          (yield* send(h, "GET", pods, { query: { fieldSelector: "status.phase=Pending,spec.nodeName!=node-a" } })).body
        )
      ).toEqual(["p03", "p04", "p05"])
      const unknownField = yield* send(h, "GET", pods, { query: { fieldSelector: "spec.bogus=1" } })
      expect(unknownField.status).toBe(400)
      expect(unknownField.body.message).toBe("field label not supported: spec.bogus")
      expect((yield* send(h, "GET", pods, { query: { labelSelector: "a in (" } })).status).toBe(400)
      expect((yield* send(h, "GET", pods, { query: { fieldSelector: "=x" } })).status).toBe(400)
    })
  )

  it.effect("paginates with limit and continue at one revision, across writes", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* seed(h, 5)
      const first = (yield* send(h, "GET", pods, { query: { limit: "2" } })).body
      expect(names(first)).toEqual(["p00", "p01"])
      expect(first.metadata.remainingItemCount).toBe(3)
      expect(typeof first.metadata.continue).toBe("string")
      // Writes between pages do not show: every page is read at the first page's revision.
      yield* send(h, "POST", pods, { json: pod("p015") })
      yield* send(h, "DELETE", `${pods}/p03`)
      const second = (yield* send(h, "GET", pods, { query: { limit: "2", continue: first.metadata.continue } })).body
      expect(names(second)).toEqual(["p02", "p03"])
      expect(second.metadata.resourceVersion).toBe(first.metadata.resourceVersion)
      const third = (yield* send(h, "GET", pods, { query: { limit: "2", continue: second.metadata.continue } })).body
      expect(names(third)).toEqual(["p04"])
      expect(third.metadata.continue).toBeUndefined()
    })
  )

  it.effect("fills a page with selected objects, continuing where the selection stopped", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* seed(h, 7)
      const first = (yield* send(h, "GET", pods, { query: { limit: "2", labelSelector: "app=odd" } })).body
      expect(names(first)).toEqual(["p01", "p03"])
      expect(first.metadata.remainingItemCount).toBeUndefined()
      const rest = (yield* send(h, "GET", pods, {
        query: { limit: "2", labelSelector: "app=odd", continue: first.metadata.continue }
      })).body
      expect(names(rest)).toEqual(["p05"])
    })
  )

  it.effect("a continue token whose revision was compacted is 410 Expired; a forged one 400", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* seed(h, 3)
      const first = (yield* send(h, "GET", pods, { query: { limit: "1" } })).body
      yield* send(h, "POST", pods, { json: pod("late") })
      yield* h.store.compact(yield* h.store.revision)
      const expired = yield* send(h, "GET", pods, { query: { limit: "1", continue: first.metadata.continue } })
      expect(expired.status).toBe(410)
      expect(expired.body.reason).toBe("Expired")
      expect((yield* send(h, "GET", pods, { query: { continue: "garbage" } })).status).toBe(400)
      const withRv = yield* send(h, "GET", pods, { query: { continue: first.metadata.continue, resourceVersion: "3" } })
      expect(withRv.status).toBe(400)
    })
  )

  it.effect("a continue token ahead of the store is 410 Expired, not 503", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* seed(h, 2)
      const prefix = "/registry/core/pods/default/"
      const ahead = ContinueToken.encode(prefix, (yield* h.store.revision) + 10, `${prefix}p0`)
      const answer = yield* send(h, "GET", pods, { query: { limit: "1", continue: ahead } })
      expect(answer.status).toBe(410)
      expect(answer.body.reason).toBe("Expired")
    })
  )

  it.effect("a selective list reads the store in pages that grow, not in pages of `limit`", () =>
    Effect.gen(function* () {
      const store = yield* MemoryStore.make
      for (let i = 0; i < 3000; i++) {
        const name = `p${String(i).padStart(4, "0")}`
        yield* store.create(`/registry/core/pods/default/${name}`, {
          ...pod(name),
          metadata: { name, namespace: "default" }
        })
      }
      const at = String(yield* store.revision)
      yield* store.create("/registry/core/pods/default/zz", {
        ...pod("zz"),
        metadata: { name: "zz", namespace: "default" }
      })
      const pages: Array<number | undefined> = []
      const counting: Store["Type"] = {
        ...store,
        list: (prefix, options) => {
          pages.push(options?.limit)
          return store.list(prefix, options)
        }
      }
      const server = yield* Effect.provideService(ApiServer.make(), Store, counting)
      const query = {
        limit: "1",
        fieldSelector: "metadata.name=p2999",
        resourceVersion: at,
        resourceVersionMatch: "Exact"
      }
      const answer = jsonOf(yield* server.handle(request("GET", pods, { query })))
      expect(answer.status).toBe(200)
      expect(answer.body.items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual(["p2999"])
      expect(pages).toEqual([500, 1000, 2000])
    })
  )

  it.effect("reads at the resourceVersion asked for, as Kubernetes defines it", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* send(h, "POST", pods, { json: pod("a") })
      const at = String(yield* h.store.revision)
      yield* send(h, "POST", pods, { json: pod("b") })
      const exact = (yield* send(h, "GET", pods, { query: { resourceVersion: at, resourceVersionMatch: "Exact" } }))
        .body
      expect(names(exact)).toEqual(["a"])
      expect(exact.metadata.resourceVersion).toBe(at)
      // With a limit and no match, N means exactly N.
      expect(names((yield* send(h, "GET", pods, { query: { resourceVersion: at, limit: "10" } })).body)).toEqual(["a"])
      // Otherwise N means "not older than N": the latest state.
      expect(names((yield* send(h, "GET", pods, { query: { resourceVersion: at } })).body)).toEqual(["a", "b"])
      expect(names((yield* send(h, "GET", pods, { query: { resourceVersion: "0" } })).body)).toEqual(["a", "b"])
      const future = yield* send(h, "GET", pods, { query: { resourceVersion: "999" } })
      expect(future.status).toBe(504)
      expect(future.body.message).toContain("Too large resource version")
      yield* h.store.compact(yield* h.store.revision)
      const old = yield* send(h, "GET", pods, { query: { resourceVersion: at, resourceVersionMatch: "Exact" } })
      expect(old.status).toBe(410)
      for (const query of [
        { resourceVersion: "abc" },
        { resourceVersionMatch: "Exact" },
        { resourceVersion: "0", resourceVersionMatch: "Exact" },
        { resourceVersion: "1", resourceVersionMatch: "Sometimes" },
        { limit: "x" }
      ]) {
        expect((yield* send(h, "GET", pods, { query })).status).toBe(400)
      }
    })
  )
})
