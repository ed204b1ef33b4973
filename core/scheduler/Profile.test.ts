import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Framework from "./framework/Framework.js"
import type { NodeInfo } from "./framework/NodeInfo.js"
import * as Plugin from "./framework/Plugin.js"
import * as Snapshot from "./framework/Snapshot.js"
import { bindTo, cycleState, node, nodeInfo, pod } from "./plugins/Fixtures.js"
import { byName, type Profile, profiles } from "./Profile.js"
import { defaultRegistry } from "./registry.js"

const handle: Plugin.Handle = { bind: () => Effect.succeed(Plugin.success) }

/** Schedules the pods one by one, binding each to its node as the cache would; returns node per pod. */
const run = (profile: Profile, nodes: ReadonlyArray<NodeInfo>, pods: ReadonlyArray<ReturnType<typeof pod>>) => {
  const framework = Either.getOrThrow(Framework.make(profile, defaultRegistry, handle))
  const snapshot = Snapshot.make(nodes)
  return pods.map((p, i) => {
    const state = cycleState(i + 1)
    const result = framework.schedule(state, p, snapshot)
    if (result._tag !== "Scheduled") return "-"
    bindTo(snapshot.get(result.nodeName)!, p)
    Effect.runSync(framework.reserve(state, p, result.nodeName))
    return result.nodeName
  })
}

const fourNodes = () => ["n0", "n1", "n2", "n3"].map((n) => nodeInfo(node(n, { cpu: "4", memory: "16Gi" })))
const pods = (n: number, o: Parameters<typeof pod>[1] = { cpu: "1", memory: "1Gi" }) =>
  Array.from({ length: n }, (_, i) => pod(`p${i}`, o))
const perNode = (placements: ReadonlyArray<string>) => {
  const counts: Record<string, number> = {}
  for (const n of placements) counts[n] = (counts[n] ?? 0) + 1
  return Object.values(counts).sort()
}

describe("profiles", () => {
  it("most-allocated packs pods onto as few nodes as possible", () => {
    expect(perNode(run(profiles["most-allocated"], fourNodes(), pods(8)))).toEqual([4, 4])
  })

  it("least-allocated and default spread them", () => {
    expect(perNode(run(profiles["least-allocated"], fourNodes(), pods(8)))).toEqual([2, 2, 2, 2])
    expect(perNode(run(profiles.default, fourNodes(), pods(8)))).toEqual([2, 2, 2, 2])
  })

  it("balanced evens out CPU against memory", () => {
    const [cpuBusy, memoryBusy] = [
      nodeInfo(node("cpu-busy", { cpu: "4", memory: "4Gi" }), [pod("a", { cpu: "2", memory: "256Mi" })]),
      nodeInfo(node("memory-busy", { cpu: "4", memory: "4Gi" }), [pod("b", { cpu: "250m", memory: "2Gi" })])
    ]
    expect(run(profiles.balanced, [cpuBusy, memoryBusy], [pod("p", { cpu: "1500m", memory: "128Mi" })])).toEqual([
      "memory-busy"
    ])
  })

  it("first-fit fills the first nodes in order", () => {
    expect(run(profiles["first-fit"], fourNodes(), pods(6))).toEqual(["n0", "n0", "n0", "n0", "n1", "n1"])
  })

  it("round-robin rotates over the nodes", () => {
    expect(run(profiles["round-robin"], fourNodes(), pods(6))).toEqual(["n0", "n1", "n2", "n3", "n0", "n1"])
  })

  it("spread spreads one workload over hosts where least-allocated would stack it", () => {
    const cluster = () => [
      nodeInfo(node("big", { cpu: "32", memory: "128Gi" })),
      ...["s1", "s2", "s3"].map((n) => nodeInfo(node(n, { cpu: "4", memory: "16Gi" })))
    ]
    const workload = pods(4, { cpu: "500m", memory: "512Mi", owner: "rs-1" })
    expect(perNode(run(profiles["least-allocated"], cluster(), workload))).toEqual([4])
    expect(perNode(run(profiles.spread, cluster(), workload))).toEqual([1, 1, 1, 1])
  })

  it("drf picks the node whose scarcest resource stays lowest", () => {
    const nodes = [
      nodeInfo(node("cpu-busy", { cpu: "4", memory: "8Gi" }), [pod("a", { cpu: "3", memory: "1Gi" })]),
      nodeInfo(node("memory-busy", { cpu: "4", memory: "8Gi" }), [pod("b", { cpu: "500m", memory: "5Gi" })])
    ]
    // cpu-busy: max(3.5/4, 2/8) = 0.875; memory-busy: max(1/4, 6/8) = 0.75
    expect(run(profiles.drf, nodes, [pod("p", { cpu: "500m", memory: "1Gi" })])).toEqual(["memory-busy"])
  })

  it("random spreads pods over every node", () => {
    expect(new Set(run(profiles.random, fourNodes(), pods(40, { cpu: "10m" }))).size).toBe(4)
  })

  it("are found by name or schedulerName", () => {
    expect(byName("default-scheduler")).toBe(profiles.default)
    expect(byName("default")).toBe(profiles.default)
    expect(byName("most-allocated")?.schedulerName).toBe("most-allocated")
    expect(byName("nope")).toBeUndefined()
  })
})
