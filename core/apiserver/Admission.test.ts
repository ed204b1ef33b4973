import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { harness, pod, send } from "./Harness.js"

const pods = "/api/v1/namespaces/default/pods"
const namespaces = "/api/v1/namespaces"

describe("admission", () => {
  it.effect("a pod's QoS class is set on create and kept by status writes that leave it out", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const zeroRequest = { containers: [{ name: "app", image: "nginx:1.27", resources: { requests: { cpu: "0" } } }] }
      const created = (yield* send(h, "POST", pods, { json: pod("a", { spec: zeroRequest }) })).body
      expect(created.status).toEqual({ phase: "Pending", qosClass: "BestEffort" })
      const written = yield* send(h, "PUT", `${pods}/a/status`, {
        json: { ...created, status: { phase: "Running" } }
      })
      expect(written.status).toBe(200)
      expect(written.body.status).toEqual({ phase: "Running", qosClass: "BestEffort" })
    })
  )

  it.effect("a namespace gets the kubernetes finalizer on create, and finalize can remove it", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const created = yield* send(h, "POST", namespaces, {
        json: { apiVersion: "v1", kind: "Namespace", metadata: { name: "team-a" } }
      })
      expect(created.body.spec).toEqual({ finalizers: ["kubernetes"] })
      expect(created.body.status).toEqual({ phase: "Active" })
      const finalized = yield* send(h, "PUT", `${namespaces}/team-a/finalize`, {
        json: { apiVersion: "v1", kind: "Namespace", metadata: { name: "team-a" }, spec: {} }
      })
      expect(finalized.status).toBe(200)
      expect(finalized.body.spec.finalizers ?? []).toEqual([])
      expect((yield* send(h, "GET", `${namespaces}/team-a`)).body.spec.finalizers ?? []).toEqual([])
    })
  )

  it.effect("an owner reference without a uid is a 422 naming the field, as Kubernetes' validation says", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const owned = pod("owned", {
        metadata: { name: "owned", ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs" }] }
      })
      const answer = yield* send(h, "POST", pods, { json: owned })
      expect(answer.status).toBe(422)
      expect(answer.body.details.causes).toContainEqual({
        reason: "FieldValueInvalid",
        message: 'Invalid value: "": uid must not be empty',
        field: "metadata.ownerReferences.uid"
      })
    })
  )
})
