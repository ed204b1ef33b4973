import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { type Deployment, Deployments } from "../api/Deployment.js"
import type { KubeObject, OwnerReference } from "../api/meta.js"
import { type Pod, Pods } from "../api/Pod.js"
import { type ReplicaSet, ReplicaSets } from "../api/ReplicaSet.js"
import type { ResourceType } from "../api/resource.js"
import { Client } from "../client/Client.js"
import type { SharedInformers } from "../informer/SharedInformers.js"
import * as TestCluster from "../testing/TestCluster.js"
import * as GarbageCollector from "./GarbageCollector.js"

const namespace = "default"
const labels = { app: "web" }
const template = { metadata: { labels }, spec: { containers: [{ name: "app", image: "nginx:1.27" }] } }

const refTo = (owner: KubeObject, blockOwnerDeletion = true): OwnerReference => ({
  apiVersion: owner.apiVersion,
  kind: owner.kind,
  name: owner.metadata.name!,
  uid: owner.metadata.uid!,
  controller: true,
  blockOwnerDeletion
})

const meta = (name: string, owners: ReadonlyArray<OwnerReference>, finalizers: ReadonlyArray<string> = []) => ({
  name,
  namespace,
  labels,
  ...(owners.length === 0 ? {} : { ownerReferences: owners }),
  ...(finalizers.length === 0 ? {} : { finalizers })
})

const deployment = (name: string): Deployment => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: meta(name, []),
  spec: { replicas: 1, selector: { matchLabels: labels }, template }
})

const replicaSet = (name: string, owners: ReadonlyArray<OwnerReference> = []): ReplicaSet => ({
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: meta(name, owners),
  spec: { replicas: 1, selector: { matchLabels: labels }, template }
})

const pod = (
  name: string,
  owners: ReadonlyArray<OwnerReference> = [],
  finalizers: ReadonlyArray<string> = []
): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: meta(name, owners, finalizers),
  spec: template.spec
})

const create = <A extends KubeObject>(rt: ResourceType<A>, obj: A) =>
  Effect.flatMap(Client, (client) => client.create(rt, obj, { namespace }))

const names = <A extends KubeObject>(rt: ResourceType<A>) =>
  Effect.flatMap(Client, (client) => client.list(rt, { namespace })).pipe(
    Effect.map((list) => list.items.map((item) => item.metadata.name))
  )

const get = <A extends KubeObject>(rt: ResourceType<A>, name: string) =>
  Effect.flatMap(Client, (client) => client.get(rt, name, { namespace }))

/** Deployment `web` → ReplicaSet `web-1` → pods `web-1-a`, `web-1-b`, linked as the controllers link them. */
const chain = Effect.gen(function* () {
  const d = yield* create(Deployments, deployment("web"))
  const rs = yield* create(ReplicaSets, replicaSet("web-1", [refTo(d)]))
  const pods = [yield* create(Pods, pod("web-1-a", [refTo(rs)])), yield* create(Pods, pod("web-1-b", [refTo(rs)]))]
  return { d, rs, pods }
})

/** Runs a test body over a fresh TestCluster (built inside the test, so on its TestClock). */
const inCluster = <A, E>(body: Effect.Effect<A, E, Client | SharedInformers | Scope.Scope>) =>
  body.pipe(Effect.scoped, Effect.provide(TestCluster.layer()), TestCluster.seeded())

describe("GarbageCollector", () => {
  it.effect("background deletion removes dependents transitively", () =>
    inCluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* GarbageCollector.make()
        yield* chain
        yield* client.delete(Deployments, "web", { namespace, propagationPolicy: "Background" })
        yield* TestCluster.eventually(
          Effect.gen(function* () {
            expect(yield* names(Pods)).toEqual([])
            expect(yield* names(ReplicaSets)).toEqual([])
          })
        )
        expect(yield* names(Deployments)).toEqual([])
      })
    )
  )

  it.effect("foreground deletion removes pods, then ReplicaSets, then the Deployment", () =>
    inCluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* chain
        const from = (yield* client.list(Pods, { namespace })).metadata.resourceVersion!
        const deleted: Array<{ readonly kind: string; readonly rv: number }> = []
        const record = <A extends KubeObject>(rt: ResourceType<A>) =>
          Effect.forkScoped(
            Stream.runForEach(client.watch(rt, { namespace, resourceVersion: from }), (event) =>
              Effect.sync(() => {
                if (event.type === "DELETED")
                  deleted.push({ kind: event.object.kind, rv: Number(event.object.metadata.resourceVersion) })
              })
            )
          )
        yield* record(Pods)
        yield* record(ReplicaSets)
        yield* record(Deployments)
        yield* client.delete(Deployments, "web", { namespace, propagationPolicy: "Foreground" })
        // Without a collector the owner lingers, marked and holding the finalizer.
        yield* TestCluster.settle
        const marked = yield* get(Deployments, "web")
        expect(marked.metadata.deletionTimestamp).toBeDefined()
        expect(marked.metadata.finalizers).toEqual(["foregroundDeletion"])
        yield* GarbageCollector.make()
        yield* TestCluster.eventually(Effect.sync(() => expect(deleted).toHaveLength(4)))
        const order = [...deleted].sort((a, b) => a.rv - b.rv).map((e) => e.kind)
        expect(order).toEqual(["Pod", "Pod", "ReplicaSet", "Deployment"])
      })
    )
  )

  it.effect("orphan deletion leaves the dependents without the owner's reference", () =>
    inCluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* GarbageCollector.make()
        const { d } = yield* chain
        yield* client.delete(ReplicaSets, "web-1", { namespace, propagationPolicy: "Orphan" })
        yield* TestCluster.eventually(Effect.map(names(ReplicaSets), (rs) => expect(rs).toEqual([])))
        const pods = (yield* client.list(Pods, { namespace })).items
        expect(pods.map((p) => [p.metadata.name, p.metadata.ownerReferences])).toEqual([
          ["web-1-a", undefined],
          ["web-1-b", undefined]
        ])
        expect((yield* get(Deployments, "web")).metadata.uid).toBe(d.metadata.uid)
      })
    )
  )

  it.effect("collects a dependent whose owner never existed or is another object of the same name", () =>
    inCluster(
      Effect.gen(function* () {
        yield* GarbageCollector.make()
        const rs = yield* create(ReplicaSets, replicaSet("web-1"))
        const ghost = { ...refTo(rs), name: "ghost", uid: "00000000-0000-4000-8000-000000000001" }
        const impostor = { ...refTo(rs), uid: "00000000-0000-4000-8000-000000000002" }
        yield* create(Pods, pod("of-ghost", [ghost]))
        yield* create(Pods, pod("of-impostor", [impostor]))
        yield* create(Pods, pod("of-real", [refTo(rs)]))
        yield* TestCluster.eventually(Effect.map(names(Pods), (pods) => expect(pods).toEqual(["of-real"])))
        expect(yield* names(ReplicaSets)).toEqual(["web-1"])
      })
    )
  )

  it.effect("a dependent with a live owner keeps it and loses only the reference to an absent one", () =>
    inCluster(
      Effect.gen(function* () {
        yield* GarbageCollector.make()
        const rs = yield* create(ReplicaSets, replicaSet("web-1"))
        const ghost = { ...refTo(rs), name: "ghost", uid: "00000000-0000-4000-8000-000000000001", controller: false }
        yield* create(Pods, pod("shared", [refTo(rs), ghost]))
        yield* TestCluster.eventually(
          Effect.map(get(Pods, "shared"), (p) => expect(p.metadata.ownerReferences).toEqual([refTo(rs)]))
        )
      })
    )
  )

  it.effect("only dependents with blockOwnerDeletion=true hold a foreground owner", () =>
    inCluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* GarbageCollector.make()
        const hold = "example.com/hold"
        const free = yield* create(ReplicaSets, replicaSet("free"))
        const held = yield* create(ReplicaSets, replicaSet("held"))
        // Each pod lingers after its deletion until its own finalizer is removed.
        yield* create(Pods, pod("of-free", [refTo(free, false)], [hold]))
        yield* create(Pods, pod("of-held", [refTo(held, true)], [hold]))
        yield* client.delete(ReplicaSets, "free", { namespace, propagationPolicy: "Foreground" })
        yield* client.delete(ReplicaSets, "held", { namespace, propagationPolicy: "Foreground" })
        yield* TestCluster.eventually(Effect.map(names(ReplicaSets), (rs) => expect(rs).toEqual(["held"])))
        yield* TestCluster.eventually(
          Effect.gen(function* () {
            expect((yield* get(Pods, "of-free")).metadata.deletionTimestamp).toBeDefined()
            expect((yield* get(Pods, "of-held")).metadata.deletionTimestamp).toBeDefined()
          })
        )
        yield* TestClock.adjust("10 seconds")
        yield* TestCluster.settle
        expect(yield* names(ReplicaSets)).toEqual(["held"])
        yield* client.patch(Pods, "of-held", { metadata: { finalizers: null } }, { type: "merge", namespace })
        yield* TestCluster.eventually(Effect.map(names(ReplicaSets), (rs) => expect(rs).toEqual([])))
        expect(yield* names(Pods)).toEqual(["of-free"])
      })
    )
  )
})
