import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { type Deployment, Deployments } from "../api/Deployment.js"
import { EndpointsResource } from "../api/Endpoints.js"
import { type Node, Nodes } from "../api/Node.js"
import { type Pod, Pods } from "../api/Pod.js"
import { type ReplicaSet, ReplicaSets } from "../api/ReplicaSet.js"
import { Services } from "../api/Service.js"
import { Client } from "../client/Client.js"
import * as EventRecorder from "../client/EventRecorder.js"
import * as DeploymentController from "../controllers/Deployment.js"
import * as EndpointsController from "../controllers/Endpoints.js"
import * as Expectations from "../controllers/Expectations.js"
import * as GarbageCollector from "../controllers/GarbageCollector.js"
import * as NodeLifecycle from "../controllers/NodeLifecycle.js"
import * as PodGC from "../controllers/PodGC.js"
import * as ReplicaSetController from "../controllers/ReplicaSet.js"
import * as SharedInformers from "../informer/SharedInformers.js"
import * as Kubelet from "../kubelet/Kubelet.js"
import * as NodeStatus from "../kubelet/NodeStatus.js"
import { ContainerRuntime } from "../runtime/ContainerRuntime.js"
import * as MemoryRuntime from "../runtime/MemoryRuntime.js"
import * as Scheduler from "../scheduler/Scheduler.js"
import { type KnownBug, KnownBugs, knownBugs, planted } from "./KnownBugs.js"
import * as TestCluster from "./TestCluster.js"

const ns = "default"

type Env = Client | SharedInformers.SharedInformers | Scope.Scope

/** Runs `body` twice on fresh clusters, without and with `bug` planted; answers both outcomes. */
const correctAndPlanted = <A, E>(bug: KnownBug, body: (bugs: ReadonlySet<KnownBug>) => Effect.Effect<A, E, Env>) =>
  Effect.all(
    [new Set<KnownBug>(), new Set([bug])].map((bugs) =>
      body(bugs).pipe(
        Effect.provideService(KnownBugs, bugs),
        Logger.withMinimumLogLevel(LogLevel.None),
        Effect.scoped,
        Effect.provide(TestCluster.layer()),
        TestCluster.seeded()
      )
    )
  )

/** Moves the TestClock `seconds` forward a second at a time, letting fibers run after each. */
const advance = (seconds: number) =>
  Effect.forEach(
    Array.from({ length: seconds }),
    () => Effect.zipRight(TestClock.adjust("1 second"), TestCluster.settle),
    { discard: true }
  )

const podsIn = Effect.flatMap(Client, (client) => Effect.map(client.list(Pods, { namespace: ns }), (l) => l.items))

const replicaSet = (name: string, replicas: number, labels: Record<string, string>): ReplicaSet => ({
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: { name, namespace: ns },
  spec: {
    replicas,
    selector: { matchLabels: labels },
    template: { metadata: { labels }, spec: { containers: [{ name: "c", image: "nginx:1.27" }] } }
  }
})

const node = (name: string, cpu: string): Node => {
  const capacity = { cpu, memory: "8Gi", pods: "110" }
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name } },
    status: { capacity, allocatable: capacity, conditions: [{ type: "Ready", status: "True" }] }
  }
}

describe("KnownBugs", () => {
  it.effect("is empty unless a test provides it, and lists every bug once", () =>
    Effect.gen(function* () {
      expect(yield* planted("replicaSetStaleCache")).toBe(false)
      expect(yield* Effect.provideService(planted("replicaSetStaleCache"), KnownBugs, new Set(knownBugs))).toBe(true)
      expect(new Set(knownBugs).size).toBe(knownBugs.length)
    })
  )

  it.effect("replicaSetStaleCache: a lagging pod cache makes it create the pods twice", () =>
    Effect.gen(function* () {
      const [correct, buggy] = yield* correctAndPlanted("replicaSetStaleCache", (bugs) =>
        Effect.gen(function* () {
          const client = yield* Client
          const informers = yield* SharedInformers.SharedInformers
          const replicaSets = yield* informers.informer(ReplicaSets)
          const pods = yield* informers.informer(Pods)
          yield* client.create(ReplicaSets, replicaSet("web", 3, { app: "web" }))
          yield* TestCluster.eventually(Effect.sync(() => expect(replicaSets.get(`${ns}/web`)).toBeDefined()))
          // A pod cache that has not caught up with the creates yet.
          const lagging = { ...pods, list: () => [], byIndex: () => [] }
          const reconcile = ReplicaSetController.reconciler({
            client,
            replicaSets,
            pods: lagging,
            expectations: yield* Expectations.make,
            recorder: yield* EventRecorder.make("test"),
            burstReplicas: 500,
            knownBugs: bugs
          })
          yield* reconcile(`${ns}/web`)
          yield* reconcile(`${ns}/web`)
          return (yield* podsIn).length
        })
      )
      expect(correct).toBe(3)
      expect(buggy).toBe(6)
    })
  )

  it.effect("replicaSetIgnoresOwnership: a ReplicaSet counts another's pods as its own", () =>
    Effect.gen(function* () {
      const [correct, buggy] = yield* correctAndPlanted("replicaSetIgnoresOwnership", () =>
        Effect.gen(function* () {
          const client = yield* Client
          yield* ReplicaSetController.make()
          // The canary's pods match the stable selector too; only ownership tells them apart.
          const canary = yield* client.create(ReplicaSets, replicaSet("canary", 1, { app: "web", track: "canary" }))
          yield* TestCluster.eventually(Effect.map(podsIn, (pods) => expect(pods).toHaveLength(1)))
          const web = yield* client.create(ReplicaSets, replicaSet("web", 2, { app: "web" }))
          yield* advance(10)
          const pods = yield* podsIn
          const ownedBy = (rs: ReplicaSet) =>
            pods.filter((p) => p.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid).length
          return { web: ownedBy(web), canary: ownedBy(canary) }
        })
      )
      expect(correct).toEqual({ web: 2, canary: 1 })
      expect(buggy).toEqual({ web: 1, canary: 1 })
    })
  )

  it.effect("deploymentIgnoresMaxSurge: a rollout scales the new ReplicaSet past replicas + maxSurge", () =>
    Effect.gen(function* () {
      const deployment = (image: string): Deployment => ({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web", namespace: ns },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: "web" } },
          strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
          template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image }] } }
        }
      })
      const [correct, buggy] = yield* correctAndPlanted("deploymentIgnoresMaxSurge", () =>
        Effect.gen(function* () {
          const client = yield* Client
          yield* DeploymentController.make()
          yield* client.create(Deployments, deployment("nginx:1.26"))
          const sizes = Effect.map(client.list(ReplicaSets, { namespace: ns }), (list) =>
            list.items.map((rs) => rs.spec?.replicas ?? 0)
          )
          yield* TestCluster.eventually(Effect.map(sizes, (s) => expect(s).toEqual([3])))
          const fresh = yield* client.get(Deployments, "web", { namespace: ns })
          yield* client.update(Deployments, { ...deployment("nginx:1.27"), metadata: fresh.metadata })
          yield* TestCluster.eventually(Effect.map(sizes, (s) => expect(s).toHaveLength(2)))
          yield* advance(5)
          return (yield* sizes).reduce((a, b) => a + b, 0)
        })
      )
      // No pod becomes available here, so the correct rollout stops at the surge: 3 old + 1 new.
      expect(correct).toBe(4)
      expect(buggy).toBe(6)
    })
  )

  it.effect("schedulerIgnoresAssumed: pods placed before their bindings are seen over-commit a node", () =>
    Effect.gen(function* () {
      const [correct, buggy] = yield* correctAndPlanted("schedulerIgnoresAssumed", () =>
        Effect.gen(function* () {
          const client = yield* Client
          yield* client.create(Nodes, node("n1", "1"))
          for (let i = 0; i < 4; i++) {
            yield* client.create(Pods, {
              apiVersion: "v1",
              kind: "Pod",
              metadata: { name: `p${i}`, namespace: ns },
              spec: { containers: [{ name: "c", image: "nginx:1.27", resources: { requests: { cpu: "300m" } } }] }
            } as Pod)
          }
          yield* Scheduler.make()
          yield* advance(3)
          return (yield* podsIn).filter((p) => (p.spec?.nodeName ?? "") !== "").length
        })
      )
      // One CPU holds three pods of 300m.
      expect(correct).toBe(3)
      expect(buggy).toBe(4)
    })
  )

  it.effect("kubeletForgetsContainers: a restarted kubelet starts the pod's containers a second time", () =>
    Effect.gen(function* () {
      const [correct, buggy] = yield* correctAndPlanted("kubeletForgetsContainers", () =>
        Effect.gen(function* () {
          const client = yield* Client
          const nodeName = "node-1"
          const runtime = yield* MemoryRuntime.make({ nodeName, images: ["nginx:1.27"] })
          const startKubelet = Effect.gen(function* () {
            const scope = yield* Scope.make()
            yield* Kubelet.make({ nodeName, capacity: { cpu: "2", memory: "4Gi", pods: "110" } }).pipe(
              Effect.provideService(ContainerRuntime, runtime),
              Scope.extend(scope)
            )
            return scope
          })
          const first = yield* startKubelet
          yield* client.create(Pods, {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "web", namespace: ns },
            spec: { nodeName, containers: [{ name: "main", image: "nginx:1.27" }] }
          } as Pod)
          const running = Effect.map(runtime.listContainers, (all) => all.filter((c) => c.state === "Running").length)
          yield* TestCluster.eventually(
            Effect.map(running, (n) => expect(n).toBe(1)),
            { step: "1 second" }
          )
          yield* Scope.close(first, Exit.void)
          yield* startKubelet
          yield* advance(20)
          return yield* running
        })
      )
      expect(correct).toBe(1)
      expect(buggy).toBe(2)
    })
  )

  it.effect("gcIgnoresLiveOwner: an owner its informer has not shown yet is taken for gone, its pod deleted", () =>
    Effect.gen(function* () {
      const [correct, buggy] = yield* correctAndPlanted("gcIgnoresLiveOwner", () =>
        Effect.gen(function* () {
          const client = yield* Client
          // The collector's ReplicaSet watch lags 5 s behind; its other watches and its GETs do not.
          const lagging: Client["Type"] = {
            ...client,
            watch: (rt, options) =>
              rt.kind === "ReplicaSet"
                ? client.watch(rt, options).pipe(Stream.tap(() => Effect.sleep("5 seconds")))
                : client.watch(rt, options)
          }
          const informers = yield* SharedInformers.make().pipe(Effect.provideService(Client, lagging))
          yield* GarbageCollector.make().pipe(Effect.provideService(SharedInformers.SharedInformers, informers))
          yield* advance(1)
          const rs = yield* client.create(ReplicaSets, replicaSet("web", 1, { app: "web" }))
          yield* client.create(Pods, {
            apiVersion: "v1",
            kind: "Pod",
            metadata: {
              name: "web-1",
              namespace: ns,
              ownerReferences: [
                {
                  apiVersion: "apps/v1",
                  kind: "ReplicaSet",
                  name: "web",
                  uid: rs.metadata.uid ?? "",
                  controller: true,
                  blockOwnerDeletion: true
                }
              ]
            },
            spec: { containers: [{ name: "c", image: "nginx:1.27" }] }
          } as Pod)
          yield* advance(10)
          return (yield* podsIn).map((p) => p.metadata.name)
        })
      )
      expect(correct).toEqual(["web-1"])
      expect(buggy).toEqual([])
    })
  )

  it.effect("nodeLifecycleNoGrace: a node is Unknown 10 s after its kubelet went silent, not after 40 s", () =>
    Effect.gen(function* () {
      const [correct, buggy] = yield* correctAndPlanted("nodeLifecycleNoGrace", () =>
        Effect.gen(function* () {
          const client = yield* Client
          const kubelet = yield* Scope.make()
          const runtime = { version: Effect.succeed("fake://1.0") } as unknown as ContainerRuntime["Type"]
          yield* NodeStatus.run({ nodeName: "node-1", capacity: { cpu: "4", memory: "8Gi", pods: "110" } }).pipe(
            Scope.extend(kubelet),
            Effect.provideService(ContainerRuntime, runtime)
          )
          yield* NodeLifecycle.make({ taintEviction: false })
          yield* advance(60)
          const ready = Effect.map(
            client.get(Nodes, "node-1"),
            (n) => n.status?.conditions?.find((c) => c.type === "Ready")?.status
          )
          const before = yield* ready
          yield* Scope.close(kubelet, Exit.void)
          yield* advance(25)
          return [before, yield* ready]
        })
      )
      expect(correct).toEqual(["True", "True"])
      expect(buggy).toEqual(["True", "Unknown"])
    })
  )

  it.effect("endpointsIncludeNotReady: a Running pod that is not Ready is listed under addresses", () =>
    Effect.gen(function* () {
      const [correct, buggy] = yield* correctAndPlanted("endpointsIncludeNotReady", () =>
        Effect.gen(function* () {
          const client = yield* Client
          yield* EndpointsController.make()
          yield* client.create(Services, {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: "web", namespace: ns },
            spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] }
          })
          const created = yield* client.create(Pods, {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "web-1", namespace: ns, labels: { app: "web" } },
            spec: { nodeName: "node-1", containers: [{ name: "c", image: "nginx:1.27" }] }
          } as Pod)
          yield* client.updateStatus(Pods, {
            ...created,
            status: {
              phase: "Running",
              podIP: "10.244.0.2",
              podIPs: [{ ip: "10.244.0.2" }],
              conditions: [{ type: "Ready", status: "False" }]
            }
          })
          return yield* TestCluster.eventually(
            Effect.map(client.get(EndpointsResource, "web", { namespace: ns }), (ep) => {
              expect(ep.subsets ?? []).toHaveLength(1)
              const subset = ep.subsets![0]!
              return { ready: subset.addresses?.length ?? 0, notReady: subset.notReadyAddresses?.length ?? 0 }
            })
          )
        })
      )
      expect(correct).toEqual({ ready: 0, notReady: 1 })
      expect(buggy).toEqual({ ready: 1, notReady: 0 })
    })
  )

  it.effect("podGcNoQuarantine: a pod bound to a node that has not registered yet is deleted at once", () =>
    Effect.gen(function* () {
      const [correct, buggy] = yield* correctAndPlanted("podGcNoQuarantine", () =>
        Effect.gen(function* () {
          const client = yield* Client
          yield* client.create(Pods, {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "pinned", namespace: ns },
            spec: { nodeName: "node-2", containers: [{ name: "c", image: "nginx:1.27" }] }
          } as Pod)
          yield* PodGC.make()
          yield* advance(5)
          // The node joins well within the quarantine.
          yield* client.create(Nodes, node("node-2", "4"))
          yield* advance(60)
          return (yield* podsIn).map((p) => p.metadata.name)
        })
      )
      expect(correct).toEqual(["pinned"])
      expect(buggy).toEqual([])
    })
  )
})
