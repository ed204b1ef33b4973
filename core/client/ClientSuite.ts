/**
 * The Client conformance suite: the same tests over every transport (in process, HTTP), so a
 * difference between them shows up as a failing test, not as a cluster that only works in one mode.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import type { Deployment } from "../api/Deployment.js"
import { Deployments } from "../api/Deployment.js"
import type { KubeList, KubeObject } from "../api/meta.js"
import type { Namespace } from "../api/Namespace.js"
import { Namespaces } from "../api/Namespace.js"
import type { Pod } from "../api/Pod.js"
import { Pods } from "../api/Pod.js"
import { Store } from "../store/Store.js"
import { Client } from "./Client.js"

const pod = (name: string, labels: Record<string, string> = {}, namespace?: string): Pod =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels, ...(namespace === undefined ? {} : { namespace }) },
    spec: { containers: [{ name: "main", image: "nginx:1.27" }] }
  }) as unknown as Pod

const deployment = (name: string, replicas: number): Deployment =>
  ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: "main", image: "nginx:1.27" }] }
      }
    }
  }) as unknown as Deployment

const namespace = (name: string): Namespace =>
  ({ apiVersion: "v1", kind: "Namespace", metadata: { name } }) as unknown as Namespace

const names = (items: ReadonlyArray<KubeObject>) => items.map((item) => item.metadata.name)

/**
 * Registers the suite. `layer` gives a fresh, empty cluster per test: a Client over the transport
 * under test, and the Store behind the API server (to compact it for the "too old" case).
 */
export const testClient = (name: string, layer: Layer.Layer<Client | Store, unknown>) =>
  describe(`Client over ${name}`, () => {
    const test = (title: string, body: Effect.Effect<void, unknown, Client | Store>) =>
      it.live(title, () => Effect.provide(body, layer))

    test(
      "create, then get the object the server stored",
      Effect.gen(function* () {
        const client = yield* Client
        const created = yield* client.create(Pods, pod("web"))
        expect(created.metadata.namespace).toBe("default")
        expect(created.metadata.uid).toBeTypeOf("string")
        expect(created.metadata.resourceVersion).toBeTypeOf("string")
        const got = yield* client.get(Pods, "web")
        expect(got.metadata.uid).toBe(created.metadata.uid)
        expect(got.spec).toEqual(created.spec)
      })
    )

    test(
      "the object's own namespace is used, and a cluster-scoped kind has none",
      Effect.gen(function* () {
        const client = yield* Client
        yield* client.create(Namespaces, namespace("team-a"))
        const created = yield* client.create(Pods, pod("api", {}, "team-a"))
        expect(created.metadata.namespace).toBe("team-a")
        yield* client.get(Pods, "api", { namespace: "team-a" })
        const missing = yield* Effect.flip(client.get(Pods, "api"))
        expect(missing._tag).toBe("NotFound")
        const ns = yield* client.get(Namespaces, "team-a")
        expect(ns.metadata.namespace).toBeUndefined()
      })
    )

    test(
      "list filters by label selector, in one namespace or in all",
      Effect.gen(function* () {
        const client = yield* Client
        yield* client.create(Namespaces, namespace("other"))
        yield* client.create(Pods, pod("a1", { app: "a" }))
        yield* client.create(Pods, pod("a2", { app: "a" }))
        yield* client.create(Pods, pod("b1", { app: "b" }))
        yield* client.create(Pods, pod("a3", { app: "a" }, "other"))
        const inDefault = yield* client.list(Pods, { namespace: "default", labelSelector: "app=a" })
        expect(inDefault.kind).toBe("PodList")
        expect(names(inDefault.items)).toEqual(["a1", "a2"])
        const everywhere = yield* client.list(Pods, { labelSelector: "app=a" })
        expect(names(everywhere.items).sort()).toEqual(["a1", "a2", "a3"])
        const byName = yield* client.list(Pods, { namespace: "default", fieldSelector: "metadata.name=b1" })
        expect(names(byName.items)).toEqual(["b1"])
      })
    )

    test(
      "list pages with limit and continue",
      Effect.gen(function* () {
        const client = yield* Client
        for (const n of ["p1", "p2", "p3", "p4", "p5"]) yield* client.create(Pods, pod(n))
        const seen: Array<string | undefined> = []
        let token: string | undefined = undefined
        let pages = 0
        do {
          const page: KubeList<Pod> = yield* client.list(Pods, {
            namespace: "default",
            limit: 2,
            ...(token === undefined ? {} : { continue: token })
          })
          expect(page.items.length).toBeLessThanOrEqual(2)
          seen.push(...names(page.items))
          token = page.metadata.continue === "" ? undefined : page.metadata.continue
          pages++
        } while (token !== undefined)
        expect(seen).toEqual(["p1", "p2", "p3", "p4", "p5"])
        expect(pages).toBe(3)
      })
    )

    test(
      "watch delivers ADDED, MODIFIED, DELETED in order",
      Effect.gen(function* () {
        const client = yield* Client
        const start = yield* client.list(Pods, { namespace: "default" })
        const events = yield* client
          .watch(Pods, { namespace: "default", resourceVersion: start.metadata.resourceVersion! })
          .pipe(Stream.take(3), Stream.runCollect, Effect.fork)
        const created = yield* client.create(Pods, pod("w", { v: "1" }))
        yield* client.update(Pods, { ...created, metadata: { ...created.metadata, labels: { v: "2" } } })
        yield* client.delete(Pods, "w")
        const got = Chunk.toReadonlyArray(yield* Fiber.join(events))
        expect(got.map((e) => e.type)).toEqual(["ADDED", "MODIFIED", "DELETED"])
        expect(got.map((e) => e.object.metadata.name)).toEqual(["w", "w", "w"])
        expect(got[1]!.object.metadata.labels).toEqual({ v: "2" })
      })
    )

    test(
      "a watch from a compacted resourceVersion fails with Expired (410)",
      Effect.gen(function* () {
        const client = yield* Client
        const store = yield* Store
        const first = yield* client.create(Pods, pod("old"))
        yield* client.create(Pods, pod("newer"))
        yield* client.delete(Pods, "old")
        yield* store.compact(yield* store.revision)
        const error = yield* client
          .watch(Pods, { namespace: "default", resourceVersion: first.metadata.resourceVersion! })
          .pipe(Stream.runDrain, Effect.flip)
        expect(error._tag).toBe("Expired")
      })
    )

    test(
      "a stale update is a 409 Conflict",
      Effect.gen(function* () {
        const client = yield* Client
        const created = yield* client.create(Pods, pod("c"))
        yield* client.update(Pods, { ...created, metadata: { ...created.metadata, labels: { x: "1" } } })
        const error = yield* Effect.flip(
          client.update(Pods, { ...created, metadata: { ...created.metadata, labels: { x: "2" } } })
        )
        expect(error._tag).toBe("Conflict")
        if (error._tag === "Conflict") expect(error.code).toBe(409)
      })
    )

    test(
      "a missing object is a 404 NotFound, a taken name a 409 AlreadyExists",
      Effect.gen(function* () {
        const client = yield* Client
        const missing = yield* Effect.flip(client.get(Pods, "nope"))
        expect(missing._tag).toBe("NotFound")
        expect(missing.message).toContain("nope")
        yield* client.create(Pods, pod("dup"))
        const taken = yield* Effect.flip(client.create(Pods, pod("dup")))
        expect(taken._tag).toBe("AlreadyExists")
      })
    )

    test(
      "an invalid object is a 422 Invalid naming the fields",
      Effect.gen(function* () {
        const client = yield* Client
        const error = yield* Effect.flip(client.create(Deployments, deployment("bad", -1)))
        expect(error._tag).toBe("Invalid")
        if (error._tag === "Invalid") {
          expect(error.code).toBe(422)
          expect(error.details?.causes?.map((c) => c.field)).toContain("spec.replicas")
        }
        const none = yield* client.list(Deployments, { namespace: "default" })
        expect(none.items).toEqual([])
      })
    )

    test(
      "delete removes the object; deleting again is NotFound",
      Effect.gen(function* () {
        const client = yield* Client
        yield* client.create(Pods, pod("gone"))
        yield* client.delete(Pods, "gone")
        expect((yield* Effect.flip(client.get(Pods, "gone")))._tag).toBe("NotFound")
        expect((yield* Effect.flip(client.delete(Pods, "gone")))._tag).toBe("NotFound")
      })
    )

    test(
      "delete sends DeleteOptions: a failed precondition is a Conflict",
      Effect.gen(function* () {
        const client = yield* Client
        const created = yield* client.create(Pods, pod("kept"))
        const error = yield* Effect.flip(client.delete(Pods, "kept", { preconditions: { uid: "not-its-uid" } }))
        expect(error._tag).toBe("Conflict")
        yield* client.get(Pods, "kept")
        yield* client.delete(Pods, "kept", { preconditions: { uid: created.metadata.uid! }, gracePeriodSeconds: 0 })
        expect((yield* Effect.flip(client.get(Pods, "kept")))._tag).toBe("NotFound")
      })
    )

    test(
      "bind sets the node once; a second binding is a Conflict",
      Effect.gen(function* () {
        const client = yield* Client
        yield* client.create(Pods, pod("b"))
        yield* client.bind("b", "default", "node-1")
        const bound = yield* client.get(Pods, "b")
        expect(bound.spec?.nodeName).toBe("node-1")
        const again = yield* Effect.flip(client.bind("b", "default", "node-2"))
        expect(again._tag).toBe("Conflict")
        expect((yield* client.get(Pods, "b")).spec?.nodeName).toBe("node-1")
      })
    )

    test(
      "scale reads and writes spec.replicas through the scale subresource",
      Effect.gen(function* () {
        const client = yield* Client
        yield* client.create(Deployments, deployment("web", 1))
        const before = yield* client.getScale(Deployments, "web")
        expect(before.kind).toBe("Scale")
        expect(before.spec?.replicas).toBe(1)
        const after = yield* client.scale(Deployments, "web", 4)
        expect(after.spec?.replicas).toBe(4)
        expect((yield* client.get(Deployments, "web")).spec?.replicas).toBe(4)
      })
    )

    test(
      "updateStatus writes status only, update ignores status",
      Effect.gen(function* () {
        const client = yield* Client
        const created = yield* client.create(Pods, pod("s"))
        const image = (pod: Pod) => pod.spec?.containers?.[0]?.image
        const [main] = created.spec?.containers ?? []
        const withStatus = yield* client.updateStatus(Pods, {
          ...created,
          spec: { ...created.spec, containers: [{ ...main!, image: "ignored:1" }] },
          status: { ...created.status, phase: "Running" }
        })
        expect(withStatus.status?.phase).toBe("Running")
        expect(image(withStatus)).toBe("nginx:1.27")
        const updated = yield* client.update(Pods, {
          ...withStatus,
          metadata: { ...withStatus.metadata, labels: { app: "s" } },
          status: { ...withStatus.status, phase: "Failed" }
        })
        expect(updated.metadata.labels).toEqual({ app: "s" })
        expect(updated.status?.phase).toBe("Running")
        expect((yield* client.get(Pods, "s")).status?.phase).toBe("Running")
      })
    )

    test(
      "patch merges into the stored object",
      Effect.gen(function* () {
        const client = yield* Client
        yield* client.create(Pods, pod("m", { a: "1" }))
        const merged = yield* client.patch(Pods, "m", { metadata: { labels: { b: "2" } } }, { type: "merge" })
        expect(merged.metadata.labels).toEqual({ a: "1", b: "2" })
        const json = yield* client.patch(Pods, "m", [{ op: "remove", path: "/metadata/labels/a" }], { type: "json" })
        expect(json.metadata.labels).toEqual({ b: "2" })
      })
    )

    test(
      "raw reaches discovery",
      Effect.gen(function* () {
        const client = yield* Client
        const response = yield* client.raw({
          method: "GET",
          path: "/api/v1",
          query: new URLSearchParams(),
          headers: { accept: "application/json" }
        })
        expect(response._tag).toBe("Json")
        if (response._tag === "Json") expect((response.body as { kind: string }).kind).toBe("APIResourceList")
      })
    )
  })
