import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import { Deployments } from "../api/Deployment.js"
import type { KubeObject } from "../api/meta.js"
import { Namespaces } from "../api/Namespace.js"
import { type Pod, Pods } from "../api/Pod.js"
import type { ResourceType } from "../api/resource.js"
import { Services } from "../api/Service.js"
import { Client } from "../client/Client.js"
import type { SharedInformers } from "../informer/SharedInformers.js"
import * as TestCluster from "../testing/TestCluster.js"
import * as Namespace from "./Namespace.js"

const namespace = "team"
const labels = { app: "web" }
const spec = { containers: [{ name: "app", image: "nginx:1.27" }] }

const pod = (name: string, finalizers: ReadonlyArray<string> = []): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace, labels, ...(finalizers.length === 0 ? {} : { finalizers }) },
  spec
})

/** A namespace with pods, a Deployment and a Service in it. */
const populated = (podFinalizers: ReadonlyArray<string> = []) =>
  Effect.gen(function* () {
    const client = yield* Client
    yield* client.create(Namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } })
    yield* client.create(Pods, pod("a", podFinalizers))
    yield* client.create(Pods, pod("b"))
    yield* client.create(Deployments, {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace },
      spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec } }
    })
    yield* client.create(Services, {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace },
      spec: { selector: labels, ports: [{ port: 80 }] }
    })
  })

const count = <A extends KubeObject>(rt: ResourceType<A>) =>
  Effect.flatMap(Client, (client) => client.list(rt, { namespace })).pipe(Effect.map((list) => list.items.length))

/** Runs a test body over a fresh TestCluster (built inside the test, so on its TestClock). */
const inCluster = <A, E>(body: Effect.Effect<A, E, Client | SharedInformers | Scope.Scope>) =>
  body.pipe(Effect.scoped, Effect.provide(TestCluster.layer()), TestCluster.seeded())

describe("Namespace controller", () => {
  it.effect("empties a deleted namespace, then the namespace goes away", () =>
    inCluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* Namespace.make()
        yield* populated()
        const deleted = yield* client.delete(Namespaces, namespace)
        expect((deleted as { status?: { phase?: string } }).status?.phase).toBe("Terminating")
        yield* TestCluster.eventually(
          Effect.flip(client.get(Namespaces, namespace)).pipe(Effect.map((e) => expect(e._tag).toBe("NotFound"))),
          { step: "1 second" }
        )
        expect([yield* count(Pods), yield* count(Deployments), yield* count(Services)]).toEqual([0, 0, 0])
        // The name is free again.
        yield* client.create(Namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } })
      })
    )
  )

  it.effect("waits for content held by finalizers, reporting it in the conditions", () =>
    inCluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* Namespace.make()
        yield* populated(["example.com/hold"])
        yield* client.delete(Namespaces, namespace)
        const conditions = yield* TestCluster.eventually(
          Effect.gen(function* () {
            const ns = yield* client.get(Namespaces, namespace)
            const byType = new Map((ns.status?.conditions ?? []).map((c) => [c.type, c]))
            expect(byType.get("NamespaceContentRemaining")?.status).toBe("True")
            return byType
          }),
          { step: "1 second" }
        )
        expect(conditions.get("NamespaceContentRemaining")?.message).toBe(
          "Some resources are remaining: pods. has 1 resource instances"
        )
        expect(conditions.get("NamespaceFinalizersRemaining")).toMatchObject({
          status: "True",
          reason: "SomeFinalizersRemain",
          message: "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"
        })
        expect(conditions.get("NamespaceDeletionContentFailure")).toMatchObject({
          status: "False",
          reason: "ContentDeleted"
        })
        expect([...conditions.keys()]).toEqual([
          "NamespaceDeletionDiscoveryFailure",
          "NamespaceDeletionGroupVersionParsingFailure",
          "NamespaceDeletionContentFailure",
          "NamespaceContentRemaining",
          "NamespaceFinalizersRemaining"
        ])
        // Held for a minute: the namespace stays Terminating with the pod in it.
        yield* TestClock.adjust("60 seconds")
        yield* TestCluster.settle
        expect((yield* client.get(Namespaces, namespace)).status?.phase).toBe("Terminating")
        expect(yield* count(Pods)).toBe(1)
        yield* client.patch(Pods, "a", { metadata: { finalizers: null } }, { type: "merge", namespace })
        yield* TestCluster.eventually(
          Effect.flip(client.get(Namespaces, namespace)).pipe(Effect.map((e) => expect(e._tag).toBe("NotFound"))),
          { step: "1 second" }
        )
      })
    )
  )
})
