import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { deployment, harness, pod, send } from "./Harness.js"

const deployments = "/apis/apps/v1/namespaces/default/deployments"
const pods = "/api/v1/namespaces/default/pods"

const binding = (name: string, node: string) => ({
  apiVersion: "v1",
  kind: "Binding",
  metadata: { name },
  target: { apiVersion: "v1", kind: "Node", name: node }
})

describe("subresources", () => {
  describe("pods/binding", () => {
    it.effect("binds a pod once: nodeName set, PodScheduled true, 201 Success", () =>
      Effect.gen(function* () {
        const h = yield* harness()
        yield* send(h, "POST", pods, { json: pod("a") })
        const bound = yield* send(h, "POST", `${pods}/a/binding`, { json: binding("a", "node-1") })
        expect(bound.status).toBe(201)
        expect(bound.body).toMatchObject({ kind: "Status", status: "Success", code: 201 })
        const got = (yield* send(h, "GET", `${pods}/a`)).body
        expect(got.spec.nodeName).toBe("node-1")
        expect(got.status.conditions).toEqual([
          { type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: "1970-01-01T00:00:00Z" }
        ])
        const again = yield* send(h, "POST", `${pods}/a/binding`, { json: binding("a", "node-2") })
        expect(again.status).toBe(409)
        expect(again.body.reason).toBe("Conflict")
        expect(again.body.message).toBe(
          'Operation cannot be fulfilled on pods/binding "a": pod a is already assigned to node "node-1"'
        )
      })
    )

    it.effect("refuses bindings without a target, with another name, or for missing pods", () =>
      Effect.gen(function* () {
        const h = yield* harness()
        yield* send(h, "POST", pods, { json: pod("a") })
        const noTarget = yield* send(h, "POST", `${pods}/a/binding`, { json: binding("a", "") })
        expect(noTarget.status).toBe(422)
        expect(noTarget.body.details.causes[0].field).toBe("target.name")
        expect((yield* send(h, "POST", `${pods}/a/binding`, { json: binding("b", "n") })).status).toBe(400)
        const missing = yield* send(h, "POST", `${pods}/zz/binding`, { json: binding("zz", "n") })
        expect(missing.status).toBe(404)
        expect(missing.body.message).toBe('pods "zz" not found')
        expect((yield* send(h, "GET", `${pods}/a/binding`)).status).toBe(405)
        expect((yield* send(h, "POST", `${deployments}/a/binding`, { json: binding("a", "n") })).status).toBe(404)
      })
    )

    it.effect("the pod spec stays immutable through updates: nodeName only changes by binding", () =>
      Effect.gen(function* () {
        const h = yield* harness()
        const created = (yield* send(h, "POST", pods, { json: pod("a") })).body
        const moved = yield* send(h, "PUT", `${pods}/a`, {
          json: { ...created, spec: { ...created.spec, nodeName: "n" } }
        })
        expect(moved.status).toBe(422)
      })
    )
  })

  describe("scale", () => {
    it.effect("reads and writes a workload's replicas as an autoscaling/v1 Scale", () =>
      Effect.gen(function* () {
        const h = yield* harness()
        yield* send(h, "POST", deployments, { json: deployment("web", 2) })
        const scale = (yield* send(h, "GET", `${deployments}/web/scale`)).body
        expect(scale).toMatchObject({
          apiVersion: "autoscaling/v1",
          kind: "Scale",
          metadata: { name: "web", namespace: "default" },
          spec: { replicas: 2 },
          status: { replicas: 0, selector: "app=web" }
        })
        const put = yield* send(h, "PUT", `${deployments}/web/scale`, { json: { ...scale, spec: { replicas: 5 } } })
        expect(put.status).toBe(200)
        expect(put.body.spec.replicas).toBe(5)
        const d = (yield* send(h, "GET", `${deployments}/web`)).body
        expect(d.spec.replicas).toBe(5)
        expect(d.metadata.generation).toBe(2)
        // kubectl scale sends a merge patch of the Scale.
        const patched = yield* send(h, "PATCH", `${deployments}/web/scale`, {
          json: { spec: { replicas: 1 } },
          headers: { "content-type": "application/merge-patch+json" }
        })
        expect(patched.body.spec.replicas).toBe(1)
        const stale = yield* send(h, "PUT", `${deployments}/web/scale`, { json: { ...scale, spec: { replicas: 3 } } })
        expect(stale.status).toBe(409)
        const negative = yield* send(h, "PUT", `${deployments}/web/scale`, {
          json: { ...scale, metadata: { name: "web" }, spec: { replicas: -1 } }
        })
        expect(negative.status).toBe(422)
        expect((yield* send(h, "GET", `${pods}/x/scale`)).status).toBe(404)
      })
    )
  })

  describe("status", () => {
    it.effect("a pod's status write keeps its spec and owner references", () =>
      Effect.gen(function* () {
        const h = yield* harness()
        const created = (yield* send(h, "POST", pods, { json: pod("a", { spec: { nodeName: "n1" } }) })).body
        const owner = [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "u1", controller: true }]
        const written = yield* send(h, "PUT", `${pods}/a/status`, {
          json: {
            ...created,
            metadata: { ...created.metadata, ownerReferences: owner },
            spec: { ...created.spec, nodeName: "elsewhere" },
            status: { phase: "Running", podIP: "10.0.0.5" }
          }
        })
        expect(written.status).toBe(200)
        expect(written.body.spec.nodeName).toBe("n1")
        expect(written.body.metadata.ownerReferences).toBeUndefined()
        // The QoS class set at creation is kept when a status write leaves it out.
        expect(written.body.status).toEqual({ phase: "Running", podIP: "10.0.0.5", qosClass: "BestEffort" })
        const got = yield* send(h, "GET", `${pods}/a/status`)
        expect(got.body.status.phase).toBe("Running")
        const patched = yield* send(h, "PATCH", `${pods}/a/status`, {
          json: { status: { phase: "Succeeded" }, spec: { nodeName: "x" } },
          headers: { "content-type": "application/merge-patch+json" }
        })
        expect(patched.body.status.phase).toBe("Succeeded")
        expect(patched.body.spec.nodeName).toBe("n1")
      })
    )

    it.effect("kinds without a status subresource have none", () =>
      Effect.gen(function* () {
        const h = yield* harness()
        expect((yield* send(h, "GET", "/apis/coordination.k8s.io/v1/namespaces/default/leases/x/status")).status).toBe(
          404
        )
        expect((yield* send(h, "PUT", "/api/v1/nodes/x/finalize", { json: {} })).status).toBe(404)
      })
    )
  })
})
