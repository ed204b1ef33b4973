import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import { deployment, harness, pod, send } from "./Harness.js"

const tableAccept = {
  accept:
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
}

describe("server-side printing", () => {
  it.effect("answers a list as a meta.k8s.io/v1 Table, as kubectl get asks", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* send(h, "POST", "/apis/apps/v1/namespaces/default/deployments", { json: deployment("web", 3) })
      yield* TestClock.setTime(90_000)
      const r = yield* send(h, "GET", "/apis/apps/v1/namespaces/default/deployments", { headers: tableAccept })
      expect(r.status).toBe(200)
      expect(r.headers["content-type"]).toBe("application/json;as=Table;v=v1;g=meta.k8s.io")
      expect(r.body.kind).toBe("Table")
      expect(r.body.apiVersion).toBe("meta.k8s.io/v1")
      expect(r.body.metadata.resourceVersion).toBeDefined()
      const names = r.body.columnDefinitions.map((c: any) => c.name)
      expect(names.slice(0, 5)).toEqual(["Name", "Ready", "Up-to-date", "Available", "Age"])
      expect(r.body.columnDefinitions.find((c: any) => c.name === "Containers").priority).toBe(1)
      const row = r.body.rows[0]
      expect(row.cells[0]).toBe("web")
      expect(row.cells[1]).toBe("0/3")
      expect(row.cells[4]).toBe("90s")
      expect(row.object).toEqual({
        kind: "PartialObjectMetadata",
        apiVersion: "meta.k8s.io/v1",
        metadata: expect.objectContaining({ name: "web", namespace: "default" })
      })
    })
  )

  it.effect("answers get as a one-row Table and honours includeObject", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* send(h, "POST", "/api/v1/namespaces/default/pods", { json: pod("a") })
      const one = yield* send(h, "GET", "/api/v1/namespaces/default/pods/a", {
        headers: tableAccept,
        query: { includeObject: "Object" }
      })
      expect(one.body.rows).toHaveLength(1)
      expect(one.body.rows[0].object.kind).toBe("Pod")
      const none = yield* send(h, "GET", "/api/v1/namespaces/default/pods", {
        headers: tableAccept,
        query: { includeObject: "None" }
      })
      expect(none.body.rows[0].object).toBeNull()
      const bad = yield* send(h, "GET", "/api/v1/namespaces/default/pods", {
        headers: tableAccept,
        query: { includeObject: "All" }
      })
      expect(bad.status).toBe(400)
    })
  )

  it.effect("serves PartialObjectMetadata, and 406 when nothing acceptable is asked for", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* send(h, "POST", "/api/v1/namespaces/default/pods", { json: pod("a") })
      const list = yield* send(h, "GET", "/api/v1/namespaces/default/pods", {
        headers: { accept: "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io" }
      })
      expect(list.body.kind).toBe("PartialObjectMetadataList")
      expect(list.body.items[0]).toMatchObject({ kind: "PartialObjectMetadata", metadata: { name: "a" } })
      expect(list.body.items[0].spec).toBeUndefined()
      const refused = yield* send(h, "GET", "/api/v1/namespaces/default/pods", {
        headers: { accept: "application/vnd.kubernetes.protobuf" }
      })
      expect(refused.status).toBe(406)
      const fallback = yield* send(h, "GET", "/api/v1/namespaces/default/pods", {
        headers: { accept: "application/vnd.kubernetes.protobuf, application/json" }
      })
      expect(fallback.body.kind).toBe("PodList")
    })
  )
})
