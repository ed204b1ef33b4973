import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as TestClock from "effect/TestClock"
import * as MemoryStore from "../store/MemoryStore.js"
import { type Revision, Store } from "../store/Store.js"
import * as ApiServer from "./ApiServer.js"
import { deployment, harness, jsonOf, pod, request, send } from "./Harness.js"

const deployments = "/apis/apps/v1/namespaces/default/deployments"
const pods = "/api/v1/namespaces/default/pods"
const mergePatch = { "content-type": "application/merge-patch+json" }

describe("delete", () => {
  it.effect("removes an object at once and answers a Success Status with its uid", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const created = (yield* send(h, "POST", deployments, { json: deployment("web") })).body
      const deleted = yield* send(h, "DELETE", `${deployments}/web`)
      expect(deleted.status).toBe(200)
      expect(deleted.body).toMatchObject({
        kind: "Status",
        status: "Success",
        details: { name: "web", group: "apps", kind: "deployments", uid: created.metadata.uid }
      })
      expect((yield* send(h, "GET", `${deployments}/web`)).status).toBe(404)
      expect((yield* send(h, "DELETE", `${deployments}/web`)).status).toBe(404)
    })
  )

  it.effect("pods answer with the deleted object; an unbound pod goes at once", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* send(h, "POST", pods, { json: pod("a") })
      const deleted = yield* send(h, "DELETE", `${pods}/a`)
      expect(deleted.status).toBe(200)
      expect(deleted.body.kind).toBe("Pod")
      expect((yield* send(h, "GET", `${pods}/a`)).status).toBe(404)
    })
  )

  it.effect("a pod bound to a node terminates gracefully; the kubelet's grace-0 delete removes it", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* TestClock.setTime(Date.parse("2024-01-01T00:00:00Z"))
      yield* send(h, "POST", pods, { json: pod("a", { spec: { nodeName: "n1", terminationGracePeriodSeconds: 20 } }) })
      const first = yield* send(h, "DELETE", `${pods}/a`)
      expect(first.status).toBe(200)
      expect(first.body.metadata.deletionTimestamp).toBe("2024-01-01T00:00:20Z")
      expect(first.body.metadata.deletionGracePeriodSeconds).toBe(20)
      expect((yield* send(h, "GET", `${pods}/a`)).status).toBe(200)
      // Deleting again with a longer period changes nothing; a shorter one moves the deadline.
      const again = yield* send(h, "DELETE", `${pods}/a`, { query: { gracePeriodSeconds: "60" } })
      expect(again.body.metadata.deletionTimestamp).toBe("2024-01-01T00:00:20Z")
      const shorter = yield* send(h, "DELETE", `${pods}/a`, { query: { gracePeriodSeconds: "5" } })
      expect(shorter.body.metadata.deletionTimestamp).toBe("2024-01-01T00:00:05Z")
      expect(shorter.body.metadata.deletionGracePeriodSeconds).toBe(5)
      const final = yield* send(h, "DELETE", `${pods}/a`, {
        json: { kind: "DeleteOptions", apiVersion: "v1", gracePeriodSeconds: 0 }
      })
      expect(final.status).toBe(200)
      expect((yield* send(h, "GET", `${pods}/a`)).status).toBe(404)
    })
  )

  it.effect("gracePeriodSeconds=0 deletes a bound pod at once", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* send(h, "POST", pods, { json: pod("a", { spec: { nodeName: "n1" } }) })
      yield* send(h, "DELETE", `${pods}/a`, { query: { gracePeriodSeconds: "0" } })
      expect((yield* send(h, "GET", `${pods}/a`)).status).toBe(404)
    })
  )

  it.effect("finalizers keep an object until the last one is removed", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const withFinalizer = {
        ...deployment("web"),
        metadata: { ...deployment("web").metadata, finalizers: ["example.com/hold"] }
      }
      yield* send(h, "POST", deployments, { json: withFinalizer })
      const marked = yield* send(h, "DELETE", `${deployments}/web`)
      expect(marked.status).toBe(200)
      expect(marked.body.kind).toBe("Deployment")
      expect(marked.body.metadata.deletionTimestamp).toBeDefined()
      expect(marked.body.metadata.deletionGracePeriodSeconds).toBe(0)
      expect(marked.body.metadata.generation).toBe(2)
      // No new finalizers once deleting.
      const added = yield* send(h, "PATCH", `${deployments}/web`, {
        json: { metadata: { finalizers: ["example.com/hold", "example.com/more"] } },
        headers: mergePatch
      })
      expect(added.status).toBe(422)
      const released = yield* send(h, "PATCH", `${deployments}/web`, {
        json: { metadata: { finalizers: null } },
        headers: mergePatch
      })
      expect(released.status).toBe(200)
      expect((yield* send(h, "GET", `${deployments}/web`)).status).toBe(404)
    })
  )

  it.effect("removing the last finalizer survives a write or a delete racing it (no resourceVersion given)", () =>
    Effect.gen(function* () {
      const store = yield* MemoryStore.make
      // What another client does between the API server's decision and its delete.
      let race: ((key: string) => Effect.Effect<unknown, unknown>) | undefined
      const racy: Store["Type"] = {
        ...store,
        delete: (key: string, expected?: Revision) => {
          const before = race === undefined ? Effect.void : Effect.ignore(race(key))
          race = undefined
          return Effect.zipRight(before, store.delete(key, expected))
        }
      }
      const server = yield* Effect.provideService(ApiServer.make(), Store, racy)
      const random = Random.make(42)
      const call = (method: "POST" | "DELETE" | "PATCH", path: string, options = {}) =>
        Effect.map(Effect.withRandom(server.handle(request(method, path, options)), random), jsonOf)
      const release = { json: { metadata: { finalizers: null } }, headers: mergePatch }
      for (const name of ["a", "b"]) {
        yield* call("POST", pods, { json: pod(name, { metadata: { finalizers: ["example.com/hold"] } }) })
        yield* call("DELETE", `${pods}/${name}`)
      }
      race = (key) =>
        Effect.flatMap(store.get(key), (e) =>
          store.update(key, { ...e.value, status: { phase: "Failed" } }, e.modRevision)
        )
      const afterWrite = yield* call("PATCH", `${pods}/a`, release)
      expect(afterWrite.status).toBe(200)
      expect((yield* call("DELETE", `${pods}/a`)).status).toBe(404)
      race = (key) => store.delete(key)
      const afterDelete = yield* call("PATCH", `${pods}/b`, release)
      expect(afterDelete.status).toBe(200)
      expect(afterDelete.body.metadata.name).toBe("b")
    })
  )

  it.effect("Foreground adds foregroundDeletion, Orphan adds orphan; 202 only for orphanDependents=false", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* send(h, "POST", deployments, { json: deployment("fg") })
      const fg = yield* send(h, "DELETE", `${deployments}/fg`, { json: { propagationPolicy: "Foreground" } })
      expect(fg.status).toBe(200)
      expect(fg.body.metadata.finalizers).toEqual(["foregroundDeletion"])
      expect(fg.body.metadata.deletionTimestamp).toBeDefined()
      yield* send(h, "POST", deployments, { json: deployment("or") })
      const orphan = yield* send(h, "DELETE", `${deployments}/or`, { query: { propagationPolicy: "Orphan" } })
      expect(orphan.body.metadata.finalizers).toEqual(["orphan"])
      yield* send(h, "POST", deployments, { json: deployment("legacy") })
      const legacy = yield* send(h, "DELETE", `${deployments}/legacy`, { json: { orphanDependents: false } })
      expect(legacy.status).toBe(200)
      // The garbage collector finishes a foreground deletion by dropping the finalizer.
      yield* send(h, "PATCH", `${deployments}/fg`, { json: { metadata: { finalizers: null } }, headers: mergePatch })
      expect((yield* send(h, "GET", `${deployments}/fg`)).status).toBe(404)
      const bad = yield* send(h, "DELETE", `${deployments}/or`, { query: { propagationPolicy: "Sideways" } })
      expect(bad.status).toBe(422)
      const both = yield* send(h, "DELETE", `${deployments}/or`, {
        json: { orphanDependents: true, propagationPolicy: "Orphan" }
      })
      expect(both.status).toBe(422)
    })
  )

  it.effect("202 Accepted when orphanDependents=false leaves the object waiting", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const held = {
        ...deployment("web"),
        metadata: { ...deployment("web").metadata, finalizers: ["example.com/hold"] }
      }
      yield* send(h, "POST", deployments, { json: held })
      const r = yield* send(h, "DELETE", `${deployments}/web`, { json: { orphanDependents: false } })
      expect(r.status).toBe(202)
    })
  )

  it.effect("preconditions on uid and resourceVersion are 409 when they do not hold", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const created = (yield* send(h, "POST", deployments, { json: deployment("web") })).body
      const uid = yield* send(h, "DELETE", `${deployments}/web`, { json: { preconditions: { uid: "other" } } })
      expect(uid.status).toBe(409)
      expect(uid.body.message).toContain("Precondition failed: UID in precondition: other")
      const rv = yield* send(h, "DELETE", `${deployments}/web`, { json: { preconditions: { resourceVersion: "1" } } })
      expect(rv.status).toBe(409)
      const ok = yield* send(h, "DELETE", `${deployments}/web`, {
        json: { preconditions: { uid: created.metadata.uid, resourceVersion: created.metadata.resourceVersion } }
      })
      expect(ok.status).toBe(200)
    })
  )

  it.effect("dryRun=All deletes nothing", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* send(h, "POST", deployments, { json: deployment("web") })
      const before = yield* h.store.revision
      expect((yield* send(h, "DELETE", `${deployments}/web`, { query: { dryRun: "All" } })).status).toBe(200)
      expect(yield* h.store.revision).toBe(before)
      expect((yield* send(h, "GET", `${deployments}/web`)).status).toBe(200)
    })
  )

  it.effect("deletecollection deletes what the selectors select", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* send(h, "POST", pods, { json: pod("a", { metadata: { labels: { app: "x" } } }) })
      yield* send(h, "POST", pods, { json: pod("b", { metadata: { labels: { app: "y" } } }) })
      yield* send(h, "POST", pods, { json: pod("c", { metadata: { labels: { app: "x" } } }) })
      const r = yield* send(h, "DELETE", pods, { query: { labelSelector: "app=x" } })
      expect(r.status).toBe(200)
      expect(r.body.kind).toBe("PodList")
      expect(r.body.items.map((p: any) => p.metadata.name)).toEqual(["a", "c"])
      expect((yield* send(h, "GET", pods)).body.items.map((p: any) => p.metadata.name)).toEqual(["b"])
    })
  )

  it.effect("a namespace turns Terminating, refuses new content, and waits for its finalizers", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* send(h, "POST", "/api/v1/namespaces", {
        json: { apiVersion: "v1", kind: "Namespace", metadata: { name: "team" } }
      })
      const deleted = yield* send(h, "DELETE", "/api/v1/namespaces/team")
      expect(deleted.status).toBe(200)
      expect(deleted.body.status.phase).toBe("Terminating")
      expect(deleted.body.metadata.deletionTimestamp).toBeDefined()
      const refused = yield* send(h, "POST", "/api/v1/namespaces/team/pods", { json: pod("a") })
      expect(refused.status).toBe(403)
      expect(refused.body.message).toBe("unable to create new content in namespace team because it is being terminated")
      expect((yield* send(h, "DELETE", "/api/v1/namespaces/team")).status).toBe(409)
      // The namespace controller empties spec.finalizers through /finalize, and that removes the namespace.
      const current = (yield* send(h, "GET", "/api/v1/namespaces/team")).body
      const finalized = yield* send(h, "PUT", "/api/v1/namespaces/team/finalize", {
        json: { ...current, spec: { finalizers: [] }, metadata: { ...current.metadata, labels: { ignored: "yes" } } }
      })
      expect(finalized.status).toBe(200)
      expect(finalized.body.spec.finalizers).toEqual([])
      expect(finalized.body.metadata.labels.ignored).toBeUndefined()
      expect((yield* send(h, "GET", "/api/v1/namespaces/team")).status).toBe(404)
    })
  )
})
