/**
 * The whole control plane on the TestClock: API server, controller-manager, scheduler and three
 * kubelets over in-memory runtimes, driven the way a user drives a cluster.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import type { Deployment } from "../api/Deployment.js"
import { Deployments } from "../api/Deployment.js"
import { Nodes } from "../api/Node.js"
import { Pods } from "../api/Pod.js"
import { ReplicaSets } from "../api/ReplicaSet.js"
import { Client } from "../client/Client.js"
import * as ControllerManager from "../controllers/ControllerManager.js"
import * as Kubelet from "../kubelet/Kubelet.js"
import { ContainerRuntime } from "../runtime/ContainerRuntime.js"
import * as MemoryRuntime from "../runtime/MemoryRuntime.js"
import * as Scheduler from "../scheduler/Scheduler.js"
import * as TestCluster from "./TestCluster.js"

const deployment = (replicas: number, image: string): Deployment => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "default" },
  spec: {
    replicas,
    selector: { matchLabels: { app: "web" } },
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: { containers: [{ name: "web", image, resources: { requests: { cpu: "500m", memory: "256Mi" } } }] }
    }
  }
})

/** Starts a kubelet for `name` over `runtime` in a scope of its own; closing the scope stops it. */
const startKubelet = (name: string, runtime: MemoryRuntime.MemoryRuntime) =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    yield* Kubelet.make({ nodeName: name, capacity: { cpu: "4", memory: "8Gi", pods: "110" } }).pipe(
      Effect.provideService(ContainerRuntime, runtime),
      Scope.extend(scope)
    )
    return scope
  })

const status = Effect.flatMap(Client, (c) => c.get(Deployments, "web", { namespace: "default" }))
const pods = Effect.map(
  Effect.flatMap(Client, (c) => c.list(Pods, { namespace: "default", labelSelector: "app=web" })),
  (list) => list.items
)
const slow = { timeout: "10 minutes", step: "1 second" } as const

describe("the control plane", () => {
  it.effect(
    "runs a Deployment, rolls it out, survives a node failure, and deletes it in the foreground",
    () =>
      Effect.gen(function* () {
        const client = yield* Client
        yield* ControllerManager.start({ leaderElection: false })
        yield* Scheduler.make()
        const names = ["node-1", "node-2", "node-3"]
        const runtimes = new Map<string, MemoryRuntime.MemoryRuntime>()
        const kubelets = new Map<string, Scope.CloseableScope>()
        for (const [i, name] of names.entries()) {
          const runtime = yield* MemoryRuntime.make({ nodeName: name, firstPodIp: `10.244.${i + 1}.2` })
          runtimes.set(name, runtime)
          kubelets.set(name, yield* startKubelet(name, runtime))
        }
        yield* TestCluster.eventually(
          Effect.map(client.list(Nodes), (list) => expect(list.items).toHaveLength(3)),
          slow
        )

        // Three replicas become ready, spread over the nodes.
        yield* client.create(Deployments, deployment(3, "nginx:1.26"))
        yield* TestCluster.eventually(
          Effect.map(status, (d) => expect(d.status?.readyReplicas).toBe(3)),
          slow
        )
        const placed = new Set((yield* pods).map((p) => p.spec?.nodeName))
        expect(placed.size).toBe(3)

        // A rolling update to a new image: never fewer than 3 available, never more than 4 pods.
        yield* client.update(Deployments, {
          ...(yield* status),
          spec: { ...(yield* status).spec!, template: deployment(3, "nginx:1.27").spec!.template }
        })
        let most = 0
        let fewestAvailable = 3
        yield* TestCluster.eventually(
          Effect.gen(function* () {
            const current = yield* pods
            most = Math.max(most, current.filter((p) => p.metadata.deletionTimestamp === undefined).length)
            const d = yield* status
            fewestAvailable = Math.min(fewestAvailable, d.status?.availableReplicas ?? 0)
            expect(d.status?.updatedReplicas).toBe(3)
            expect(d.status?.readyReplicas).toBe(3)
            expect(d.status?.replicas).toBe(3)
            expect(current.every((p) => p.spec?.containers?.[0]?.image === "nginx:1.27")).toBe(true)
          }),
          slow
        )
        expect(most).toBeLessThanOrEqual(4)
        expect(fewestAvailable).toBe(3)
        expect((yield* client.list(ReplicaSets, { namespace: "default" })).items).toHaveLength(2)

        // A node with a pod stops heartbeating: NotReady (Unknown), tainted, its pods evicted after
        // 300 s and replaced on the other nodes.
        const victim = (yield* pods).find((p) => p.metadata.deletionTimestamp === undefined)!
        const lost = victim.spec!.nodeName!
        yield* Scope.close(kubelets.get(lost)!, Exit.void)
        yield* TestCluster.eventually(
          Effect.map(client.get(Nodes, lost), (n) => {
            expect(n.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("Unknown")
            expect(n.spec?.taints?.map((t) => t.key)).toContain("node.kubernetes.io/unreachable")
          }),
          slow
        )
        yield* TestCluster.eventually(
          Effect.gen(function* () {
            const live = (yield* pods).filter((p) => p.metadata.deletionTimestamp === undefined)
            expect(live.map((p) => p.spec?.nodeName)).not.toContain(lost)
            expect((yield* status).status?.readyReplicas).toBe(3)
          }),
          slow
        )
        // Kubernetes leaves the evicted pod Terminating while its node is unreachable.
        const evicted = yield* client.get(Pods, victim.metadata.name!, { namespace: "default" })
        expect(evicted.metadata.deletionTimestamp).toBeDefined()

        // The kubelet comes back: it re-adopts its containers, finishes the evicted pod's graceful
        // deletion, and the node is Ready and untainted again.
        kubelets.set(lost, yield* startKubelet(lost, runtimes.get(lost)!))
        yield* TestCluster.eventually(
          Effect.gen(function* () {
            const n = yield* client.get(Nodes, lost)
            expect(n.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True")
            expect(n.spec?.taints ?? []).toEqual([])
            const names = (yield* pods).map((p) => p.metadata.name)
            expect(names).not.toContain(victim.metadata.name)
          }),
          slow
        )

        // Foreground deletion removes the pods, then the ReplicaSets, then the Deployment.
        yield* client.delete(Deployments, "web", { namespace: "default", propagationPolicy: "Foreground" })
        yield* TestCluster.eventually(
          Effect.gen(function* () {
            const left = (yield* client.list(Deployments, { namespace: "default" })).items
            expect(left).toHaveLength(0)
            expect((yield* client.list(ReplicaSets, { namespace: "default" })).items).toHaveLength(0)
            expect(yield* pods).toHaveLength(0)
          }),
          slow
        )
        // No runtime holds a running container any more.
        for (const name of names) {
          const running = (yield* runtimes.get(name)!.listContainers).filter((c) => c.state === "Running")
          expect(running, name).toHaveLength(0)
        }
      }).pipe(Effect.scoped, Effect.provide(TestCluster.layer()), TestCluster.seeded()),
    60_000
  )
})
