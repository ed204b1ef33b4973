import { describe, expect, it } from "vitest"
import * as Effect from "effect/Effect"
import type { KubeObject } from "../../core/api/meta.js"
import type { Pod } from "../../core/api/Pod.js"
import { deployment, node, pod, replicaSet, setup, simulate } from "../scenario/WorldFixtures.js"
import * as Differential from "./Differential.js"

const web = (ready: number) => deployment("web", { replicas: 2, status: { replicas: 2, readyReplicas: ready } })
const rs = replicaSet("web-a", 2, web(2))

/** A pod of web-a as its ReplicaSet names it: `web-a-` and a random suffix. */
const generated = (suffix: string, phase?: string): Pod => {
  const p = pod(`web-a-${suffix}`, { owner: rs, node: "node-1", ...(phase === undefined ? {} : { phase }) })
  return { ...p, metadata: { ...p.metadata, generateName: "web-a-" } }
}

const event: KubeObject = { apiVersion: "v1", kind: "Event", metadata: { name: "solo.1", namespace: "default" } }

/** One run of the workload; `faulty` adds what faults would. */
const fingerprint = (faulty: boolean, nodeFails = false, staysDown = false): Differential.Fingerprint =>
  simulate(
    Effect.gen(function* () {
      const { world, put, remove } = yield* setup()
      yield* put(node("node-1"))
      const recorder = Differential.record(world, () => 0)
      yield* put(web(faulty ? 1 : 2))
      yield* put(rs)
      yield* put(generated("x1"))
      yield* put(generated("x2"))
      yield* put(pod("solo", { node: "node-1" }))
      if (nodeFails) {
        yield* put(node("node-1", { ready: false }))
        if (!staysDown) yield* put(node("node-1"))
      }
      if (faulty) {
        // A node fault: a pod failed and was replaced (not compared), the bare pod made again, an Event.
        yield* put(generated("x2", "Failed"))
        yield* put(generated("x3"))
        yield* remove(pod("solo"))
        yield* put(pod("solo", { node: "node-1" }))
        yield* put(event)
      } else yield* put(pod("api", { node: "node-1" }))
      yield* world.settled
      return recorder.fingerprint()
    })
  )

describe("the differential oracle", () => {
  it("fingerprints live objects, replica counts and the creates and deletes of fixed-name objects", () => {
    expect(fingerprint(false)).toEqual({
      live: {
        "deployment default/web": 1,
        "node node-1": 1,
        "pod default/api": 1,
        "pod default/solo": 1,
        "pod default/web-a-*": 2,
        "replicaset default/web-a": 1
      },
      replicas: {
        "deployment default/web": { spec: 2, status: 2, ready: 2 },
        "replicaset default/web-a": { spec: 2, status: 0, ready: 0 }
      },
      lifecycle: {
        "deployment default/web": { created: 1, deleted: 0 },
        "pod default/api": { created: 1, deleted: 0 },
        "pod default/solo": { created: 1, deleted: 0 },
        "replicaset default/web-a": { created: 1, deleted: 0 }
      },
      barePods: { "pod default/api": "node-1", "pod default/solo": "node-1" },
      failedNodes: [],
      missingNodes: {},
      nodeDownAtEnd: false,
      controllers: {
        "pod default/web-a-*": "replicaset default/web-a",
        "replicaset default/web-a": "deployment default/web"
      },
      podNodes: { "replicaset default/web-a": ["node-1"] },
      met: {}
    })
  })

  it("lists the differences of a faulty run, one line each; replaced pods of a ReplicaSet are not one", () => {
    const baseline = fingerprint(false)
    expect(Differential.compare(baseline, baseline)).toEqual([])
    expect(Differential.compare(fingerprint(true), baseline)).toEqual([
      "deployment default/web: readyReplicas 1, 2 without faults",
      "pod default/api: 0 live, 1 without faults",
      "pod default/api: created 0 times, once without faults",
      "pod default/solo: created 2 times, once without faults",
      "pod default/solo: deleted once, 0 times without faults"
    ])
  })

  it("leaves out bare pods on a node that was not Ready, and the ready counts of workloads with pods there: evictions race the node's return", () => {
    const lines = Differential.compare(fingerprint(true, true), fingerprint(false))
    expect(lines.filter((line) => line.includes("solo"))).toEqual([])
    expect(lines.filter((line) => line.includes("api"))).toEqual([])
    expect(lines.filter((line) => line.includes("readyReplicas"))).toEqual([])
    // A node still down at the end strands pods where the scheduler had put them: ready counts are not compared.
    const down = Differential.compare(fingerprint(true, true, true), fingerprint(false))
    expect(down.filter((line) => line.includes("readyReplicas"))).toEqual([])
  })

  it("does not count the making of an object whose controller is gone at the end: whether it came first is timing", () => {
    const baseline: Differential.Fingerprint = {
      live: {},
      replicas: {},
      lifecycle: {
        "deployment default/bg": { created: 1, deleted: 1 },
        "replicaset default/bg-1": { created: 1, deleted: 1 }
      },
      barePods: {},
      failedNodes: [],
      missingNodes: {},
      nodeDownAtEnd: false,
      controllers: { "replicaset default/bg-1": "deployment default/bg" },
      podNodes: {},
      met: {}
    }
    // The controller-manager was cut off until after the Deployment was deleted: it never made the ReplicaSet.
    const faulty = { ...baseline, lifecycle: { "deployment default/bg": { created: 1, deleted: 1 } }, controllers: {} }
    expect(Differential.compare(faulty, baseline)).toEqual([])
    const kept = { "deployment default/bg": 1 }
    expect(Differential.compare({ ...faulty, live: kept }, { ...baseline, live: kept })).toEqual([
      "replicaset default/bg-1: created 0 times, once without faults",
      "replicaset default/bg-1: deleted 0 times, once without faults"
    ])
  })

  it("does not compare an object the scenario's actions met in another state, nor what it controls: the runs asked for different things", () => {
    // Deleted with Orphan at step 2; without faults the garbage collector removed it, so step 3's apply made a new
    // one, which adopted the orphaned ReplicaSet. With the controller-manager cut off, step 3 found it still
    // terminating and updated it; it went once the finalizer was removed, leaving the ReplicaSet on its own.
    const base = (live: Record<string, number>, met: ReadonlyArray<string>): Differential.Fingerprint => ({
      live,
      replicas: {},
      lifecycle: { "deployment default/orphan": { created: met[1] === "3 absent" ? 2 : 1, deleted: 1 } },
      barePods: {},
      failedNodes: [],
      missingNodes: {},
      nodeDownAtEnd: false,
      controllers: {
        "replicaset default/orphan-1": "deployment default/orphan",
        "pod default/orphan-1-*": "replicaset default/orphan-1"
      },
      podNodes: {},
      met: { "deployment default/orphan": met, "deployment default/web": ["4 live"] }
    })
    const baseline = base(
      { "deployment default/orphan": 1, "replicaset default/orphan-1": 1, "pod default/orphan-1-*": 2 },
      ["2 live", "3 absent"]
    )
    const faulty = base({ "replicaset default/orphan-1": 1, "pod default/orphan-1-*": 2 }, ["2 live", "3 terminating"])
    expect(Differential.compare(faulty, baseline)).toEqual([])
    // Met alike, the same difference is one.
    expect(Differential.compare({ ...faulty, met: baseline.met }, baseline)).toEqual([
      "deployment default/orphan: 0 live, 1 without faults",
      "deployment default/orphan: created once, 2 times without faults"
    ])
  })

  it("leaves out a bare pod on a node missing for PodGC's quarantine or longer, but not on one missing for less", () => {
    // node-2 registers at `registersAt` (simulated ms); pinned-2 is bound to it from the start.
    const run = (registersAt: number, deleted: boolean): Differential.Fingerprint =>
      simulate(
        Effect.gen(function* () {
          const { world, put } = yield* setup()
          let now = 0
          const recorder = Differential.record(world, () => now)
          yield* put(pod("pinned-2", { node: "node-2" }))
          now = registersAt
          yield* put(node("node-2"))
          if (deleted) yield* put(pod("pinned-2", { node: "node-2", phase: "Failed" }))
          yield* world.settled
          now = 300_000
          return recorder.fingerprint()
        })
      )
    const baseline = run(0, false)
    expect(baseline.missingNodes).toEqual({})
    // Missing 41 s: PodGC deletes the pod if a pass finds the node still missing once its 40 s quarantine is over.
    const late = run(41_000, true)
    expect(late.missingNodes).toEqual({ "node-2": 41_000 })
    expect(Differential.compare(late, baseline)).toEqual([])
    // Missing 15 s: no correct PodGC deletes the pod (known bug podGcNoQuarantine does).
    const early = run(15_000, true)
    expect(early.missingNodes).toEqual({ "node-2": 15_000 })
    expect(Differential.compare(early, baseline)).toEqual(["pod default/pinned-2: 0 live, 1 without faults"])
    // A node never registered is missing until the end.
    const never = simulate(
      Effect.gen(function* () {
        const { world, put } = yield* setup()
        let now = 0
        const recorder = Differential.record(world, () => now)
        yield* put(pod("pinned-9", { node: "node-9" }))
        yield* world.settled
        now = 90_000
        return recorder.fingerprint()
      })
    )
    expect(never.missingNodes).toEqual({ "node-9": 90_000 })
  })
})
