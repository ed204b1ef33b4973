import { describe, expect, it } from "vitest"
import * as Effect from "effect/Effect"
import { type CheckResult, evaluate } from "./Checks.js"
import type { Check, ObjectRef } from "./Scenario.js"
import { deployment, node, pod, replicaSet, setup, simulate } from "./WorldFixtures.js"

const ref = (kind: string, name: string, namespace = "default"): ObjectRef => ({ kind, namespace, name })

/** Evaluates each check against one small cluster. */
const evaluateAll = (checks: ReadonlyArray<Check>): ReadonlyArray<CheckResult> =>
  simulate(
    Effect.gen(function* () {
      const { world, put } = yield* setup()
      yield* put(node("node-1"))
      yield* put(node("node-2", { ready: "Unknown", unschedulable: true }))
      yield* put(deployment("web", { status: { replicas: 3, readyReplicas: 2, observedGeneration: 1 } }))
      yield* put(replicaSet("web-abc", 3))
      yield* put(pod("web-a", { labels: { app: "web" }, node: "node-1", ready: true, restarts: 2 }))
      yield* put(pod("web-b", { labels: { app: "web" }, node: "node-1", ready: false, image: "nginx:1.28" }))
      yield* put(pod("web-c", { labels: { app: "web" }, unschedulable: true }))
      yield* put(pod("db", { labels: { app: "db" }, node: "node-2", ready: true, deleting: true }))
      yield* put(pod("done", { labels: { app: "job" }, node: "node-1", phase: "Succeeded" }))
      yield* put(pod("web-x", { namespace: "team", labels: { app: "web" }, node: "node-1", ready: true }))
      yield* world.settled
      return checks.map((check) => evaluate(check, world))
    })
  )

const one = (check: Check) => evaluateAll([check])[0]
const object = (kind: string, name: string, fields: Record<string, string | number | boolean>): Check => ({
  _tag: "object",
  ref: ref(kind, name),
  fields
})

describe("checks", () => {
  it("deployment and replicaset fields: status counts (missing = 0) and specReplicas (default 1)", () => {
    expect(one(object("deployment", "web", { replicas: 3, observedGeneration: 1, specReplicas: 1 }))).toEqual({
      ok: true,
      message: "observedGeneration 1, replicas 3, specReplicas 1"
    })
    expect(one(object("deployment", "web", { readyReplicas: 3 }))).toEqual({
      ok: false,
      message: "readyReplicas 2, want 3"
    })
    expect(one(object("deployment", "web", { availableReplicas: 0, updatedReplicas: 3 }))).toEqual({
      ok: false,
      message: "updatedReplicas 0, want 3"
    })
    expect(one(object("replicaset", "web-abc", { specReplicas: 3, readyReplicas: 0 })).ok).toBe(true)
    expect(one(object("deployment", "api", { readyReplicas: 1 }))).toEqual({
      ok: false,
      message: "deployment api not found"
    })
  })

  it("pod fields: phase, node, ready, restarts", () => {
    expect(one(object("pod", "web-a", { phase: "Running", node: "node-1", ready: true, restarts: 2 })).ok).toBe(true)
    expect(one(object("pod", "web-c", { phase: "Running", node: "node-1" }))).toEqual({
      ok: false,
      message: "node <none>, want node-1; phase Pending, want Running"
    })
    expect(one(object("pod", "web-9", { phase: "Running" }))).toEqual({ ok: false, message: "pod web-9 not found" })
    expect(one({ _tag: "object", ref: ref("pod", "web-x", "team"), fields: { ready: true } }).ok).toBe(true)
  })

  it("node fields: ready (Ready is True), unschedulable, pods bound and not terminated", () => {
    expect(one(object("node", "node-1", { ready: true, unschedulable: false, pods: 3 })).ok).toBe(true)
    expect(one(object("node", "node-2", { ready: true }))).toEqual({
      ok: false,
      message: "node node-2 ready false, want true"
    })
    // The terminating pod still holds its place on the node.
    expect(one(object("node", "node-2", { ready: false, unschedulable: true, pods: 1 })).ok).toBe(true)
  })

  it("pods: every filter, in every namespace, terminating pods counted", () => {
    const results = evaluateAll([
      { _tag: "pods", selector: "app=web", count: 4 },
      { _tag: "pods", selector: "app=web", phase: "Running", ready: true, count: 2 },
      { _tag: "pods", selector: "app=web", onNode: "node-1", notOnNode: "node-2", count: 3 },
      { _tag: "pods", image: "nginx:1.28", count: 1 },
      { _tag: "pods", selector: "app in (db,job)", count: 2 },
      { _tag: "pods", phase: "Succeeded" },
      { _tag: "pods", selector: "app=web", min: 2, max: 4 }
    ])
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true, true, true, true])
    expect(results[0].message).toBe("4 pods match")
  })

  it("pods: a count that does not hold names the pods it saw", () => {
    expect(one({ _tag: "pods", selector: "app=web", count: 2 })).toEqual({
      ok: false,
      message: "4 pods match, want 2 (web-a on node-1, web-b on node-1, web-c unbound …)"
    })
    expect(one({ _tag: "pods", selector: "app=api" })).toEqual({ ok: false, message: "0 pods match, want at least 1" })
    expect(one({ _tag: "pods", selector: "app=web", max: 1 }).message).toBe(
      "4 pods match, want at most 1 (web-a on node-1, web-b on node-1, web-c unbound …)"
    )
    expect(one({ _tag: "pods", selector: "app=db", min: 2 }).message).toBe(
      "1 pod matches, want at least 2 (db on node-2)"
    )
    expect(one({ _tag: "pods", selector: "app=db", ready: true, min: 2, max: 3 }).message).toBe(
      "1 pod matches, want 2 to 3 (db on node-2)"
    )
  })

  it("unschedulable: pending pods whose PodScheduled condition says Unschedulable", () => {
    expect(one({ _tag: "unschedulable", count: 1 })).toEqual({ ok: true, message: "1 pod unschedulable" })
    expect(one({ _tag: "unschedulable", count: 0 })).toEqual({
      ok: false,
      message: "1 pod unschedulable, want 0 (web-c)"
    })
  })

  it("exists and absent: a terminating object is still there", () => {
    const results = evaluateAll([
      { _tag: "exists", ref: ref("deployment", "web") },
      { _tag: "exists", ref: ref("deployment", "api") },
      { _tag: "absent", ref: ref("deployment", "api") },
      { _tag: "absent", ref: ref("pod", "db") },
      { _tag: "exists", ref: ref("node", "node-1") }
    ])
    expect(results).toEqual([
      { ok: true, message: "deployment web exists" },
      { ok: false, message: "deployment api not found" },
      { ok: true, message: "deployment api absent" },
      { ok: false, message: "pod db exists (terminating)" },
      { ok: true, message: "node node-1 exists" }
    ])
  })
})
