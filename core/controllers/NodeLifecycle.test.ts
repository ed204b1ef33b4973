import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import { Events } from "../api/Event.js"
import { type Node, Nodes } from "../api/Node.js"
import { type Pod, Pods, type Toleration } from "../api/Pod.js"
import { Client } from "../client/Client.js"
import { SharedInformers } from "../informer/SharedInformers.js"
import * as NodeStatus from "../kubelet/NodeStatus.js"
import { ContainerRuntime } from "../runtime/ContainerRuntime.js"
import * as TestCluster from "../testing/TestCluster.js"
import * as NodeLifecycle from "./NodeLifecycle.js"

const t0 = Date.parse("2024-05-01T10:00:00Z")

/** All node status needs of a runtime. */
const runtime = { version: Effect.succeed("fake://1.0") } as unknown as ContainerRuntime["Type"]

type Env = Client | SharedInformers | Scope.Scope

const inCluster = <A, E>(body: Effect.Effect<A, E, Env>) =>
  Effect.gen(function* () {
    yield* TestClock.setTime(t0)
    return yield* body
  }).pipe(
    Logger.withMinimumLogLevel(LogLevel.None),
    Effect.scoped,
    Effect.provide(TestCluster.layer()),
    TestCluster.seeded()
  )

/** Starts a kubelet's heartbeats for `name` in a scope of its own; closing it is the node going silent. */
const kubelet = (name: string, labels: Record<string, string> = {}) =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    yield* NodeStatus.run({ nodeName: name, capacity: { cpu: "4", memory: "8Gi", pods: "110" }, labels }).pipe(
      Scope.extend(scope),
      Effect.provideService(ContainerRuntime, runtime)
    )
    return scope
  })

const stop = (scope: Scope.CloseableScope) => Scope.close(scope, Exit.void)

/** A pod bound to `node`, running and ready (no kubelet runs it here, so its status is written by hand). */
const readyPod = (name: string, node: string, tolerations?: ReadonlyArray<Toleration>) =>
  Effect.gen(function* () {
    const client = yield* Client
    const pod = yield* client.create(Pods, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, namespace: "default" },
      spec: {
        nodeName: node,
        containers: [{ name: "main", image: "nginx:1.27" }],
        ...(tolerations === undefined ? {} : { tolerations })
      }
    } as Pod)
    return yield* client.updateStatus(Pods, {
      ...pod,
      status: {
        ...pod.status,
        phase: "Running",
        podIP: "10.1.0.1",
        conditions: [{ type: "Ready", status: "True", lastTransitionTime: "2024-05-01T10:00:00Z" }]
      }
    })
  })

const tolerateUnreachable = (seconds?: number): ReadonlyArray<Toleration> => [
  {
    key: "node.kubernetes.io/unreachable",
    operator: "Exists",
    effect: "NoExecute",
    ...(seconds === undefined ? {} : { tolerationSeconds: seconds })
  }
]

const getNode = (name: string) => Effect.flatMap(Client, (client) => client.get(Nodes, name))
const getPod = (name: string) => Effect.flatMap(Client, (client) => client.get(Pods, name, { namespace: "default" }))
const readyOf = (node: Node) => node.status?.conditions?.find((c) => c.type === "Ready")
const taintsOf = (node: Node) => (node.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort()
const podReady = (pod: Pod) => pod.status?.conditions?.find((c) => c.type === "Ready")?.status
const deleting = (name: string) =>
  Effect.map(Effect.either(getPod(name)), (r) => r._tag === "Left" || r.right.metadata.deletionTimestamp !== undefined)
const now = Clock.currentTimeMillis

/**
 * Moves the clock `seconds` forward in steps, letting every fiber run after each: one-second
 * steps where timing is checked, coarser ones (cheaper: each TestClock step costs milliseconds)
 * to wait long stretches.
 */
const advance = (seconds: number, step = 1) =>
  Effect.forEach(
    Array.from({ length: Math.ceil(seconds / step) }, (_, i) => Math.min(step, seconds - i * step)),
    (s) => Effect.zipRight(TestClock.adjust(`${s} seconds`), TestCluster.settle),
    { discard: true }
  )

/** Advances second by second until `check` holds; fails after `limit` seconds. Answers the seconds taken. */
const secondsUntil = (check: Effect.Effect<boolean, unknown, Env>, limit: number) =>
  Effect.gen(function* () {
    for (let s = 0; s <= limit; s++) {
      if (yield* check) return s
      yield* advance(1)
    }
    return yield* Effect.dieMessage(`condition did not hold within ${limit} s`)
  })

/** Two healthy nodes and the controller; node-1 is the one that will go silent. */
const twoNodes = (options: NodeLifecycle.NodeLifecycleOptions = {}) =>
  Effect.gen(function* () {
    const one = yield* kubelet("node-1")
    yield* kubelet("node-2")
    yield* NodeLifecycle.make(options)
    yield* advance(1)
    return one
  })

describe("NodeLifecycle", () => {
  it.effect(
    "a silent node becomes Unknown at the grace period, is tainted, its pods evicted after tolerationSeconds",
    () =>
      inCluster(
        Effect.gen(function* () {
          const one = yield* twoNodes()
          yield* readyPod("short", "node-1", tolerateUnreachable(60))
          yield* readyPod("forever", "node-1", tolerateUnreachable())
          yield* readyPod("default", "node-1")
          yield* advance(3)
          // The last heartbeat, then silence.
          yield* stop(one)
          const silentSince = yield* now
          yield* advance(35, 5)
          yield* advance(4)
          expect(readyOf(yield* getNode("node-1"))?.status).toBe("True")
          // Seen stale at most one monitor period after the grace period, plus the period it was seen in.
          const waited = yield* secondsUntil(
            Effect.map(getNode("node-1"), (n) => readyOf(n)?.status === "Unknown"),
            15
          )
          expect(39 + waited).toBeGreaterThanOrEqual(40)
          expect(39 + waited).toBeLessThanOrEqual(40 + 5 + 5)
          const node = yield* getNode("node-1")
          expect(readyOf(node)).toMatchObject({
            reason: "NodeStatusUnknown",
            message: "Kubelet stopped posting node status."
          })
          expect(
            node.status?.conditions?.filter((c) => c.type !== "Ready").map((c) => `${c.type}=${c.status}`)
          ).toEqual(["MemoryPressure=Unknown", "DiskPressure=Unknown", "PIDPressure=Unknown"])
          // MarkPodsNotReady.
          expect(podReady(yield* getPod("short"))).toBe("False")
          // The NoExecute taint follows on the next pass; the NoSchedule one on the node's update.
          yield* secondsUntil(
            Effect.map(getNode("node-1"), (n) => taintsOf(n).includes("node.kubernetes.io/unreachable:NoExecute")),
            6
          )
          const tainted = yield* getNode("node-1")
          expect(taintsOf(tainted)).toEqual([
            "node.kubernetes.io/unreachable:NoExecute",
            "node.kubernetes.io/unreachable:NoSchedule"
          ])
          expect(tainted.spec?.taints?.every((t) => t.timeAdded !== undefined)).toBe(true)
          expect(taintsOf(yield* getNode("node-2"))).toEqual([])
          const taintedAt = yield* now
          // tolerationSeconds 60: still there a second before, being deleted right after.
          yield* advance(55, 5)
          yield* advance(3)
          expect(yield* deleting("short")).toBe(false)
          yield* secondsUntil(deleting("short"), 3)
          const evicted = yield* getPod("short")
          expect(evicted.status?.conditions?.find((c) => c.type === "DisruptionTarget")).toMatchObject({
            status: "True",
            reason: "DeletionByTaintManager"
          })
          // The admission default (300 s) takes its time; a toleration without seconds is forever.
          yield* advance(300 - 60 - 3, 5)
          expect(yield* deleting("default")).toBe(false)
          yield* secondsUntil(deleting("default"), 3)
          expect((yield* now) - taintedAt).toBeGreaterThanOrEqual(300_000)
          yield* advance(200, 10)
          expect(yield* deleting("forever")).toBe(false)
          expect((yield* now) - silentSince).toBeGreaterThan(500_000)
          const reasons = (yield* Effect.flatMap(Client, (c) => c.list(Events, { namespace: "default" }))).items.map(
            (e) => `${e.involvedObject?.name}:${e.reason}`
          )
          expect(reasons).toEqual(
            expect.arrayContaining([
              "node-1:NodeNotReady",
              "short:NodeNotReady",
              "short:TaintManagerEviction",
              "default:TaintManagerEviction"
            ])
          )
        })
      )
  )

  it.effect("a NoExecute taint the pod does not tolerate evicts it at once; a tolerated one after its seconds", () =>
    inCluster(
      Effect.gen(function* () {
        yield* twoNodes()
        yield* readyPod("plain", "node-2")
        yield* readyPod("patient", "node-2", [
          { key: "maintenance", operator: "Equal", value: "now", effect: "NoExecute", tolerationSeconds: 20 }
        ])
        const client = yield* Client
        const node = yield* getNode("node-2")
        yield* client.update(Nodes, {
          ...node,
          spec: { ...node.spec, taints: [{ key: "maintenance", value: "now", effect: "NoExecute" }] }
        })
        yield* TestCluster.settle
        expect(yield* deleting("plain")).toBe(true)
        expect(yield* deleting("patient")).toBe(false)
        yield* advance(19)
        expect(yield* deleting("patient")).toBe(false)
        yield* secondsUntil(deleting("patient"), 2)
      })
    )
  )

  it.effect("heartbeats resuming clear the taints and cancel pending evictions", () =>
    inCluster(
      Effect.gen(function* () {
        const one = yield* twoNodes()
        yield* readyPod("web", "node-1")
        yield* stop(one)
        yield* advance(40, 5)
        yield* secondsUntil(
          Effect.map(getNode("node-1"), (n) => taintsOf(n).includes("node.kubernetes.io/unreachable:NoExecute")),
          20
        )
        yield* advance(30, 5)
        yield* kubelet("node-1")
        yield* secondsUntil(
          Effect.map(getNode("node-1"), (n) => readyOf(n)?.status === "True" && taintsOf(n).length === 0),
          10
        )
        yield* advance(310, 10)
        expect(yield* deleting("web")).toBe(false)
      })
    )
  )

  it.effect("with every node down, no NoExecute taint and no eviction (master disruption mode)", () =>
    inCluster(
      Effect.gen(function* () {
        const only = yield* kubelet("node-1")
        yield* NodeLifecycle.make()
        yield* advance(1)
        yield* readyPod("web", "node-1", tolerateUnreachable(10))
        yield* stop(only)
        yield* secondsUntil(
          Effect.map(getNode("node-1"), (n) => readyOf(n)?.status === "Unknown"),
          60
        )
        yield* advance(120, 5)
        expect(taintsOf(yield* getNode("node-1"))).toEqual(["node.kubernetes.io/unreachable:NoSchedule"])
        expect(yield* deleting("web")).toBe(false)
      })
    )
  )

  it.effect("NoExecute taints are added one node per 10 s in a zone (the eviction rate)", () =>
    inCluster(
      Effect.gen(function* () {
        const zone = { "topology.kubernetes.io/zone": "a" }
        const silent = [yield* kubelet("n1", zone), yield* kubelet("n2", zone)]
        for (const name of ["n3", "n4", "n5"]) yield* kubelet(name, zone)
        yield* NodeLifecycle.make()
        yield* advance(1)
        for (const scope of silent) yield* stop(scope)
        const addedAt = (name: string) =>
          Effect.map(
            getNode(name),
            (n) =>
              n.spec?.taints?.find((t) => t.key === "node.kubernetes.io/unreachable" && t.effect === "NoExecute")
                ?.timeAdded
          )
        yield* secondsUntil(
          Effect.map(Effect.all([addedAt("n1"), addedAt("n2")]), ([a, b]) => a !== undefined && b !== undefined),
          80
        )
        const [a, b] = yield* Effect.all([addedAt("n1"), addedAt("n2")])
        expect(Math.abs(Date.parse(a!) - Date.parse(b!))).toBe(10_000)
      })
    )
  )

  it.effect("a node that never posted its status is Unknown after the startup grace period", () =>
    inCluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* client.create(Nodes, { apiVersion: "v1", kind: "Node", metadata: { name: "bare" } })
        yield* kubelet("node-2")
        yield* NodeLifecycle.make()
        yield* advance(59)
        expect(readyOf(yield* getNode("bare"))).toBeUndefined()
        yield* secondsUntil(
          Effect.map(getNode("bare"), (n) => readyOf(n) !== undefined),
          10
        )
        expect(readyOf(yield* getNode("bare"))).toMatchObject({
          status: "Unknown",
          reason: "NodeStatusNeverUpdated",
          message: "Kubelet never posted node status."
        })
      })
    )
  )
})
