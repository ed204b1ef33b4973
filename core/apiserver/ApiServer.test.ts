import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"
import * as MemoryStore from "../store/MemoryStore.js"
import { Store, StoreUnavailable } from "../store/Store.js"
import * as ApiServer from "./ApiServer.js"
import { layer } from "./ApiServer.js"
import { deployment, harness, pod, request, send } from "./Harness.js"

const deployments = "/apis/apps/v1/namespaces/default/deployments"
const pods = "/api/v1/namespaces/default/pods"

describe("ApiServer", () => {
  it.effect("is a layer over the Store and starts with the system namespaces", () =>
    Effect.gen(function* () {
      const server = yield* ApiServer.ApiServer
      const response = yield* server.handle(request("GET", "/api/v1/namespaces"))
      expect(response._tag).toBe("Json")
      const body = (response as { body: any }).body
      expect(body.kind).toBe("NamespaceList")
      expect(body.items.map((n: any) => n.metadata.name)).toEqual([
        "default",
        "kube-node-lease",
        "kube-public",
        "kube-system"
      ])
      expect(body.items[0].spec.finalizers).toEqual(["kubernetes"])
      expect(body.items[0].status.phase).toBe("Active")
    }).pipe(Effect.provide(layer().pipe(Layer.provide(MemoryStore.layer))))
  )

  it.effect("a store that is down at start gets the system namespaces once it answers", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryStore.make
      let up = false
      const down = Effect.fail(new StoreUnavailable({ message: "etcd is not up yet" }))
      const late: Store["Type"] = { ...memory, create: (key, value) => (up ? memory.create(key, value) : down) }
      yield* Effect.provideService(ApiServer.make(), Store, late)
      expect((yield* memory.list("/")).entries).toEqual([])
      up = true
      yield* TestClock.adjust("10 seconds")
      const names = (yield* memory.list("/")).entries.map((e) => (e.value as any).metadata.name)
      expect(names).toEqual(["default", "kube-node-lease", "kube-public", "kube-system"])
    })
  )

  describe("create", () => {
    it.effect("answers 201 with server-set fields", () =>
      Effect.gen(function* () {
        const h = yield* harness()
        yield* TestClock.setTime(Date.parse("2024-05-01T10:20:30.456Z"))
        const { status, body } = yield* send(h, "POST", deployments, { json: deployment("web") })
        expect(status).toBe(201)
        expect(body.metadata.namespace).toBe("default")
        expect(body.metadata.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
        expect(body.metadata.creationTimestamp).toBe("2024-05-01T10:20:30Z")
        expect(body.metadata.generation).toBe(1)
        expect(body.metadata.resourceVersion).toBe(String(yield* h.store.revision))
        expect(body.spec.strategy.type).toBe("RollingUpdate")
        expect(body.status).toEqual({})
        // resourceVersion is never stored, only stamped on reads.
        const entry = yield* h.store.get("/registry/apps/deployments/default/web")
        expect((entry.value as any).metadata.resourceVersion).toBeUndefined()
      })
    )

    it.effect("resets status as PrepareForCreate does, and computes a pod's QoS class", () =>
      Effect.gen(function* () {
        const h = yield* harness()
        const withStatus = { ...deployment("web"), status: { replicas: 5 } }
        expect((yield* send(h, "POST", deployments, { json: withStatus })).body.status).toEqual({})
        const guaranteed = pod("g", {
          spec: { containers: [{ name: "a", image: "x", resources: { limits: { cpu: "1", memory: "1Gi" } } }] }
        })
        const created = yield* send(h, "POST", pods, { json: { ...guaranteed, status: { phase: "Running" } } })
        expect(created.body.status).toEqual({ phase: "Pending", qosClass: "Guaranteed" })
        const burstable = pod("b", {
          spec: { containers: [{ name: "a", image: "x", resources: { requests: { cpu: "1" } } }] }
        })
        expect((yield* send(h, "POST", pods, { json: burstable })).body.status.qosClass).toBe("Burstable")
        // Nodes keep the status they are created with.
        const node = { apiVersion: "v1", kind: "Node", metadata: { name: "n1" }, status: { capacity: { cpu: "4" } } }
        expect((yield* send(h, "POST", "/api/v1/nodes", { json: node })).body.status.capacity).toEqual({ cpu: "4" })
      })
    )

    it.effect("generates names from generateName with Kubernetes' alphabet", () =>
      Effect.gen(function* () {
        const h = yield* harness()
        const body = { ...pod(""), metadata: { generateName: "web-" } }
        const first = yield* send(h, "POST", pods, { json: body })
        const second = yield* send(h, "POST", pods, { json: body })
        expect(first.status).toBe(201)
        expect(first.body.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/)
        expect(second.body.metadata.name).not.toBe(first.body.metadata.name)
      })
    )

    it.effect("retries a generated name that is taken", () =>
      Effect.gen(function* () {
        // The same seed draws the same first suffix: take that name, then generate.
        const probe = yield* harness({}, 7)
        const taken = (yield* send(probe, "POST", pods, { json: { ...pod(""), metadata: { generateName: "x-" } } }))
          .body.metadata.name
        const h = yield* harness({}, 7)
        yield* send(h, "POST", pods, { json: pod(taken) })
        const again = yield* send(h, "POST", pods, { json: { ...pod(""), metadata: { generateName: "x-" } } })
        expect(again.status).toBe(201)
        expect(again.body.metadata.name).not.toBe(taken)
      })
    )

    it.effect("refuses conflicts and bad input with Kubernetes' codes and words", () =>
      Effect.gen(function* () {
        const h = yield* harness()
        yield* send(h, "POST", deployments, { json: deployment("web") })
        const dup = yield* send(h, "POST", deployments, { json: deployment("web") })
        expect(dup.status).toBe(409)
        expect(dup.body.reason).toBe("AlreadyExists")
        expect(dup.body.message).toBe('deployments.apps "web" already exists')

        const wrongKind = yield* send(h, "POST", deployments, { json: pod("p") })
        expect(wrongKind.status).toBe(400)

        const wrongNs = yield* send(h, "POST", deployments, {
          json: { ...deployment("x"), metadata: { name: "x", namespace: "other" } }
        })
        expect(wrongNs.status).toBe(400)
        expect(wrongNs.body.message).toBe(
          "the namespace of the provided object does not match the namespace sent on the request"
        )

        const noNs = yield* send(h, "POST", "/apis/apps/v1/namespaces/nope/deployments", { json: deployment("x") })
        expect(noNs.status).toBe(404)
        expect(noNs.body.message).toBe('namespaces "nope" not found')

        const invalid = yield* send(h, "POST", deployments, { json: deployment("y", -1) })
        expect(invalid.status).toBe(422)
        expect(invalid.body.reason).toBe("Invalid")
        expect(invalid.body.details.causes.map((c: any) => c.field)).toContain("spec.replicas")

        const noName = yield* send(h, "POST", pods, { json: { ...pod(""), metadata: {} } })
        expect(noName.status).toBe(422)
        expect(noName.body.message).toContain("metadata.name")
      })
    )

    it.effect("honours fieldValidation: Warn (default) warns, Strict refuses, Ignore is silent", () =>
      Effect.gen(function* () {
        const h = yield* harness()
        const withUnknown = (name: string) => ({ ...deployment(name), spec: { ...deployment(name).spec, bogus: 1 } })
        const warned = yield* send(h, "POST", deployments, { json: withUnknown("a") })
        expect(warned.status).toBe(201)
        expect(warned.headers.warning).toBe('299 - "unknown field \\"spec.bogus\\""')
        expect(warned.body.spec.bogus).toBeUndefined()
        const strict = yield* send(h, "POST", deployments, {
          json: withUnknown("b"),
          query: { fieldValidation: "Strict" }
        })
        expect(strict.status).toBe(400)
        expect(strict.body.message).toContain('unknown field "spec.bogus"')
        const ignored = yield* send(h, "POST", deployments, {
          json: withUnknown("c"),
          query: { fieldValidation: "Ignore" }
        })
        expect(ignored.status).toBe(201)
        expect(ignored.headers.warning).toBeUndefined()
        const badMode = yield* send(h, "POST", deployments, {
          json: deployment("d"),
          query: { fieldValidation: "Loud" }
        })
        expect(badMode.status).toBe(400)
      })
    )

    it.effect("with dryRun=All validates and answers without writing", () =>
      Effect.gen(function* () {
        const h = yield* harness()
        const before = yield* h.store.revision
        const dry = yield* send(h, "POST", deployments, { json: deployment("web"), query: { dryRun: "All" } })
        expect(dry.status).toBe(201)
        expect(dry.body.metadata.uid).toBeDefined()
        expect(yield* h.store.revision).toBe(before)
        expect((yield* send(h, "GET", `${deployments}/web`)).status).toBe(404)
        expect((yield* send(h, "POST", deployments, { json: deployment("w"), query: { dryRun: "Some" } })).status).toBe(
          400
        )
      })
    )

    it.effect("accepts an already-parsed body and YAML", () =>
      Effect.gen(function* () {
        const h = yield* harness()
        expect((yield* send(h, "POST", deployments, { parsed: deployment("parsed") })).status).toBe(201)
        const yaml =
          "apiVersion: v1\nkind: Pod\nmetadata:\n  name: y\nspec:\n  containers:\n  - name: a\n    image: nginx\n"
        const created = yield* send(h, "POST", pods, { text: yaml, headers: { "content-type": "application/yaml" } })
        expect(created.status).toBe(201)
        expect(created.body.metadata.name).toBe("y")
      })
    )
  })

  describe("get", () => {
    it.effect("answers the object or 404 worded as Kubernetes", () =>
      Effect.gen(function* () {
        const h = yield* harness()
        yield* send(h, "POST", deployments, { json: deployment("web") })
        const got = yield* send(h, "GET", `${deployments}/web`)
        expect(got.status).toBe(200)
        expect(got.body.metadata.name).toBe("web")
        const missing = yield* send(h, "GET", `${deployments}/nope`)
        expect(missing.status).toBe(404)
        expect(missing.body).toMatchObject({
          kind: "Status",
          apiVersion: "v1",
          status: "Failure",
          reason: "NotFound",
          code: 404,
          message: 'deployments.apps "nope" not found',
          details: { name: "nope", group: "apps", kind: "deployments" }
        })
      })
    )
  })

  describe("update", () => {
    it.effect("compares and swaps on resourceVersion; a stale one is a 409 Conflict", () =>
      Effect.gen(function* () {
        const h = yield* harness()
        const created = (yield* send(h, "POST", deployments, { json: deployment("web") })).body
        const scaled = { ...created, spec: { ...created.spec, replicas: 3 } }
        const first = yield* send(h, "PUT", `${deployments}/web`, { json: scaled })
        expect(first.status).toBe(200)
        expect(first.body.spec.replicas).toBe(3)
        expect(first.body.metadata.generation).toBe(2)
        const stale = yield* send(h, "PUT", `${deployments}/web`, {
          json: { ...scaled, spec: { ...scaled.spec, replicas: 4 } }
        })
        expect(stale.status).toBe(409)
        expect(stale.body.reason).toBe("Conflict")
        expect(stale.body.message).toBe(
          'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again'
        )
      })
    )

    it.effect("without resourceVersion is unconditional; server-owned metadata is kept", () =>
      Effect.gen(function* () {
        const h = yield* harness()
        const created = (yield* send(h, "POST", deployments, { json: deployment("web") })).body
        const { resourceVersion: _rv, ...meta } = created.metadata
        const body = {
          ...created,
          metadata: {
            ...meta,
            creationTimestamp: "2000-01-01T00:00:00Z",
            generation: 40,
            labels: { app: "web", x: "y" }
          }
        }
        const updated = yield* send(h, "PUT", `${deployments}/web`, { json: body })
        expect(updated.status).toBe(200)
        expect(updated.body.metadata.creationTimestamp).toBe(created.metadata.creationTimestamp)
        expect(updated.body.metadata.uid).toBe(created.metadata.uid)
        // Labels are not spec: the generation stays.
        expect(updated.body.metadata.generation).toBe(1)
        expect(updated.body.metadata.labels.x).toBe("y")
      })
    )

    it.effect("a no-op update writes nothing", () =>
      Effect.gen(function* () {
        const h = yield* harness()
        const created = (yield* send(h, "POST", deployments, { json: deployment("web") })).body
        const before = yield* h.store.revision
        const same = yield* send(h, "PUT", `${deployments}/web`, { json: created })
        expect(same.status).toBe(200)
        expect(same.body.metadata.resourceVersion).toBe(created.metadata.resourceVersion)
        expect(yield* h.store.revision).toBe(before)
      })
    )

    it.effect("refuses a body naming another object, a foreign uid, and immutable changes", () =>
      Effect.gen(function* () {
        const h = yield* harness()
        const created = (yield* send(h, "POST", deployments, { json: deployment("web") })).body
        const renamed = yield* send(h, "PUT", `${deployments}/web`, {
          json: { ...created, metadata: { ...created.metadata, name: "x" } }
        })
        expect(renamed.status).toBe(400)
        expect(renamed.body.message).toBe("the name of the object (x) does not match the name on the URL (web)")
        const foreign = yield* send(h, "PUT", `${deployments}/web`, {
          json: { ...created, metadata: { ...created.metadata, uid: "00000000-0000-4000-8000-000000000000" } }
        })
        expect(foreign.status).toBe(409)
        expect(foreign.body.message).toContain("Precondition failed: UID in precondition")
        const selector = { matchLabels: { app: "web", tier: "x" } }
        const template = { ...created.spec.template, metadata: { labels: { app: "web", tier: "x" } } }
        const immutable = yield* send(h, "PUT", `${deployments}/web`, {
          json: { ...created, spec: { ...created.spec, selector, template } }
        })
        expect(immutable.status).toBe(422)
        expect(immutable.body.details.causes.map((c: any) => c.field)).toContain("spec.selector")
        expect(
          (yield* send(h, "PUT", `${deployments}/nope`, { json: { ...created, metadata: { name: "nope" } } })).status
        ).toBe(404)
      })
    )

    it.effect("ignores status on the main resource; the status subresource ignores the rest", () =>
      Effect.gen(function* () {
        const h = yield* harness()
        const created = (yield* send(h, "POST", deployments, { json: deployment("web") })).body
        const viaMain = yield* send(h, "PUT", `${deployments}/web`, { json: { ...created, status: { replicas: 9 } } })
        expect(viaMain.body.status).toEqual({})
        const current = viaMain.body
        const viaStatus = yield* send(h, "PUT", `${deployments}/web/status`, {
          json: {
            ...current,
            metadata: { ...current.metadata, labels: { app: "changed" }, annotations: { note: "kept" } },
            spec: { ...current.spec, replicas: 7 },
            status: { replicas: 2, observedGeneration: 1 }
          }
        })
        expect(viaStatus.status).toBe(200)
        expect(viaStatus.body.status).toEqual({ replicas: 2, observedGeneration: 1 })
        expect(viaStatus.body.spec.replicas).toBe(1)
        // Deployments' status strategy keeps labels but takes annotations, as Kubernetes' does.
        expect(viaStatus.body.metadata.labels).toEqual({ app: "web" })
        expect(viaStatus.body.metadata.annotations).toEqual({ note: "kept" })
        expect(viaStatus.body.metadata.generation).toBe(1)
      })
    )
  })

  describe("patch", () => {
    it.effect("merge, JSON and strategic patches apply to the current object", () =>
      Effect.gen(function* () {
        const h = yield* harness()
        yield* send(h, "POST", deployments, { json: deployment("web") })
        const merge = yield* send(h, "PATCH", `${deployments}/web`, {
          json: { spec: { replicas: 4 } },
          headers: { "content-type": "application/merge-patch+json" }
        })
        expect(merge.status).toBe(200)
        expect(merge.body.spec.replicas).toBe(4)
        expect(merge.body.metadata.generation).toBe(2)
        const jsonPatch = yield* send(h, "PATCH", `${deployments}/web`, {
          json: [{ op: "replace", path: "/spec/replicas", value: 5 }],
          headers: { "content-type": "application/json-patch+json" }
        })
        expect(jsonPatch.body.spec.replicas).toBe(5)
        const strategic = yield* send(h, "PATCH", `${deployments}/web`, {
          json: { spec: { template: { spec: { containers: [{ name: "sidecar", image: "busybox" }] } } } },
          headers: { "content-type": "application/strategic-merge-patch+json" }
        })
        expect(strategic.body.spec.template.spec.containers.map((c: any) => c.name)).toEqual(["sidecar", "app"])
      })
    )

    it.effect("a resourceVersion in the patch is a precondition; otherwise conflicts are retried", () =>
      Effect.gen(function* () {
        const h = yield* harness()
        const created = (yield* send(h, "POST", deployments, { json: deployment("web") })).body
        yield* send(h, "PATCH", `${deployments}/web`, {
          json: { metadata: { labels: { a: "b" } } },
          headers: { "content-type": "application/merge-patch+json" }
        })
        const stale = yield* send(h, "PATCH", `${deployments}/web`, {
          json: { metadata: { resourceVersion: created.metadata.resourceVersion }, spec: { replicas: 2 } },
          headers: { "content-type": "application/merge-patch+json" }
        })
        expect(stale.status).toBe(409)
      })
    )

    it.effect("refuses server-side apply, unknown types, malformed and failing patches", () =>
      Effect.gen(function* () {
        const h = yield* harness()
        yield* send(h, "POST", deployments, { json: deployment("web") })
        const apply = yield* send(h, "PATCH", `${deployments}/web`, {
          text: "spec: {}",
          headers: { "content-type": "application/apply-patch+yaml" }
        })
        expect(apply.status).toBe(415)
        expect(apply.body.message).toContain("server-side apply is not supported")
        const unknown = yield* send(h, "PATCH", `${deployments}/web`, {
          json: {},
          headers: { "content-type": "text/plain" }
        })
        expect(unknown.status).toBe(415)
        const malformed = yield* send(h, "PATCH", `${deployments}/web`, {
          text: "{nope",
          headers: { "content-type": "application/merge-patch+json" }
        })
        expect(malformed.status).toBe(400)
        const notOps = yield* send(h, "PATCH", `${deployments}/web`, {
          json: { op: "add" },
          headers: { "content-type": "application/json-patch+json" }
        })
        expect(notOps.status).toBe(400)
        const failing = yield* send(h, "PATCH", `${deployments}/web`, {
          json: [{ op: "test", path: "/spec/replicas", value: 99 }],
          headers: { "content-type": "application/json-patch+json" }
        })
        expect(failing.status).toBe(422)
        const missing = yield* send(h, "PATCH", `${deployments}/nope`, {
          json: {},
          headers: { "content-type": "application/merge-patch+json" }
        })
        expect(missing.status).toBe(404)
      })
    )
  })

  describe("routing", () => {
    it.effect("unknown paths are 404 Status, wrong verbs 405", () =>
      Effect.gen(function* () {
        const h = yield* harness()
        for (const path of [
          "/nope",
          "/api/v2",
          "/apis/nope.io",
          "/api/v1/foos",
          "/api/v1/namespaces/default/nodes",
          "/api/v1/pods/x"
        ]) {
          const r = yield* send(h, "GET", path)
          expect([path, r.status, r.body.reason]).toEqual([path, 404, "NotFound"])
        }
        expect((yield* send(h, "GET", `${deployments}/web/bogus`)).status).toBe(404)
        expect((yield* send(h, "PUT", deployments, { json: {} })).status).toBe(405)
        expect((yield* send(h, "POST", `${deployments}/web`, { json: {} })).status).toBe(405)
        expect((yield* send(h, "POST", "/api/v1/pods", { json: pod("x") })).status).toBe(405)
        expect((yield* send(h, "DELETE", "/version")).status).toBe(405)
      })
    )

    it.effect("catches defects and answers 500", () =>
      Effect.gen(function* () {
        const h = yield* harness()
        // A Parsed body whose getter throws reaches code that does not expect it.
        const hostile = Object.defineProperty({}, "metadata", {
          enumerable: true,
          get: () => {
            throw new Error("boom")
          }
        })
        const r = yield* send(h, "POST", pods, { parsed: hostile })
        expect(r.status).toBe(500)
        expect(r.body.reason).toBe("InternalError")
      })
    )
  })

  describe("event ttl", () => {
    const events = "/api/v1/namespaces/default/events"
    const event = (name: string) => ({
      apiVersion: "v1",
      kind: "Event",
      metadata: { name },
      involvedObject: { kind: "Pod", name: "web", namespace: "default" },
      reason: "Started",
      message: "Started container app",
      type: "Normal",
      count: 1
    })

    it.effect("an Event is deleted --event-ttl after its last create or update; other kinds are kept", () =>
      Effect.gen(function* () {
        const h = yield* harness({ eventTTL: "10 minutes" })
        expect((yield* send(h, "POST", events, { json: event("a") })).status).toBe(201)
        expect((yield* send(h, "POST", events, { json: event("b") })).status).toBe(201)
        expect((yield* send(h, "POST", pods, { json: pod("web") })).status).toBe(201)
        yield* TestClock.adjust("9 minutes")
        const bumped = yield* send(h, "PATCH", `${events}/b`, {
          json: { count: 2 },
          headers: { "content-type": "application/merge-patch+json" }
        })
        expect(bumped.status).toBe(200)
        yield* TestClock.adjust("1 minutes")
        expect((yield* send(h, "GET", `${events}/a`)).status).toBe(404)
        expect((yield* send(h, "GET", `${events}/b`)).body.count).toBe(2)
        yield* TestClock.adjust("9 minutes")
        expect((yield* send(h, "GET", events)).body.items).toEqual([])
        yield* TestClock.adjust("1 days")
        expect((yield* send(h, "GET", `${pods}/web`)).status).toBe(200)
      })
    )

    it.effect("the default ttl is Kubernetes' hour", () =>
      Effect.gen(function* () {
        const h = yield* harness()
        yield* send(h, "POST", events, { json: event("a") })
        yield* TestClock.adjust("59 minutes")
        expect((yield* send(h, "GET", `${events}/a`)).status).toBe(200)
        yield* TestClock.adjust("1 minutes")
        expect((yield* send(h, "GET", `${events}/a`)).status).toBe(404)
      })
    )
  })
})
