import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import { route, verbOf } from "./Route.js"

const resolved = (path: string) => {
  const r = Either.getOrThrow(route(path))
  return r._tag === "Resource"
    ? {
        plural: r.resource.plural,
        namespace: r.namespace,
        name: r.name,
        subresource: r.subresource,
        watch: r.legacyWatch
      }
    : r
}

describe("route", () => {
  it("resolves resource paths as Kubernetes' RequestInfo does", () => {
    expect(resolved("/api/v1/namespaces")).toEqual({ plural: "namespaces", watch: false })
    expect(resolved("/api/v1/namespaces/team")).toEqual({ plural: "namespaces", name: "team", watch: false })
    // "status" and "finalize" after a namespace name are its subresources, not collections in it.
    expect(resolved("/api/v1/namespaces/team/status")).toEqual({
      plural: "namespaces",
      name: "team",
      subresource: "status",
      watch: false
    })
    expect(resolved("/api/v1/namespaces/team/pods")).toEqual({ plural: "pods", namespace: "team", watch: false })
    expect(resolved("/api/v1/namespaces/team/pods/a/binding")).toEqual({
      plural: "pods",
      namespace: "team",
      name: "a",
      subresource: "binding",
      watch: false
    })
    expect(resolved("/apis/apps/v1/watch/namespaces/team/deployments")).toEqual({
      plural: "deployments",
      namespace: "team",
      watch: true
    })
    expect(resolved("/api/v1/nodes/n1/status")).toEqual({
      plural: "nodes",
      name: "n1",
      subresource: "status",
      watch: false
    })
    expect(resolved("/api/v1/pods/")).toEqual({ plural: "pods", watch: false })
    expect(resolved("/openapi/v3/apis/apps/v1")).toEqual({ _tag: "OpenApiV3", path: "apis/apps/v1" })
    expect(resolved("/readyz/etcd")).toEqual({ _tag: "Health", check: "readyz", subcheck: "etcd" })
  })

  it("404s what does not exist", () => {
    for (const path of [
      "",
      "/",
      "/apis/apps/v2",
      "/api/v1/namespaces/team/nodes",
      "/api/v1/pods/a",
      "/api/v1/namespaces//pods",
      "/api/v1/namespaces/%zz/pods",
      "/api/v1/nodes/a/b/c"
    ]) {
      expect(Either.isLeft(route(path))).toBe(true)
    }
  })

  it("maps methods to verbs; others are 405", () => {
    const verb = (method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", path: string, query = "") =>
      Either.getOrElse(verbOf(Either.getOrThrow(route(path)), method, new URLSearchParams(query)), (e) => e._tag)
    expect(verb("GET", "/api/v1/namespaces/d/pods")).toBe("list")
    expect(verb("GET", "/api/v1/namespaces/d/pods", "watch=true")).toBe("watch")
    expect(verb("GET", "/api/v1/watch/pods")).toBe("watch")
    expect(verb("POST", "/api/v1/namespaces/d/pods")).toBe("create")
    expect(verb("DELETE", "/api/v1/namespaces/d/pods")).toBe("deletecollection")
    expect(verb("POST", "/api/v1/pods")).toBe("MethodNotAllowed")
    expect(verb("PUT", "/api/v1/namespaces/d/pods/a")).toBe("update")
    expect(verb("PATCH", "/api/v1/namespaces/d/pods/a/status")).toBe("patch")
    expect(verb("DELETE", "/api/v1/namespaces/d/pods/a/status")).toBe("MethodNotAllowed")
    expect(verb("POST", "/api/v1/namespaces/d/pods/a/binding")).toBe("create")
    expect(verb("POST", "/version")).toBe("MethodNotAllowed")
  })
})
