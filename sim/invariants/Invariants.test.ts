import { describe, expect, it } from "vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type { Endpoints } from "../../core/api/Endpoints.js"
import type { Lease } from "../../core/api/Lease.js"
import type { KubeObject } from "../../core/api/meta.js"
import type { Node } from "../../core/api/Node.js"
import type { Service } from "../../core/api/Service.js"
import { microTime } from "../../core/api/time.js"
import type { ApiRequest, WatchLine } from "../../core/apiserver/ApiRequest.js"
import { defaultStart } from "../clock/Simulation.js"
import { invariantNames, type InvariantName } from "../scenario/Scenario.js"
import { at, deployment, node, pod, replicaSet, setup, simulate } from "../scenario/WorldFixtures.js"
import { type CustomInvariant, nameOf, type RuntimeContainer, type Violation } from "./Invariant.js"
import * as Invariants from "./Invariants.js"

/** Runs `steps` against a fresh world checked by every invariant; answers the violations found. */
const violations = (
  steps: (
    w: Effect.Effect.Success<ReturnType<typeof setup>> & { readonly invariants: Invariants.Invariants }
  ) => Effect.Effect<void>,
  names: ReadonlyArray<InvariantName> = invariantNames,
  options: Omit<Invariants.InvariantsOptions, "now"> = {}
): ReadonlyArray<Violation> =>
  simulate(
    Effect.gen(function* () {
      const cluster = yield* setup()
      const clock = yield* Effect.clock
      const invariants = Invariants.make(names, cluster.world, {
        ...options,
        now: () => clock.unsafeCurrentTimeMillis() - defaultStart
      })
      yield* steps({ ...cluster, invariants })
      yield* cluster.world.settled
      return invariants.violations()
    })
  )

const web = deployment("web", { replicas: 3, maxSurge: 1, maxUnavailable: 0 })
const rsA = replicaSet("web-a", 3, web)
const podOf = (rs: ReturnType<typeof replicaSet>, name: string, ready = true, n = "node-1") =>
  pod(name, { owner: rs, labels: { app: "web" }, node: n, ready })

/** Three nodes and a Deployment of 3 at rest on ReplicaSet web-a. */
const steady = (put: (o: any) => Effect.Effect<void>) =>
  Effect.gen(function* () {
    for (const n of ["node-1", "node-2", "node-3"]) yield* put(node(n))
    yield* put(web)
    yield* put(rsA)
    for (const name of ["a-1", "a-2", "a-3"]) yield* put(podOf(rsA, name))
  })

const request: ApiRequest = { method: "GET", path: "/api/v1/pods", query: new URLSearchParams("watch=1"), headers: {} }
const line = (type: WatchLine["type"], name: string, rv: number): WatchLine => ({
  type,
  object: { kind: "Pod", metadata: { name, namespace: "default", uid: `uid-${name}`, resourceVersion: String(rv) } }
})

describe("invariants", () => {
  it("a healthy sequence — placement, a rollout within its bounds, a clean end — violates none", () => {
    const rsB = replicaSet("web-b", 0, web)
    const found = violations(({ put, remove, world, invariants }) =>
      Effect.gen(function* () {
        yield* put(node("gpu", { taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }] }))
        yield* steady(put)
        yield* put(
          pod("trainer", {
            node: "gpu",
            ready: true,
            tolerations: [{ key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" }]
          })
        )
        // maxSurge 1, maxUnavailable 0: one new pod at a time, an old one goes once it is ready.
        const olds = ["a-3", "a-2", "a-1"]
        for (const [i, old] of olds.entries()) {
          yield* put({ ...rsB, spec: { ...rsB.spec!, replicas: i + 1 } })
          yield* put(podOf(rsB, `b-${i + 1}`, false, "node-2"))
          yield* Effect.sleep("2 seconds")
          yield* put(podOf(rsB, `b-${i + 1}`, true, "node-2"))
          yield* put({ ...rsA, spec: { ...rsA.spec!, replicas: 2 - i } })
          yield* put(pod(old, { owner: rsA, labels: { app: "web" }, node: "node-1", ready: true, deleting: true }))
          yield* remove(pod(old))
        }
        yield* put({ ...web, status: { replicas: 3, readyReplicas: 3, updatedReplicas: 3, availableReplicas: 3 } })
        yield* world.settled
        expect(invariants.atEnd({ containers: [{ node: "node-2", podUid: "uid-default-b-1" }] })).toBe(true)
        const see = invariants.onWatchLine("scheduler", request)
        for (const [type, name, rv] of [
          ["ADDED", "x", 3],
          ["ADDED", "y", 2],
          ["BOOKMARK", "", 5],
          ["MODIFIED", "x", 6],
          ["DELETED", "x", 7]
        ] as const)
          see(line(type, name, rv))
      })
    )
    expect(found).toEqual([])
  })

  it("noDoubleBinding: a pod moved to a second node, once", () => {
    const found = violations(({ put }) =>
      Effect.gen(function* () {
        yield* put(node("node-1"))
        yield* put(node("node-2"))
        yield* put(pod("web-1", { node: "node-1" }))
        yield* Effect.sleep("3 seconds")
        yield* put(pod("web-1", { node: "node-2" }))
        yield* put(pod("web-1", { node: "node-2", ready: true }))
      })
    )
    expect(found).toEqual([
      { invariant: "noDoubleBinding", time: 3000, message: "pod web-1 was bound to node-1, then node-2" }
    ])
  })

  it("capacityRespected: requests over allocatable, reported once until it fits again", () => {
    const found = violations(
      ({ put, remove }) =>
        Effect.gen(function* () {
          // Each pod is created unbound, then the scheduler binds it.
          const bind = (name: string, cpu: string) =>
            Effect.zipRight(put(pod(name, { cpu })), put(pod(name, { node: "node-1", cpu })))
          yield* put(node("node-1", { cpu: "1", pods: "3" }))
          yield* bind("a", "600m")
          yield* bind("b", "600m")
          yield* put(pod("b", { node: "node-1", cpu: "600m", ready: true }))
          // A terminated pod no longer counts: it fits again, so the next excess is a new violation.
          yield* put(pod("b", { node: "node-1", cpu: "600m", phase: "Failed" }))
          yield* bind("c", "100m")
          yield* bind("d", "100m")
          yield* bind("e", "100m")
          yield* remove(pod("e"))
        }),
      ["capacityRespected"]
    )
    expect(found.map((v) => v.message)).toEqual([
      "node node-1: cpu requests 1200m > allocatable 1000m",
      "node node-1: pods requests 4 > allocatable 3"
    ])
  })

  it("capacityRespected: a pod created bound counts once its kubelet admits it; a rejected one never", () => {
    const pending = (name: string) => ({ ...pod(name, { node: "node-1", cpu: "800m" }), status: { phase: "Pending" } })
    const found = violations(
      ({ put }) =>
        Effect.gen(function* () {
          yield* put(node("node-1", { cpu: "1" }))
          yield* put(pod("a", { cpu: "600m" }))
          yield* put(pod("a", { node: "node-1", cpu: "600m" }))
          // Not yet seen by the kubelet, then rejected by its admission: never over capacity.
          yield* put(pending("big"))
          yield* put({
            ...pending("big"),
            status: { phase: "Failed", reason: "OutOfcpu", message: "Pod was rejected" }
          })
          // Admitted (the kubelet set its start time): it counts, and here it does not fit.
          yield* put(pending("late"))
          yield* Effect.sleep("1 second")
          yield* put({ ...pending("late"), status: { phase: "Pending", startTime: "2025-01-01T00:00:01Z" } })
        }),
      ["capacityRespected"]
    )
    expect(found).toEqual([
      { invariant: "capacityRespected", time: 1000, message: "node node-1: cpu requests 1400m > allocatable 1000m" }
    ])
  })

  it("placementRespected: a pod on a node whose taint it does not tolerate, or that its selector excludes", () => {
    const found = violations(
      ({ put }) =>
        Effect.gen(function* () {
          yield* put(node("gpu", { taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }] }))
          yield* put(node("node-1", { labels: { zone: "a" } }))
          yield* put(pod("web-1"))
          yield* put(pod("web-1", { node: "gpu" }))
          for (const [name, zone] of [
            ["web-2", "b"],
            ["web-3", "a"]
          ] as const) {
            yield* put(pod(name, { nodeSelector: { zone } }))
            yield* put(pod(name, { node: "node-1", nodeSelector: { zone } }))
          }
          // Created bound: it bypassed the scheduler, so neither its taint nor its selector is judged.
          yield* put(pod("direct", { node: "gpu", nodeSelector: { zone: "b" } }))
        }),
      ["placementRespected"]
    )
    expect(found.map((v) => v.message)).toEqual([
      "pod web-1 bound to gpu despite taint dedicated=gpu:NoSchedule",
      "pod web-2 bound to node-1, which its node selector/affinity excludes"
    ])
  })

  it("placementRespected: a taint the scheduler could not have seen yet is not held against a bind", () => {
    const tainted = node("node-1", { taints: [{ key: "node.kubernetes.io/unreachable", effect: "NoSchedule" }] })
    const found = violations(
      ({ put }) =>
        Effect.gen(function* () {
          yield* put(node("node-1"))
          yield* put(tainted)
          yield* put(pod("early"))
          yield* put(pod("late"))
          yield* Effect.sleep("1 second")
          yield* put(pod("early", { node: "node-1" }))
          yield* Effect.sleep("5 seconds")
          yield* put(pod("late", { node: "node-1" }))
        }),
      ["placementRespected"]
    )
    expect(found).toEqual([
      {
        invariant: "placementRespected",
        time: 6000,
        message: "pod late bound to node-1 despite taint node.kubernetes.io/unreachable=:NoSchedule"
      }
    ])
  })

  it("placementRespected: judged against the nodes the scheduler received, however stale, not the store's", () => {
    const nodesWatch: ApiRequest = {
      method: "GET",
      path: "/api/v1/nodes",
      query: new URLSearchParams("watch=1"),
      headers: {}
    }
    const cordoned = (name: string): Node => {
      const plain = node(name) as Node
      return {
        ...plain,
        spec: { unschedulable: true, taints: [{ key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" }] }
      }
    }
    const found = violations(
      ({ put, invariants }) =>
        Effect.gen(function* () {
          const toScheduler = invariants.onWatchLine("scheduler", nodesWatch)
          for (const name of ["node-1", "node-2"]) {
            yield* put(node(name))
            toScheduler({ type: "ADDED", object: node(name) })
          }
          // Both cordoned in the store; only node-2's change reaches the scheduler (its node-1 watch is broken).
          yield* put(cordoned("node-1"))
          yield* put(cordoned("node-2"))
          toScheduler({ type: "MODIFIED", object: cordoned("node-2") })
          yield* put(pod("stale"))
          yield* put(pod("ignored"))
          yield* Effect.sleep("30 seconds")
          yield* put(pod("stale", { node: "node-1" }))
          yield* put(pod("ignored", { node: "node-2" }))
        }),
      ["placementRespected"]
    )
    expect(found.map((v) => v.message)).toEqual([
      "pod ignored bound to node-2 despite taint node.kubernetes.io/unschedulable=:NoSchedule"
    ])
  })

  it("resourceVersionMonotonic: a stream going back, a bookmark going back, an event at a bookmark", () => {
    const found = violations(
      ({ invariants }) =>
        Effect.sync(() => {
          const first = invariants.onWatchLine("scheduler", request)
          first(line("ADDED", "x", 5))
          first(line("MODIFIED", "x", 7))
          first(line("MODIFIED", "x", 6))
          first(line("MODIFIED", "x", 4))
          const second = invariants.onWatchLine("node-1", request)
          second(line("ADDED", "y", 9))
          second(line("BOOKMARK", "", 8))
          const third = invariants.onWatchLine("controller-manager", request)
          third(line("BOOKMARK", "", 10))
          third(line("ADDED", "z", 10))
          third({ type: "ERROR", object: { kind: "Status", code: 410 } })
          third(line("ADDED", "z", 3))
        }),
      ["resourceVersionMonotonic"]
    )
    expect(found.map((v) => v.message)).toEqual([
      "scheduler watch /api/v1/pods: Pod default/x resourceVersion 6 after 7",
      "node-1 watch /api/v1/pods: BOOKMARK at resourceVersion 8 after 9",
      "controller-manager watch /api/v1/pods: Pod default/z resourceVersion 10 after BOOKMARK 10"
    ])
  })

  it("noOrphans: a ReplicaSet whose Deployment is gone and a container whose pod is gone", () => {
    const found = violations(
      ({ put, world, invariants }) =>
        Effect.gen(function* () {
          yield* put(replicaSet("web-abc", 1, undefined, "uid-gone"))
          yield* put(pod("web-abc-1", { owner: replicaSet("web-abc", 1), node: "node-1" }))
          yield* world.settled
          invariants.atEnd({
            containers: [
              { node: "node-1", podUid: "uid-default-web-abc-1" },
              { node: "node-1", podUid: "uid-vanished" }
            ]
          })
        }),
      ["noOrphans"]
    )
    expect(found.map((v) => v.message)).toEqual([
      "ReplicaSet web-abc: its controller Deployment gone (uid uid-gone) is gone",
      "node node-1: a container of pod uid uid-vanished, which no longer exists"
    ])
  })

  it("replicasBounded: a rollout over its surge, then under its availability", () => {
    const rsB = replicaSet("web-b", 2, web)
    const found = violations(
      ({ put }) =>
        Effect.gen(function* () {
          yield* steady(put)
          yield* put(rsB)
          yield* put(podOf(rsB, "b-1", false))
          yield* put(podOf(rsB, "b-2", false))
          yield* put(podOf(rsB, "b-1", false, "node-1"))
          // The old ReplicaSet scales down before its new pods are ready.
          yield* put({ ...rsA, spec: { ...rsA.spec!, replicas: 1 } })
          yield* put(pod("a-3", { owner: rsA, labels: { app: "web" }, node: "node-1", ready: true, deleting: true }))
        }),
      ["replicasBounded"]
    )
    expect(found.map((v) => v.message)).toEqual([
      "deployment web: 5 pods, want at most 4 (replicas 3 + maxSurge 1)",
      "deployment web: 2 available, want at least 3 (replicas 3 - maxUnavailable 0)"
    ])
  })

  it("replicasBounded: a crash, a scale or a failing node lets the Deployment go until it is steady again", () => {
    const rsB = replicaSet("web-b", 1, web)
    const found = violations(
      ({ put }) =>
        Effect.gen(function* () {
          yield* steady(put)
          // A container crash takes a pod's readiness: not the controller's doing.
          yield* put(podOf(rsA, "a-1", false))
          yield* put(rsB)
          yield* put(podOf(rsB, "b-1", false))
          yield* put({ ...rsA, spec: { ...rsA.spec!, replicas: 2 } })
          yield* put(pod("a-2", { owner: rsA, labels: { app: "web" }, node: "node-1", ready: true, deleting: true }))
          // Scaled up: not judged against the new replicas until steady.
          yield* put({ ...web, spec: { ...web.spec!, replicas: 5 } })
          yield* put(podOf(rsB, "b-2", true))
          // A node stops being Ready: nothing is reported for five minutes.
          yield* put(node("node-3", { ready: "Unknown" }))
        }),
      ["replicasBounded"]
    )
    expect(found).toEqual([])
  })

  it("replicasBounded: scaled down while its ReplicaSet still makes the pods of an earlier scale-up, it is not held to the new bound yet", () => {
    const found = violations(
      ({ put }) =>
        Effect.gen(function* () {
          yield* steady(put)
          // Scaled to 5; the ReplicaSet is told, but its controller is away and makes no pod.
          yield* put({ ...web, spec: { ...web.spec!, replicas: 5 } })
          yield* put({ ...rsA, spec: { ...rsA.spec!, replicas: 5 } })
          // Scaled back to 3 before the Deployment controller passed it on: 3 pods match, but the ReplicaSet still wants 5.
          yield* put({ ...web, spec: { ...web.spec!, replicas: 3 } })
          yield* put(podOf(rsA, "a-4"))
          yield* put(podOf(rsA, "a-5"))
          // The Deployment controller catches up and the ReplicaSet deletes the extra two.
          yield* put(rsA)
          yield* put(pod("a-4", { owner: rsA, labels: { app: "web" }, node: "node-1", ready: true, deleting: true }))
          yield* put(pod("a-5", { owner: rsA, labels: { app: "web" }, node: "node-1", ready: true, deleting: true }))
        }),
      ["replicasBounded"]
    )
    expect(found).toEqual([])
  })

  it("replicasBounded: a pod whose create reply was lost lets the Deployment go (its ReplicaSet makes another)", () => {
    const rsB = replicaSet("web-b", 1, web)
    const found = violations(
      ({ put, invariants }) =>
        Effect.gen(function* () {
          yield* steady(put)
          yield* put(rsB)
          const first = podOf(rsB, "b-1", false)
          yield* put(first)
          invariants.onLostReply(
            "controller-manager",
            { method: "POST", path: "/api/v1/namespaces/default/pods", query: new URLSearchParams(), headers: {} },
            { _tag: "Json", status: 201, headers: {}, body: first }
          )
          yield* put(podOf(rsB, "b-2", false))
        }),
      ["replicasBounded"]
    )
    expect(found).toEqual([])
  })

  it("replicasBounded: nothing is reported while a node is not Ready and for five minutes after", () => {
    const rsB = replicaSet("web-b", 2, web)
    const found = violations(
      ({ put }) =>
        Effect.gen(function* () {
          yield* steady(put)
          yield* put(node("node-3", { ready: "Unknown" }))
          yield* put(rsB)
          yield* put(podOf(rsB, "b-1", false, "node-2"))
          yield* put(podOf(rsB, "b-2", false, "node-2"))
          yield* Effect.sleep("1 minute")
          yield* put(node("node-3"))
          yield* Effect.sleep("3 minutes")
          yield* put(podOf(rsB, "b-1", false, "node-1"))
          yield* Effect.sleep("2 minutes")
          yield* put(podOf(rsB, "b-1", false, "node-1"))
        }),
      ["replicasBounded"]
    )
    expect(found).toEqual([
      {
        invariant: "replicasBounded",
        time: 6 * 60_000,
        message: "deployment web: 5 pods, want at most 4 (replicas 3 + maxSurge 1)"
      }
    ])
  })

  it("converged: a Deployment short of ready replicas, unless its pods cannot be placed", () => {
    const api = deployment("api", { replicas: 2, status: { readyReplicas: 1 } })
    const rsApi = replicaSet("api-1", 2, api)
    const found = violations(
      ({ put, world, invariants }) =>
        Effect.gen(function* () {
          yield* put(deployment("web", { replicas: 3, status: { readyReplicas: 2 } }))
          yield* put(deployment("ok", { status: { readyReplicas: 1 } }))
          yield* put(api)
          yield* put(rsApi)
          yield* put(pod("api-1-x", { owner: rsApi, unschedulable: true }))
          yield* world.settled
          expect(invariants.atEnd({ containers: [] }, { dryRun: true })).toBe(false)
          expect(invariants.violations()).toEqual([])
          expect(invariants.atEnd({ containers: [] })).toBe(false)
          expect(invariants.atEnd({ containers: [] })).toBe(false)
        }),
      ["converged"]
    )
    expect(found).toEqual([{ invariant: "converged", time: 0, message: "deployment web: readyReplicas 2, want 3" }])
  })
})

const lease = (nodeName: string, renewedAt: number): Lease => ({
  apiVersion: "coordination.k8s.io/v1",
  kind: "Lease",
  metadata: { name: nodeName, namespace: "kube-node-lease", uid: `uid-lease-${nodeName}` },
  spec: { holderIdentity: nodeName, leaseDurationSeconds: 40, renewTime: microTime(defaultStart + renewedAt) }
})

/** Virtual milliseconds since the run started. */
const elapsed = Effect.map(Clock.currentTimeMillis, (now) => now - defaultStart)

/** Sleeps until `millis` after the start. */
const until = (millis: number) => Effect.flatMap(elapsed, (now) => Effect.sleep(Math.max(0, millis - now)))

const answer = (
  invariants: Invariants.Invariants,
  method: ApiRequest["method"],
  path: string,
  body: unknown,
  options: { readonly status?: number; readonly query?: string } = {}
) =>
  invariants.onResponse(
    "controller-manager",
    { method, path, query: new URLSearchParams(options.query ?? ""), headers: {} },
    { _tag: "Json", status: options.status ?? 200, headers: {}, body }
  )

const container = (nodeName: string, podName: string, id: string, running = true): RuntimeContainer => ({
  node: nodeName,
  podUid: `uid-default-${podName}`,
  container: "c",
  id,
  running
})

describe("invariants of faulty runs", () => {
  it("noLostWrites: an acknowledged write at a revision the store never had the object at, now or by the end", () => {
    const found = violations(
      ({ put, world, invariants }) =>
        Effect.gen(function* () {
          yield* put(pod("a"))
          yield* put(pod("b"))
          yield* put(web)
          yield* world.settled
          const at = (kind: string, name: string) => world.get(kind, "default", name)!
          const b = Number(at("pod", "b").metadata.resourceVersion)
          answer(invariants, "POST", "/api/v1/namespaces/default/pods", at("pod", "a"), { status: 201 })
          answer(invariants, "PUT", "/apis/apps/v1/namespaces/default/deployments/web/scale", {
            kind: "Scale",
            metadata: {
              name: "web",
              namespace: "default",
              resourceVersion: at("deployment", "web").metadata.resourceVersion
            }
          })
          // Acknowledged at b's revision: the store never had pod a there.
          answer(invariants, "PUT", "/api/v1/namespaces/default/pods/a/status", {
            ...at("pod", "a"),
            metadata: { ...at("pod", "a").metadata, resourceVersion: String(b) }
          })
          // A Success Status and a dry run say nothing checkable.
          answer(invariants, "DELETE", "/api/v1/namespaces/default/pods/b", { kind: "Status", status: "Success" })
          answer(invariants, "PATCH", "/api/v1/namespaces/default/pods/b", pod("b"), { query: "dryRun=All" })
          // Answered before the world applied the write: judged once it has.
          const next = world.revision() + 1
          answer(invariants, "POST", "/api/v1/namespaces/default/pods", {
            ...pod("c"),
            metadata: { ...pod("c").metadata, resourceVersion: String(next) }
          })
          yield* put(pod("c"))
          yield* world.settled
          // Answered at a revision the store never reaches.
          answer(invariants, "PATCH", "/api/v1/namespaces/default/pods/b", {
            ...pod("b"),
            metadata: { ...pod("b").metadata, resourceVersion: String(next + 10) }
          })
          invariants.atEnd({ containers: [] }, { dryRun: true })
          expect(invariants.violations()).toHaveLength(1)
          invariants.atEnd({ containers: [] })
        }),
      ["noLostWrites"]
    )
    expect(found.map((v) => v.message)).toEqual([
      "Pod a: update acknowledged to controller-manager at resourceVersion 2, which the store never had",
      "Pod b: patch acknowledged to controller-manager at resourceVersion 14, which the store never had"
    ])
  })

  it("phaseMonotonic: a phase going back, or leaving Succeeded/Failed, once per pod", () => {
    const found = violations(
      ({ put }) =>
        Effect.gen(function* () {
          yield* put(pod("a"))
          yield* put(pod("a", { node: "node-1" }))
          yield* put(pod("a", { node: "node-1", phase: "Succeeded" }))
          // Straight from Pending to Failed is fine (rejected by the kubelet's admission).
          yield* put(pod("b", { node: "node-1", phase: "Pending" }))
          yield* put(pod("b", { node: "node-1", phase: "Failed" }))
          yield* put(pod("c", { node: "node-1" }))
          yield* put(pod("c", { node: "node-1", phase: "Pending" }))
          yield* put(pod("c", { node: "node-1" }))
          yield* put(pod("c", { node: "node-1", phase: "Pending" }))
          yield* put(pod("d", { node: "node-1", phase: "Succeeded" }))
          yield* put(pod("d", { node: "node-1", phase: "Failed" }))
        }),
      ["phaseMonotonic"]
    )
    expect(found.map((v) => v.message)).toEqual([
      "pod c: phase Running, then Pending",
      "pod d: phase Succeeded, then Failed"
    ])
  })

  it("noContainerAfterDelete: past the grace period plus a heartbeat, counted from when a silent kubelet is back", () => {
    let running: ReadonlyArray<RuntimeContainer> = []
    const found = violations(
      ({ put, remove }) =>
        Effect.gen(function* () {
          for (const n of ["node-1", "node-2"]) {
            yield* put(node(n))
            yield* put(lease(n, 0))
          }
          for (const [name, n] of [
            ["a", "node-1"],
            ["b", "node-2"],
            ["c", "node-1"],
            ["d", "node-1"]
          ] as const)
            yield* put(pod(name, { node: n }))
          running = [
            container("node-1", "a", "a1"),
            container("node-2", "b", "b1"),
            container("node-1", "c", "c1", false),
            container("node-1", "d", "d1")
          ]
          // a, b and c go; d stays. node-1 heartbeats every 10s; node-2 is silent until 1m.
          for (const name of ["a", "b", "c"]) yield* remove(pod(name))
          for (let t = 10_000; t <= 110_000; t += 10_000) {
            yield* until(t)
            yield* put(lease("node-1", t))
            if (t >= 60_000) yield* put(lease("node-2", t))
          }
        }),
      ["noContainerAfterDelete"],
      { containers: () => running }
    )
    expect(found).toEqual([
      {
        invariant: "noContainerAfterDelete",
        time: 50_000,
        message: "node node-1: container c of pod a (uid uid-default-a) still runs 50s after the pod was deleted"
      },
      {
        invariant: "noContainerAfterDelete",
        time: 110_000,
        message: "node node-2: container c of pod b (uid uid-default-b) still runs 110s after the pod was deleted"
      }
    ])
  })

  it("noDuplicateContainers: two running containers for one pod's container, reported again after it healed", () => {
    let running: ReadonlyArray<RuntimeContainer> = []
    const found = violations(
      ({ put, world, invariants }) =>
        Effect.gen(function* () {
          yield* put(pod("a", { node: "node-1" }))
          const tick = (t: number, now: ReadonlyArray<RuntimeContainer>) =>
            Effect.zipRight(
              until(t),
              Effect.suspend(() => {
                running = now
                return put(node("node-1"))
              })
            )
          // An exited container beside its restart is fine.
          yield* tick(2_000, [container("node-1", "a", "x1", false), container("node-1", "a", "x2")])
          yield* tick(4_000, [container("node-1", "a", "x1"), container("node-1", "a", "x2")])
          yield* tick(6_000, [container("node-1", "a", "x2")])
          yield* tick(8_000, [container("node-1", "a", "x2"), container("node-1", "a", "x3")])
          yield* world.settled
          invariants.atEnd({ containers: [] })
        }),
      ["noDuplicateContainers"],
      { containers: () => running }
    )
    expect(found).toEqual([
      {
        invariant: "noDuplicateContainers",
        time: 4_000,
        message: "node node-1: 2 running containers c of pod a (uid uid-default-a): x1, x2"
      },
      {
        invariant: "noDuplicateContainers",
        time: 8_000,
        message: "node node-1: 2 running containers c of pod a (uid uid-default-a): x2, x3"
      }
    ])
  })

  it("replicaSetBounded: a creation beyond replicas; a scale-down in flight is allowed for a while", () => {
    const rs = replicaSet("rs", 2)
    const found = violations(
      ({ put }) =>
        Effect.gen(function* () {
          yield* put(rs)
          for (const name of ["a-1", "a-2", "a-3"]) yield* put(pod(name, { owner: rs }))
          // Scaled up to 4 and at once down to 1 while a create was in flight: it lands over the new count, and is let be.
          yield* put({ ...rs, spec: { ...rs.spec!, replicas: 4 } })
          yield* put({ ...rs, spec: { ...rs.spec!, replicas: 1 } })
          yield* put(pod("a-4", { owner: rs }))
          // Long after, a creation over the count is the controller's.
          yield* Effect.sleep("41 seconds")
          yield* put(pod("a-5", { owner: rs }))
        }),
      ["replicaSetBounded"]
    )
    expect(found.map((v) => [v.time, v.message])).toEqual([
      [
        0,
        "replicaset rs: pod a-3 created while 2 of its pods were active, want at most 2 (replicas 2 + maxSurge share 0)"
      ],
      [
        41_000,
        "replicaset rs: pod a-5 created while 4 of its pods were active, want at most 1 (replicas 1 + maxSurge share 0)"
      ]
    ])
  })

  it("replicaSetBounded: a pod whose create was not acknowledged does not count; the Deployment's surge share does", () => {
    const d = deployment("web", { replicas: 2, maxSurge: 1 })
    const rs = replicaSet("web-a", 2, d)
    const found = violations(
      ({ put, world, invariants }) =>
        Effect.gen(function* () {
          yield* put(d)
          yield* put(rs)
          const create = (name: string, acknowledged: boolean) =>
            Effect.gen(function* () {
              yield* put(pod(name, { owner: rs }))
              yield* world.settled
              if (acknowledged)
                answer(invariants, "POST", "/api/v1/namespaces/default/pods", world.get("pod", "default", name), {
                  status: 201
                })
            })
          yield* create("a-1", true)
          yield* create("a-2", true)
          // Applied, but its answer was lost: the controller rightly makes another.
          yield* create("a-3", false)
          yield* create("a-4", true)
          yield* create("a-5", true)
        }),
      ["replicaSetBounded"]
    )
    expect(found.map((v) => v.message)).toEqual([
      "replicaset web-a: pod a-5 created while 3 of its pods were active, want at most 3 (replicas 2 + maxSurge share 1)"
    ])
  })

  it("endpointsReady: a pod listed as ready for longer than the settle time after it stopped being ready, or gone", () => {
    const service = (name: string, publishNotReadyAddresses = false): Service => ({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, namespace: "default", uid: `uid-service-${name}` },
      spec: {
        selector: { app: "web" },
        ports: [{ port: 80 }],
        ...(publishNotReadyAddresses ? { publishNotReadyAddresses } : {})
      }
    })
    const address = (name: string) => ({
      ip: "10.244.1.2",
      targetRef: { kind: "Pod", name, namespace: "default", uid: `uid-default-${name}` }
    })
    const endpoints = (
      name: string,
      ready: ReadonlyArray<string>,
      notReady: ReadonlyArray<string> = []
    ): Endpoints => ({
      apiVersion: "v1",
      kind: "Endpoints",
      metadata: { name, namespace: "default", uid: `uid-endpoints-${name}` },
      subsets: [{ addresses: ready.map(address), notReadyAddresses: notReady.map(address), ports: [{ port: 80 }] }]
    })
    const found = violations(
      ({ put, remove }) =>
        Effect.gen(function* () {
          yield* put(service("web"))
          yield* put(service("all", true))
          for (const name of ["a", "b"]) yield* put(pod(name, { node: "node-1", ready: true }))
          yield* put(endpoints("web", ["a", "b"]))
          yield* put(endpoints("all", ["a", "b"]))
          yield* until(1_000)
          yield* put(pod("b", { node: "node-1", ready: false }))
          yield* until(4_000)
          yield* put(node("node-1"))
          yield* until(7_000)
          yield* put(node("node-1"))
          yield* put(endpoints("web", ["a"], ["b"]))
          yield* remove(pod("a"))
          yield* until(13_000)
          yield* put(node("node-1"))
        }),
      ["endpointsReady"]
    )
    expect(found.map((v) => [v.time, v.message])).toEqual([
      [7_000, "endpoints web: lists pod b under addresses 6s after it stopped being ready"],
      [13_000, "endpoints web: lists gone pod (uid uid-default-a) under addresses 6s after it stopped being ready"]
    ])
  })

  it("endpointsReady: the controller-manager's watch lag widens the settle time, twice over", () => {
    const found = violations(
      ({ put, world, invariants }) =>
        Effect.gen(function* () {
          yield* put(pod("a", { node: "node-1", ready: true }))
          yield* put({
            apiVersion: "v1",
            kind: "Endpoints",
            metadata: { name: "web", namespace: "default", uid: "uid-endpoints-web" },
            subsets: [{ addresses: [{ ip: "10.244.1.2", targetRef: { kind: "Pod", uid: "uid-default-a" } }] }]
          } satisfies Endpoints)
          yield* until(1_000)
          yield* put(pod("a", { node: "node-1", ready: false }))
          yield* world.settled
          const unready = world.get("pod", "default", "a")
          // The controller-manager hears of it 4s late: 5s + 2 x 4s to act.
          yield* until(5_000)
          invariants.onWatchLine("controller-manager", request)({ type: "MODIFIED", object: unready })
          for (const t of [12_000, 15_000]) {
            yield* until(t)
            yield* put(node("node-1"))
          }
        }),
      ["endpointsReady"]
    )
    expect(found.map((v) => [v.time, v.message])).toEqual([
      [15_000, "endpoints web: lists pod a under addresses 14s after it stopped being ready"]
    ])
  })

  it("endpointsReady: while the controller-manager stops renewing its leader Lease, and as long again after, it is let be", () => {
    const leader = (t: number): Lease => ({
      ...lease("kube-controller-manager", t),
      metadata: { name: "kube-controller-manager", namespace: "kube-system", uid: "uid-lease-kcm" }
    })
    const found = violations(
      ({ put }) =>
        Effect.gen(function* () {
          yield* put(pod("a", { node: "node-1", ready: true }))
          yield* put({
            apiVersion: "v1",
            kind: "Endpoints",
            metadata: { name: "web", namespace: "default", uid: "uid-endpoints-web" },
            subsets: [{ addresses: [{ ip: "10.244.1.2", targetRef: { kind: "Pod", uid: "uid-default-a" } }] }]
          } satisfies Endpoints)
          // Renewals every 2s, none from 2s to 10s (the store was down): a became unready at 3s.
          for (let t = 0; t <= 24_000; t += 1_000) {
            yield* until(t)
            if (t % 2_000 === 0 && (t <= 2_000 || t >= 10_000)) yield* put(leader(t))
            if (t === 3_000) yield* put(pod("a", { node: "node-1", ready: false }))
            else yield* put(node("node-1"))
          }
        }),
      ["endpointsReady"]
    )
    // Held until 10s, then 7s more (the blackout since it knew), then the settle time.
    expect(found.map((v) => [v.time, v.message])).toEqual([
      [23_000, "endpoints web: lists pod a under addresses 20s after it stopped being ready"]
    ])
  })

  it("nodeMonitorGrace: Unknown before the grace period, heartbeats in flight and from a clock gone back, a taint while Ready", () => {
    const unreachable = [{ key: "node.kubernetes.io/unreachable", effect: "NoExecute" as const }]
    const found = violations(
      ({ put }) =>
        Effect.gen(function* () {
          const names = ["node-1", "node-2", "node-3", "node-4", "node-5"]
          for (const n of names) {
            yield* put(node(n))
            yield* put(lease(n, 0))
          }
          for (const t of [10_000, 20_000]) {
            yield* until(t)
            for (const n of ["node-1", "node-2", "node-3"]) yield* put(lease(n, t))
            // node-4's clock went back a minute: its renewals do not count as heartbeats.
            yield* put(lease("node-4", t - 60_000))
          }
          yield* until(45_000)
          yield* put(node("node-4", { ready: "Unknown" }))
          yield* until(50_000)
          yield* put(node("node-1", { ready: "Unknown" }))
          yield* until(60_500)
          yield* put(lease("node-3", 60_500))
          yield* until(61_000)
          yield* put(node("node-2", { ready: "Unknown" }))
          // node-3's heartbeat was on its way while the controller decided.
          yield* put(node("node-3", { ready: "Unknown" }))
          yield* put(node("node-2", { ready: "Unknown", taints: unreachable }))
          yield* put(node("node-5", { taints: unreachable }))
        }),
      ["nodeMonitorGrace"]
    )
    expect(found.map((v) => [v.time, v.message])).toEqual([
      [50_000, "node node-1: Ready set to Unknown 30s after its last heartbeat (nodeMonitorGracePeriod 40s)"],
      [61_000, "node node-5: tainted node.kubernetes.io/unreachable:NoExecute while Ready"]
    ])
  })

  it("nodeMonitorGrace: judged by the heartbeats the controller-manager received, when its watches are fed", () => {
    const found = violations(
      ({ put, invariants }) =>
        Effect.gen(function* () {
          const leases = invariants.onWatchLine("controller-manager", {
            ...request,
            path: "/apis/coordination.k8s.io/v1/leases"
          })
          for (const n of ["node-1", "node-2"]) {
            yield* put(node(n))
            yield* put(lease(n, 0))
            leases({ type: "ADDED", object: lease(n, 0) })
          }
          // node-1 renews until 30s; node-2 all along, but the controller-manager hears of it until 20s only.
          for (let t = 10_000; t <= 60_000; t += 10_000) {
            yield* until(t)
            if (t <= 30_000) yield* put(lease("node-1", t))
            if (t <= 30_000) leases({ type: "MODIFIED", object: lease("node-1", t) })
            yield* put(lease("node-2", t))
            if (t <= 20_000) leases({ type: "MODIFIED", object: lease("node-2", t) })
            if (t === 40_000) {
              yield* until(45_000)
              yield* put(node("node-1", { ready: "Unknown" }))
            }
          }
          yield* until(65_000)
          yield* put(node("node-2", { ready: "Unknown" }))
        }),
      ["nodeMonitorGrace"]
    )
    expect(found.map((v) => [v.time, v.message])).toEqual([
      [45_000, "node node-1: Ready set to Unknown 15s after its last heartbeat (nodeMonitorGracePeriod 40s)"]
    ])
  })

  it("quiet: an object written over and over at the end; heartbeats and Events do not count", () => {
    const beating = (t: number): Node => {
      const n = node("node-1")
      const conditions = n.status!.conditions!.map((c) => ({ ...c, lastHeartbeatTime: at(t) }))
      return { ...n, status: { ...n.status, conditions } }
    }
    const event = (t: number): KubeObject => ({
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: "loop.1", namespace: "default", uid: "uid-event" },
      ...{ involvedObject: { kind: "Pod", name: "loop", namespace: "default" }, reason: "BackOff", count: t }
    })
    const found = violations(
      ({ put, world, invariants }) =>
        Effect.gen(function* () {
          // Busy early on: long gone from the last minute by the end.
          for (let i = 0; i < 20; i++) yield* put(pod("early", { restarts: i }))
          for (let t = 1_000; t <= 90_000; t += 1_000) {
            yield* until(t)
            yield* put(beating(t))
            yield* put(lease("node-1", t))
            yield* put(event(t))
            if (t > 60_000) yield* put(pod("loop", { restarts: t / 1_000 }))
          }
          yield* world.settled
          invariants.atEnd({ containers: [] })
        }),
      ["quiet"]
    )
    expect(found.map((v) => v.message)).toEqual(["pod loop: written 30 times in the last 60s"])
  })

  it("a custom invariant sees events and responses; its violations carry its name", () => {
    const responses: Array<string> = []
    const noBadPods: CustomInvariant = {
      name: "noBadPods",
      make: (context) => ({
        onEvent: (event) => {
          if (event.kind === "Pod" && event.object.metadata.name === "bad")
            context.report(event.object.metadata.uid ?? "", `pod ${nameOf(event.object.metadata)} exists`)
        },
        onResponse: (component, request) => responses.push(`${component} ${request.method} ${request.path}`)
      })
    }
    const found = violations(
      ({ put, invariants }) =>
        Effect.gen(function* () {
          yield* put(pod("good"))
          yield* put(pod("bad"))
          answer(invariants, "DELETE", "/api/v1/namespaces/default/pods/bad", { kind: "Status" })
        }),
      [],
      { custom: [noBadPods] }
    )
    expect(found).toEqual([{ invariant: "noBadPods", time: 0, message: "pod bad exists" }])
    expect(responses).toEqual(["controller-manager DELETE /api/v1/namespaces/default/pods/bad"])
  })
})
