import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Ref from "effect/Ref"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import { ServiceUnavailable } from "../api/errors.js"
import { Events } from "../api/Event.js"
import { Leases } from "../api/Lease.js"
import { Nodes } from "../api/Node.js"
import { Client } from "../client/Client.js"
import { ContainerRuntime, RuntimeError } from "../runtime/ContainerRuntime.js"
import * as TestCluster from "../testing/TestCluster.js"
import * as NodeStatus from "./NodeStatus.js"

const t0 = Date.parse("2024-05-01T10:00:00Z")

/** A runtime that only answers `version` (failing while `down` is set): all node status needs of it. */
const versionOnlyRuntime = (down: Ref.Ref<boolean>) =>
  ({
    version: Effect.flatMap(Ref.get(down), (isDown) =>
      isDown ? Effect.fail(new RuntimeError({ message: "engine down" })) : Effect.succeed("fake://1.0")
    )
  }) as unknown as ContainerRuntime["Type"]

/** The Client with every call failing (and counted) while `apiDown` is set. */
const flakyClient = (client: Client["Type"], apiDown: Ref.Ref<boolean>, calls: Ref.Ref<number>): Client["Type"] => {
  const gate = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E | ServiceUnavailable> =>
    Effect.zipRight(
      Ref.update(calls, (n) => n + 1),
      Effect.flatMap(Ref.get(apiDown), (down): Effect.Effect<A, E | ServiceUnavailable> =>
        down ? Effect.fail(new ServiceUnavailable({ message: "connection refused" })) : effect
      )
    )
  const gated: Pick<Client["Type"], "get" | "create" | "update" | "updateStatus"> = {
    get: (rt, name, o) => gate(client.get(rt, name, o)),
    create: (rt, obj, o) => gate(client.create(rt, obj, o)),
    update: (rt, obj) => gate(client.update(rt, obj)),
    updateStatus: (rt, obj) => gate(client.updateStatus(rt, obj))
  }
  return { ...client, ...gated }
}

interface Harness {
  readonly runtimeDown: Ref.Ref<boolean>
  readonly apiDown: Ref.Ref<boolean>
  readonly calls: Ref.Ref<number>
  /** Starts a kubelet's node side in its own scope (close it to stop the kubelet). */
  readonly kubelet: (options: NodeStatus.NodeStatusOptions) => Effect.Effect<Scope.CloseableScope>
}

const inCluster = <A, E>(body: (h: Harness) => Effect.Effect<A, E, Client | Scope.Scope>) =>
  Effect.gen(function* () {
    yield* TestClock.setTime(t0)
    const client = yield* Client
    const runtimeDown = yield* Ref.make(false)
    const apiDown = yield* Ref.make(false)
    const calls = yield* Ref.make(0)
    const kubelet = (options: NodeStatus.NodeStatusOptions) =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        yield* NodeStatus.run(options).pipe(
          Scope.extend(scope),
          Effect.provideService(ContainerRuntime, versionOnlyRuntime(runtimeDown)),
          Effect.provideService(Client, flakyClient(client, apiDown, calls))
        )
        return scope
      })
    return yield* body({ runtimeDown, apiDown, calls, kubelet })
  }).pipe(
    Logger.withMinimumLogLevel(LogLevel.None),
    Effect.scoped,
    Effect.provide(TestCluster.layer()),
    TestCluster.seeded()
  )

const options: NodeStatus.NodeStatusOptions = {
  nodeName: "node-1",
  capacity: { cpu: "4", memory: "8Gi", pods: "110" },
  labels: { "topology.kubernetes.io/zone": "a" },
  taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }]
}

const getNode = Effect.flatMap(Client, (client) => client.get(Nodes, "node-1"))
const getLease = Effect.flatMap(Client, (client) =>
  client.get(Leases, "node-1", { namespace: NodeStatus.nodeLeaseNamespace })
)
const ready = Effect.map(getNode, (node) => node.status?.conditions?.find((c) => c.type === "Ready"))

describe("NodeStatus", () => {
  it.effect("registers the Node with capacity, labels, taints, addresses, node info and conditions", () =>
    inCluster(({ kubelet }) =>
      Effect.gen(function* () {
        yield* kubelet(options)
        const node = yield* TestCluster.eventually(getNode)
        expect(node.metadata.labels).toEqual({
          "kubernetes.io/arch": "amd64",
          "kubernetes.io/hostname": "node-1",
          "kubernetes.io/os": "linux",
          "topology.kubernetes.io/zone": "a"
        })
        expect(node.spec?.taints).toEqual([{ key: "dedicated", value: "gpu", effect: "NoSchedule" }])
        expect(node.status?.capacity).toEqual({ cpu: "4", memory: "8Gi", pods: "110" })
        expect(node.status?.allocatable).toEqual({ cpu: "4", memory: "8Gi", pods: "110" })
        expect(node.status?.addresses).toEqual([
          { type: "InternalIP", address: NodeStatus.defaultNodeIP("node-1") },
          { type: "Hostname", address: "node-1" }
        ])
        expect(node.status?.nodeInfo).toMatchObject({
          containerRuntimeVersion: "fake://1.0",
          kubeletVersion: "v1.32.0-minik8s",
          operatingSystem: "linux",
          architecture: "amd64"
        })
        const conditions = Object.fromEntries((node.status?.conditions ?? []).map((c) => [c.type, c]))
        expect(conditions.Ready).toEqual({
          type: "Ready",
          status: "True",
          reason: "KubeletReady",
          message: "kubelet is posting ready status",
          lastHeartbeatTime: "2024-05-01T10:00:00Z",
          lastTransitionTime: "2024-05-01T10:00:00Z"
        })
        expect([
          conditions.MemoryPressure?.status,
          conditions.DiskPressure?.status,
          conditions.PIDPressure?.status
        ]).toEqual(["False", "False", "False"])
        const events = yield* TestCluster.eventually(
          Effect.flatMap(Client, (client) => client.list(Events, { namespace: "default" })).pipe(
            Effect.map((l) => l.items.map((e) => e.reason).sort()),
            Effect.tap((reasons) => expect(reasons.length).toBe(3))
          )
        )
        expect(events).toEqual(["NodeHasNoDiskPressure", "NodeHasSufficientMemory", "NodeHasSufficientPID"])
      })
    )
  )

  it.effect("renews its Lease every heartbeat interval, owned by the Node", () =>
    inCluster(({ kubelet }) =>
      Effect.gen(function* () {
        yield* kubelet({ ...options, heartbeatInterval: "10 seconds" })
        yield* TestCluster.settle
        const node = yield* getNode
        const first = yield* getLease
        expect(first.spec).toEqual({
          holderIdentity: "node-1",
          leaseDurationSeconds: 40,
          renewTime: "2024-05-01T10:00:00.000000Z"
        })
        yield* TestClock.adjust("9 seconds")
        yield* TestCluster.settle
        expect((yield* getLease).spec?.renewTime).toBe("2024-05-01T10:00:00.000000Z")
        yield* TestClock.adjust("1 second")
        yield* TestCluster.settle
        const second = yield* getLease
        expect(second.spec?.renewTime).toBe("2024-05-01T10:00:10.000000Z")
        expect(second.metadata.ownerReferences).toEqual([
          { apiVersion: "v1", kind: "Node", name: "node-1", uid: node.metadata.uid }
        ])
        yield* TestClock.adjust("10 seconds")
        yield* TestCluster.settle
        expect((yield* getLease).spec?.renewTime).toBe("2024-05-01T10:00:20.000000Z")
      })
    )
  )

  it.effect("a Lease recreated after its Node was deleted is owned by no Node, then by the Node created again", () =>
    inCluster(({ kubelet }) =>
      Effect.gen(function* () {
        const client = yield* Client
        yield* kubelet({ ...options, heartbeatInterval: "10 seconds" })
        yield* TestCluster.settle
        const node = yield* getNode
        // What `kubectl delete node` and the garbage collector do.
        yield* client.delete(Nodes, "node-1")
        yield* client.delete(Leases, "node-1", { namespace: NodeStatus.nodeLeaseNamespace })
        // The renewal finds the Lease gone and creates it again.
        const recreated = yield* TestCluster.eventually(getLease, { timeout: "30 seconds", step: "1 second" })
        expect(recreated.metadata.ownerReferences).toBeUndefined()

        const again = yield* client.create(Nodes, { ...node, metadata: { name: "node-1" } })
        yield* TestClock.adjust("10 seconds")
        yield* TestCluster.settle
        expect((yield* getLease).metadata.ownerReferences).toEqual([
          { apiVersion: "v1", kind: "Node", name: "node-1", uid: again.metadata.uid }
        ])
      })
    )
  )

  it.effect("posts the status on a change, else every nodeStatusReportFrequency", () =>
    inCluster(({ kubelet, runtimeDown }) =>
      Effect.gen(function* () {
        // One heartbeat interval, and everything it set off.
        const beat = Effect.zipRight(TestClock.adjust("10 seconds"), TestCluster.settle)
        yield* kubelet({ ...options, nodeStatusReportFrequency: "1 minute" })
        yield* TestCluster.settle
        yield* TestClock.adjust("50 seconds")
        yield* TestCluster.settle
        expect((yield* ready)?.lastHeartbeatTime).toBe("2024-05-01T10:00:00Z")
        yield* beat
        expect((yield* ready)?.lastHeartbeatTime).toBe("2024-05-01T10:01:00Z")
        // The runtime going down is a change: posted at the next beat, Ready=False.
        yield* Ref.set(runtimeDown, true)
        yield* beat
        expect(yield* ready).toMatchObject({
          status: "False",
          reason: "KubeletNotReady",
          message: "container runtime is down",
          lastTransitionTime: "2024-05-01T10:01:10Z"
        })
        yield* Ref.set(runtimeDown, false)
        yield* beat
        expect(yield* ready).toMatchObject({ status: "True", lastTransitionTime: "2024-05-01T10:01:20Z" })
        // Nothing changed at the next beat: nothing posted.
        yield* beat
        expect((yield* ready)?.lastHeartbeatTime).toBe("2024-05-01T10:01:20Z")
        // Another writer (the node lifecycle controller) marks the node Unknown: the kubelet's next beat sets it right.
        const client = yield* Client
        const node = yield* getNode
        yield* client.updateStatus(Nodes, {
          ...node,
          status: {
            ...node.status,
            conditions: (node.status?.conditions ?? []).map((c) =>
              c.type === "Ready" ? { ...c, status: "Unknown", reason: "NodeStatusUnknown" } : c
            )
          }
        })
        yield* beat
        expect(yield* ready).toMatchObject({
          status: "True",
          reason: "KubeletReady",
          lastHeartbeatTime: "2024-05-01T10:01:40Z",
          lastTransitionTime: "2024-05-01T10:01:40Z"
        })
      })
    )
  )

  it.effect("a restarted kubelet re-registers: labels refreshed, taints and spec set by others kept", () =>
    inCluster(({ kubelet }) =>
      Effect.gen(function* () {
        const first = yield* kubelet(options)
        yield* TestCluster.settle
        yield* Scope.close(first, Exit.void)
        const client = yield* Client
        const node = yield* getNode
        yield* client.update(Nodes, {
          ...node,
          spec: {
            ...node.spec,
            unschedulable: true,
            taints: [...(node.spec?.taints ?? []), { key: "maintenance", effect: "NoExecute" }]
          }
        })
        yield* TestClock.adjust("1 minute")
        yield* kubelet({ ...options, labels: { role: "db" }, taints: [{ key: "other", effect: "NoSchedule" }] })
        yield* TestCluster.settle
        const again = yield* getNode
        expect(again.metadata.uid).toBe(node.metadata.uid)
        expect(again.metadata.labels).toMatchObject({ "topology.kubernetes.io/zone": "a", role: "db" })
        expect(again.spec?.unschedulable).toBe(true)
        expect(again.spec?.taints).toEqual([
          { key: "dedicated", value: "gpu", effect: "NoSchedule" },
          { key: "maintenance", effect: "NoExecute" }
        ])
        expect((yield* ready)?.lastHeartbeatTime).toBe("2024-05-01T10:01:00Z")
      })
    )
  )

  it.effect("waits out an unreachable API server with backoff, then registers", () =>
    inCluster(({ kubelet, apiDown, calls }) =>
      Effect.gen(function* () {
        yield* Ref.set(apiDown, true)
        yield* kubelet(options)
        for (let i = 0; i < 120; i++) {
          yield* TestClock.adjust("500 millis")
          yield* TestCluster.settle
        }
        // Two loops backing off 0.1 s → 7 s for a minute: a few dozen attempts, no busy loop.
        expect(yield* Ref.get(calls)).toBeLessThan(40)
        expect(yield* Effect.either(getNode)).toMatchObject({ _tag: "Left" })
        yield* Ref.set(apiDown, false)
        yield* TestCluster.eventually(getNode, { timeout: "10 seconds" })
        const lease = yield* TestCluster.eventually(getLease, { timeout: "10 seconds" })
        expect(lease.spec?.holderIdentity).toBe("node-1")
      })
    )
  )
})
