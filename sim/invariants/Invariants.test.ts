import { describe, expect, it } from "vitest"
import * as Effect from "effect/Effect"
import type { ApiRequest, WatchLine } from "../../core/apiserver/ApiRequest.js"
import { defaultStart } from "../clock/Simulation.js"
import { invariantNames, type InvariantName } from "../scenario/Scenario.js"
import { deployment, node, pod, replicaSet, setup, simulate } from "../scenario/WorldFixtures.js"
import type { Violation } from "./Invariant.js"
import * as Invariants from "./Invariants.js"

/** Runs `steps` against a fresh world checked by every invariant; answers the violations found. */
const violations = (
  steps: (
    w: Effect.Effect.Success<ReturnType<typeof setup>> & { readonly invariants: Invariants.Invariants }
  ) => Effect.Effect<void>,
  names: ReadonlyArray<InvariantName> = invariantNames
): ReadonlyArray<Violation> =>
  simulate(
    Effect.gen(function* () {
      const cluster = yield* setup()
      const clock = yield* Effect.clock
      const invariants = Invariants.make(names, cluster.world, {
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
