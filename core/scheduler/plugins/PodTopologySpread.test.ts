import { describe, expect, it } from "@effect/vitest"
import type { TopologySpreadConstraint } from "../../api/Pod.js"
import * as Plugin from "../framework/Plugin.js"
import * as Snapshot from "../framework/Snapshot.js"
import { cycleState, filterAll, node, nodeInfo, plugin, pod, scores } from "./Fixtures.js"
import * as PodTopologySpread from "./PodTopologySpread.js"

const spread = plugin(PodTopologySpread.make)
const web = (name: string, o: Parameters<typeof pod>[1] = {}) => pod(name, { labels: { app: "web" }, ...o })
const zone = (maxSkew: number, extra: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint => ({
  maxSkew,
  topologyKey: "zone",
  whenUnsatisfiable: "DoNotSchedule",
  labelSelector: { matchLabels: { app: "web" } },
  ...extra
})
const codes = (statuses: Record<string, Plugin.Status>) =>
  Object.fromEntries(Object.entries(statuses).map(([n, s]) => [n, s.code]))

describe("PodTopologySpread filter", () => {
  const a1 = nodeInfo(node("a1", { labels: { zone: "a" } }), [web("w1"), web("w2")])
  const a2 = nodeInfo(node("a2", { labels: { zone: "a" } }))
  const b1 = nodeInfo(node("b1", { labels: { zone: "b" } }))
  const unlabelled = nodeInfo(node("x"))

  it("keeps the skew within maxSkew and names the missing label", () => {
    const statuses = filterAll(spread, web("p", { spread: [zone(1)] }), [a1, a2, b1, unlabelled])
    expect(statuses.a1).toEqual(Plugin.unschedulable("node(s) didn't match pod topology spread constraints"))
    expect(statuses.a2.code).toBe("Unschedulable")
    expect(statuses.b1).toEqual(Plugin.success)
    expect(statuses.x).toEqual(
      Plugin.unresolvable("node(s) didn't match pod topology spread constraints (missing required label)")
    )
    expect(codes(filterAll(spread, web("p", { spread: [zone(2)] }), [a1, a2, b1]))).toEqual({
      a1: "Unschedulable",
      a2: "Unschedulable",
      b1: "Success"
    })
    expect(codes(filterAll(spread, web("p", { spread: [zone(3)] }), [a1, a2, b1]))).toEqual({
      a1: "Success",
      a2: "Success",
      b1: "Success"
    })
  })

  it("does not count itself when the selector does not select it, nor other namespaces or terminating pods", () => {
    expect(filterAll(spread, pod("p", { spread: [zone(2)] }), [a1, a2, b1]).a1).toEqual(Plugin.success)
    const other = nodeInfo(node("a1", { labels: { zone: "a" } }), [
      web("w1", { namespace: "other" }),
      { ...web("w2"), metadata: { ...web("w2").metadata, deletionTimestamp: "2024-01-01T00:00:00Z" } }
    ])
    expect(filterAll(spread, web("p", { spread: [zone(1)] }), [other, b1]).a1).toEqual(Plugin.success)
  })

  it("treats the global minimum as 0 with fewer domains than minDomains", () => {
    const [c1, d1] = [
      nodeInfo(node("c1", { labels: { zone: "c" } }), [web("w1")]),
      nodeInfo(node("d1", { labels: { zone: "d" } }), [web("w2")])
    ]
    expect(codes(filterAll(spread, web("p", { spread: [zone(1)] }), [c1, d1]))).toEqual({
      c1: "Success",
      d1: "Success"
    })
    expect(codes(filterAll(spread, web("p", { spread: [zone(1, { minDomains: 3 })] }), [c1, d1]))).toEqual({
      c1: "Unschedulable",
      d1: "Unschedulable"
    })
  })

  it("counts only nodes matching the pod's node affinity unless nodeAffinityPolicy is Ignore", () => {
    const inA = { nodeSelector: { zone: "a" } }
    expect(filterAll(spread, web("p", { ...inA, spread: [zone(1)] }), [a1, a2, b1]).a2).toEqual(Plugin.success)
    expect(
      filterAll(spread, web("p", { ...inA, spread: [zone(1, { nodeAffinityPolicy: "Ignore" })] }), [a1, a2, b1]).a2.code
    ).toBe("Unschedulable")
  })

  it("counts only untainted nodes when nodeTaintsPolicy is Honor", () => {
    const one = nodeInfo(node("a1", { labels: { zone: "a" } }), [web("w1")])
    const tainted = nodeInfo(node("t1", { labels: { zone: "t" }, taints: [{ key: "k", effect: "NoSchedule" }] }))
    // Ignore (default): the empty tainted zone t makes the minimum 0; Honor: only zone a counts.
    expect(filterAll(spread, web("p", { spread: [zone(1)] }), [one, tainted]).a1.code).toBe("Unschedulable")
    const honor = web("p", { spread: [zone(1, { nodeTaintsPolicy: "Honor" })] })
    expect(filterAll(spread, honor, [one, tainted]).a1).toEqual(Plugin.success)
  })

  it("skips pods without hard constraints", () => {
    expect(spread.preFilter!(cycleState(), web("p"), Snapshot.make([a1])).status).toEqual(Plugin.skip)
  })
})

describe("PodTopologySpread score", () => {
  const hostname: TopologySpreadConstraint = {
    maxSkew: 1,
    topologyKey: "kubernetes.io/hostname",
    whenUnsatisfiable: "ScheduleAnyway",
    labelSelector: { matchLabels: { app: "web" } }
  }
  const h1 = nodeInfo(node("h1"), [web("w1"), web("w2")])
  const h2 = nodeInfo(node("h2"))
  const h3 = nodeInfo(node("h3"), [web("w3")])

  it("prefers the domains with fewer matching pods", () => {
    expect(scores(spread, web("p", { spread: [hostname] }), [h1, h2, h3])).toEqual({ h1: 0, h2: 100, h3: 33 })
  })

  it("scores 0 the nodes lacking a topology label", () => {
    const byZone = { ...hostname, topologyKey: "zone" }
    const zoned = nodeInfo(node("z1", { labels: { zone: "a" } }), [web("w1")])
    const zoned2 = nodeInfo(node("z2", { labels: { zone: "b" } }))
    expect(scores(spread, web("p", { spread: [byZone] }), [zoned, zoned2, h2])).toEqual({ z1: 0, z2: 100, h2: 0 })
  })

  it("applies defaultConstraints to the pods of one controller", () => {
    const withDefaults = plugin(PodTopologySpread.make, {
      defaultConstraints: [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway" }]
    })
    const mine = (name: string) => pod(name, { owner: "rs-1" })
    const n1 = nodeInfo(node("n1"), [mine("m1"), pod("other", { owner: "rs-2" })])
    const n2 = nodeInfo(node("n2"), [pod("o2", { owner: "rs-2" }), pod("o3", { owner: "rs-2" })])
    expect(scores(withDefaults, mine("p"), [n1, n2])).toEqual({ n1: 0, n2: 100 })
    expect(withDefaults.preScore!(cycleState(), pod("orphan"), [n1, n2], Snapshot.make([n1, n2]))).toEqual(Plugin.skip)
  })

  it("rejects bad default constraints", () => {
    expect(() => plugin(PodTopologySpread.make, { defaultConstraints: [{ maxSkew: 0, topologyKey: "zone" }] })).toThrow(
      /maxSkew/
    )
  })
})
