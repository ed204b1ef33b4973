import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { Pod } from "../api/Pod.js"
import {
  compareForDeletion,
  deletionCost,
  podDeletionCostAnnotation,
  podsToDelete,
  rankByRelatedPodsOnSameNode
} from "./PodRanking.js"

const now = Date.parse("2024-01-01T12:00:00Z")
const at = (secondsAgo: number) => new Date(now - secondsAgo * 1000).toISOString().replace(".000Z", "Z")

interface Shape {
  readonly name: string
  readonly node?: string | undefined
  readonly phase?: string | undefined
  readonly readySecondsAgo?: number | undefined
  readonly createdSecondsAgo?: number | undefined
  readonly restarts?: number | undefined
  readonly cost?: string | undefined
}

const pod = (s: Shape): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: s.name,
    namespace: "default",
    uid: `uid-${s.name}`,
    ...(s.createdSecondsAgo === undefined ? {} : { creationTimestamp: at(s.createdSecondsAgo) }),
    ...(s.cost === undefined ? {} : { annotations: { [podDeletionCostAnnotation]: s.cost } })
  },
  spec: { containers: [{ name: "c", image: "i" }], ...(s.node === undefined ? {} : { nodeName: s.node }) },
  status: {
    phase: s.phase ?? "Running",
    conditions:
      s.readySecondsAgo === undefined
        ? [{ type: "Ready", status: "False" }]
        : [{ type: "Ready", status: "True", lastTransitionTime: at(s.readySecondsAgo) }],
    containerStatuses: [
      { name: "c", image: "i", ready: s.readySecondsAgo !== undefined, restartCount: s.restarts ?? 0 }
    ]
  }
})

const order = (pods: ReadonlyArray<Pod>, related: ReadonlyArray<Pod> = pods) =>
  [...rankByRelatedPodsOnSameNode(pods, related)].sort(compareForDeletion(now)).map((r) => r.pod.metadata.name)

describe("PodRanking", () => {
  it("unassigned before assigned", () => {
    expect(order([pod({ name: "a", node: "n1", readySecondsAgo: 10 }), pod({ name: "b", phase: "Pending" })])).toEqual([
      "b",
      "a"
    ])
  })

  it("Pending before Unknown before Running", () => {
    const pods = [
      pod({ name: "run", node: "n1" }),
      pod({ name: "unknown", node: "n2", phase: "Unknown" }),
      pod({ name: "pending", node: "n3", phase: "Pending" })
    ]
    expect(order(pods)).toEqual(["pending", "unknown", "run"])
  })

  it("not ready before ready", () => {
    expect(order([pod({ name: "r", node: "n1", readySecondsAgo: 5 }), pod({ name: "nr", node: "n2" })])).toEqual([
      "nr",
      "r"
    ])
  })

  it("lower deletion cost first; a bad cost counts as 0", () => {
    const pods = [
      pod({ name: "high", node: "n1", readySecondsAgo: 5, cost: "100" }),
      pod({ name: "low", node: "n2", readySecondsAgo: 5, cost: "-5" }),
      pod({ name: "bad", node: "n3", readySecondsAgo: 5, cost: "1.5" })
    ]
    expect(order(pods)).toEqual(["low", "bad", "high"])
    expect(deletionCost(pod({ name: "x", cost: "99999999999" }))).toBe(0)
  })

  it("doubled-up pods first: more related pods on the node", () => {
    const pods = [
      pod({ name: "alone", node: "n1", readySecondsAgo: 100 }),
      pod({ name: "crowded", node: "n2", readySecondsAgo: 100 }),
      pod({ name: "sibling", node: "n2", readySecondsAgo: 100 })
    ]
    expect(order(pods.slice(0, 2), pods)).toEqual(["crowded", "alone"])
  })

  it("ready for less time first, then more restarts, then newer", () => {
    expect(
      order([
        pod({ name: "old", node: "n1", readySecondsAgo: 3600 }),
        pod({ name: "new", node: "n2", readySecondsAgo: 10 })
      ])
    ).toEqual(["new", "old"])
    expect(
      order([pod({ name: "calm", node: "n1", restarts: 0 }), pod({ name: "crashy", node: "n2", restarts: 3 })])
    ).toEqual(["crashy", "calm"])
    expect(
      order([
        pod({ name: "older", node: "n1", createdSecondsAgo: 7200 }),
        pod({ name: "newer", node: "n2", createdSecondsAgo: 60 }),
        pod({ name: "unknown", node: "n3" })
      ])
    ).toEqual(["unknown", "newer", "older"])
  })

  it("ages in the same logarithmic bucket tie, broken by uid", () => {
    // 100 s and 101 s ago fall in the same power-of-two bucket of nanoseconds.
    const pods = [
      pod({ name: "b", node: "n1", createdSecondsAgo: 100 }),
      pod({ name: "a", node: "n2", createdSecondsAgo: 101 })
    ]
    expect(order(pods)).toEqual(["a", "b"])
  })

  it("podsToDelete takes the first of the ranking, or all of them", () => {
    const pods = [
      pod({ name: "r1", node: "n1", readySecondsAgo: 50 }),
      pod({ name: "nr", node: "n2" }),
      pod({ name: "un", phase: "Pending" })
    ]
    expect(podsToDelete(pods, pods, 2, now).map((p) => p.metadata.name)).toEqual(["un", "nr"])
    expect(podsToDelete(pods, pods, 3, now)).toBe(pods)
  })

  it("is a consistent ordering (property)", () => {
    const shape = fc.record({
      node: fc.option(fc.constantFrom("n1", "n2", "n3"), { nil: undefined }),
      phase: fc.constantFrom("Pending", "Unknown", "Running"),
      readySecondsAgo: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: undefined }),
      createdSecondsAgo: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: undefined }),
      restarts: fc.integer({ min: 0, max: 3 }),
      cost: fc.option(fc.constantFrom("-1", "0", "7"), { nil: undefined })
    })
    fc.assert(
      fc.property(fc.array(shape, { minLength: 1, maxLength: 12 }), (shapes) => {
        const pods = shapes.map((s, i) => pod({ ...s, name: `p${i}` }))
        const ranked = rankByRelatedPodsOnSameNode(pods, pods)
        const cmp = compareForDeletion(now)
        for (const a of ranked) {
          expect(cmp(a, a)).toBe(0)
          for (const b of ranked) expect(Math.sign(cmp(a, b)) + Math.sign(cmp(b, a))).toBe(0)
        }
      }),
      { seed: 42, numRuns: 200 }
    )
  })
})
