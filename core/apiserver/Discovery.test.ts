import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { harness, request, send } from "./Harness.js"

describe("discovery", () => {
  it.effect("/api lists v1 and /apis the named groups", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const api = (yield* send(h, "GET", "/api")).body
      expect(api).toMatchObject({ kind: "APIVersions", versions: ["v1"] })
      const apis = (yield* send(h, "GET", "/apis")).body
      expect(apis.kind).toBe("APIGroupList")
      const apps = apis.groups.find((g: any) => g.name === "apps")
      expect(apps).toEqual({
        name: "apps",
        versions: [{ groupVersion: "apps/v1", version: "v1" }],
        preferredVersion: { groupVersion: "apps/v1", version: "v1" }
      })
      expect(apis.groups.map((g: any) => g.name)).toContain("coordination.k8s.io")
      expect(apis.groups.map((g: any) => g.name)).not.toContain("")
      const group = (yield* send(h, "GET", "/apis/apps")).body
      expect(group).toMatchObject({ kind: "APIGroup", name: "apps" })
    })
  )

  it.effect("/api/v1 and /apis/apps/v1 describe resources and subresources", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const core = (yield* send(h, "GET", "/api/v1")).body
      expect(core).toMatchObject({ kind: "APIResourceList", groupVersion: "v1" })
      const byName = (list: any, name: string) => list.resources.find((r: any) => r.name === name)
      expect(byName(core, "pods")).toEqual({
        name: "pods",
        singularName: "pod",
        namespaced: true,
        kind: "Pod",
        verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
        shortNames: ["po"],
        categories: ["all"]
      })
      expect(byName(core, "pods/binding")).toEqual({
        name: "pods/binding",
        singularName: "",
        namespaced: true,
        kind: "Binding",
        verbs: ["create"]
      })
      expect(byName(core, "pods/status").verbs).toEqual(["get", "patch", "update"])
      expect(byName(core, "nodes").namespaced).toBe(false)
      expect(byName(core, "namespaces").verbs).not.toContain("deletecollection")
      const apps = (yield* send(h, "GET", "/apis/apps/v1")).body
      expect(byName(apps, "deployments/scale")).toEqual({
        name: "deployments/scale",
        singularName: "",
        namespaced: true,
        group: "autoscaling",
        version: "v1",
        kind: "Scale",
        verbs: ["get", "patch", "update"]
      })
      expect(byName(apps, "deployments").shortNames).toEqual(["deploy"])
    })
  )

  it.effect("/version answers what kubectl checks; health endpoints answer ok", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const version = (yield* send(h, "GET", "/version")).body
      expect(version.gitVersion).toBe("v1.32.0-minik8s")
      expect(version).toMatchObject({ major: "1", minor: "32" })
      for (const path of ["/healthz", "/readyz", "/livez", "/readyz/ping"]) {
        const r = yield* h.handle(request("GET", path))
        expect(r).toMatchObject({ _tag: "Text", status: 200, body: "ok" })
      }
      const verbose = yield* h.handle(request("GET", "/readyz", { query: { verbose: "" } }))
      expect(verbose).toMatchObject({ _tag: "Text", status: 200 })
      expect((verbose as { body: string }).body).toContain("[+]etcd ok")
    })
  )

  it.effect("serves the OpenAPI documents", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const index = (yield* send(h, "GET", "/openapi/v3")).body
      expect(Object.keys(index.paths)).toContain("apis/apps/v1")
      const apps = yield* send(h, "GET", "/openapi/v3/apis/apps/v1", { query: { hash: "x" } })
      expect(apps.status).toBe(200)
      expect(apps.body.components.schemas["io.k8s.api.apps.v1.Deployment"]).toBeDefined()
      expect((yield* send(h, "GET", "/openapi/v2")).status).toBe(200)
      expect((yield* send(h, "GET", "/openapi/v3/apis/nope/v1")).status).toBe(404)
    })
  )
})
