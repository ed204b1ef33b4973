import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { harness, pod, request, send } from "./Harness.js"

const tokens = {
  "admin-token": { user: "alice", groups: ["admins"] },
  "viewer-token": { user: "bob", groups: ["readonly"] }
}
const as = (token: string) => ({ authorization: `Bearer ${token}` })

describe("authentication and authorization", () => {
  it.effect("a request without a valid bearer token is 401; health and version stay open", () =>
    Effect.gen(function* () {
      const h = yield* harness({ tokens })
      const anonymous = yield* send(h, "GET", "/api/v1/namespaces/default/pods")
      expect(anonymous.status).toBe(401)
      expect(anonymous.body).toMatchObject({
        kind: "Status",
        reason: "Unauthorized",
        code: 401,
        message: "Unauthorized"
      })
      expect((yield* send(h, "GET", "/api/v1/pods", { headers: as("wrong") })).status).toBe(401)
      expect((yield* send(h, "GET", "/api", { headers: { authorization: "Basic abc" } })).status).toBe(401)
      expect((yield* send(h, "GET", "/nope")).status).toBe(401)
      for (const path of ["/healthz", "/readyz", "/livez"]) {
        expect((yield* h.handle(request("GET", path))).status).toBe(200)
      }
      expect((yield* send(h, "GET", "/version")).status).toBe(200)
      expect((yield* send(h, "GET", "/api/v1/namespaces/default/pods", { headers: as("admin-token") })).status).toBe(
        200
      )
    })
  )

  it.effect("the readonly group reads but gets 403 on writes", () =>
    Effect.gen(function* () {
      const h = yield* harness({ tokens })
      expect((yield* send(h, "GET", "/api/v1/pods", { headers: as("viewer-token") })).status).toBe(200)
      const write = yield* send(h, "POST", "/api/v1/namespaces/default/pods", {
        json: pod("a"),
        headers: as("viewer-token")
      })
      expect(write.status).toBe(403)
      expect(write.body.reason).toBe("Forbidden")
      expect(write.body.message).toBe(
        'pods is forbidden: User "bob" cannot create resource "pods" in API group "" in the namespace "default"'
      )
      const node = yield* send(h, "DELETE", "/api/v1/nodes/n1", { headers: as("viewer-token") })
      expect(node.body.message).toBe(
        'nodes "n1" is forbidden: User "bob" cannot delete resource "nodes" in API group "" at the cluster scope'
      )
      const created = yield* send(h, "POST", "/api/v1/namespaces/default/pods", {
        json: pod("a"),
        headers: as("admin-token")
      })
      expect(created.status).toBe(201)
    })
  )

  it.effect("without tokens every request is allowed", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      expect((yield* send(h, "POST", "/api/v1/namespaces/default/pods", { json: pod("a") })).status).toBe(201)
    })
  )
})
