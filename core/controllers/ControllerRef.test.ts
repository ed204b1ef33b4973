import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as LabelSelector from "../api/LabelSelector.js"
import { type Deployment, Deployments } from "../api/Deployment.js"
import { type Pod, Pods } from "../api/Pod.js"
import { type ReplicaSet, ReplicaSets } from "../api/ReplicaSet.js"
import { Client } from "../client/Client.js"
import * as TestCluster from "../testing/TestCluster.js"
import { claim, controllerOf, newControllerRef } from "./ControllerRef.js"

const template = (labels: Record<string, string>) => ({
  metadata: { labels },
  spec: { containers: [{ name: "c", image: "nginx" }] }
})

const replicaSet = (name: string, labels: Record<string, string>): ReplicaSet => ({
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: { name, namespace: "default", labels },
  spec: { replicas: 0, selector: { matchLabels: labels }, template: template(labels) }
})

const pod = (name: string, labels: Record<string, string>, extra: Partial<Pod["metadata"]> = {}): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default", labels, ...extra },
  spec: { containers: [{ name: "c", image: "nginx" }] }
})

const web = LabelSelector.fromMap({ app: "web" })

const run = <A, E>(effect: Effect.Effect<A, E, Client>) =>
  effect.pipe(Effect.provide(TestCluster.layer()), TestCluster.seeded())

describe("ControllerRef.claim", () => {
  it.effect("adopts matching orphans with a controller reference and keeps what it owns", () =>
    run(
      Effect.gen(function* () {
        const client = yield* Client
        const rs = yield* client.create(ReplicaSets, replicaSet("web", { app: "web" }))
        const orphan = yield* client.create(Pods, pod("orphan", { app: "web" }))
        const stranger = yield* client.create(Pods, pod("stranger", { app: "db" }))
        const claimed = yield* claim(client, { owner: rs, ownerType: ReplicaSets, ownedType: Pods, selector: web }, [
          orphan,
          stranger
        ])
        expect(claimed.map((p) => p.metadata.name)).toEqual(["orphan"])
        const adopted = yield* client.get(Pods, "orphan", { namespace: "default" })
        expect(adopted.metadata.ownerReferences).toEqual([
          {
            apiVersion: "apps/v1",
            kind: "ReplicaSet",
            name: "web",
            uid: rs.metadata.uid,
            controller: true,
            blockOwnerDeletion: true
          }
        ])
        expect(controllerOf(claimed[0])?.uid).toBe(rs.metadata.uid)
        expect((yield* client.get(Pods, "stranger", { namespace: "default" })).metadata.ownerReferences).toBeUndefined()
        // Claiming again keeps it without another write.
        const again = yield* claim(client, { owner: rs, ownerType: ReplicaSets, ownedType: Pods, selector: web }, [
          adopted
        ])
        expect(again).toEqual([adopted])
      })
    )
  )

  it.effect("releases owned objects that no longer match, keeping other owner references", () =>
    run(
      Effect.gen(function* () {
        const client = yield* Client
        const rs = yield* client.create(ReplicaSets, replicaSet("web", { app: "web" }))
        const other = { apiVersion: "v1", kind: "ConfigMap", name: "cm", uid: "cm-uid" }
        const owned = yield* client.create(
          Pods,
          pod("moved", { app: "other" }, { ownerReferences: [newControllerRef(rs, ReplicaSets), other] })
        )
        const claimed = yield* claim(client, { owner: rs, ownerType: ReplicaSets, ownedType: Pods, selector: web }, [
          owned
        ])
        expect(claimed).toEqual([])
        const released = yield* client.get(Pods, "moved", { namespace: "default" })
        expect(released.metadata.ownerReferences).toEqual([other])
      })
    )
  )

  it.effect("ignores objects controlled by another owner, and orphans being deleted", () =>
    run(
      Effect.gen(function* () {
        const client = yield* Client
        const rs = yield* client.create(ReplicaSets, replicaSet("web", { app: "web" }))
        const theirs = yield* client.create(
          Pods,
          pod(
            "theirs",
            { app: "web" },
            {
              ownerReferences: [
                { apiVersion: "apps/v1", kind: "ReplicaSet", name: "x", uid: "x-uid", controller: true }
              ]
            }
          )
        )
        const leaving = {
          ...pod("leaving", { app: "web" }),
          metadata: { ...pod("leaving", { app: "web" }).metadata, deletionTimestamp: "1970-01-01T00:00:00Z" }
        }
        const claimed = yield* claim(client, { owner: rs, ownerType: ReplicaSets, ownedType: Pods, selector: web }, [
          theirs,
          leaving
        ])
        expect(claimed).toEqual([])
      })
    )
  )

  it.effect("an owner being deleted adopts nothing and releases nothing", () =>
    run(
      Effect.gen(function* () {
        const client = yield* Client
        const rs = yield* client.create(ReplicaSets, replicaSet("web", { app: "web" }))
        const deleting = { ...rs, metadata: { ...rs.metadata, deletionTimestamp: "1970-01-01T00:00:00Z" } }
        const orphan = yield* client.create(Pods, pod("orphan", { app: "web" }))
        const owned = yield* client.create(
          Pods,
          pod("owned", { app: "other" }, { ownerReferences: [newControllerRef(rs, ReplicaSets)] })
        )
        const claimed = yield* claim(
          client,
          { owner: deleting, ownerType: ReplicaSets, ownedType: Pods, selector: web },
          [orphan, owned]
        )
        expect(claimed).toEqual([])
        expect((yield* client.get(Pods, "orphan", { namespace: "default" })).metadata.ownerReferences).toBeUndefined()
        expect((yield* client.get(Pods, "owned", { namespace: "default" })).metadata.ownerReferences).toHaveLength(1)
      })
    )
  )

  it.effect("refuses to adopt for an owner replaced under the same name (fresh read of the owner)", () =>
    run(
      Effect.gen(function* () {
        const client = yield* Client
        const rs = yield* client.create(ReplicaSets, replicaSet("web", { app: "web" }))
        const stale = { ...rs, metadata: { ...rs.metadata, uid: "an-older-uid" } }
        const orphan = yield* client.create(Pods, pod("orphan", { app: "web" }))
        const error = yield* Effect.flip(
          claim(client, { owner: stale, ownerType: ReplicaSets, ownedType: Pods, selector: web }, [orphan])
        )
        expect(error._tag).toBe("AdoptionRefused")
        expect((yield* client.get(Pods, "orphan", { namespace: "default" })).metadata.ownerReferences).toBeUndefined()
      })
    )
  )

  it.effect("is generic: a Deployment claims ReplicaSets the same way, with a filter", () =>
    run(
      Effect.gen(function* () {
        const client = yield* Client
        const deployment = yield* client.create(Deployments, {
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: { name: "web", namespace: "default" },
          spec: { replicas: 1, selector: { matchLabels: { app: "web" } }, template: template({ app: "web" }) }
        } as Deployment)
        const mine = yield* client.create(ReplicaSets, replicaSet("web-1", { app: "web" }))
        const filtered = yield* client.create(ReplicaSets, replicaSet("web-2", { app: "web" }))
        const claimed = yield* claim(
          client,
          {
            owner: deployment,
            ownerType: Deployments,
            ownedType: ReplicaSets,
            selector: web,
            filter: (rs) => rs.metadata.name !== "web-2"
          },
          [mine, filtered]
        )
        expect(claimed.map((rs) => rs.metadata.name)).toEqual(["web-1"])
        const adopted = yield* client.get(ReplicaSets, "web-1", { namespace: "default" })
        expect(controllerOf(adopted)).toMatchObject({ kind: "Deployment", name: "web", uid: deployment.metadata.uid })
        expect(controllerOf(yield* client.get(ReplicaSets, "web-2", { namespace: "default" }))).toBeUndefined()
      })
    )
  )
})
