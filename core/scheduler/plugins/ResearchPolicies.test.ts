import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Plugin from "../framework/Plugin.js"
import * as DominantResourceFairness from "./DominantResourceFairness.js"
import * as FirstFit from "./FirstFit.js"
import { cycleState, node, nodeInfo, plugin, pod, scores } from "./Fixtures.js"
import * as Random from "./Random.js"
import * as RoundRobin from "./RoundRobin.js"

const nodes = ["n0", "n1", "n2", "n3"].map((n) => nodeInfo(node(n)))

const best = (s: Record<string, number>) => Object.entries(s).sort((a, b) => b[1] - a[1])[0][0]

describe("Random", () => {
  it("scores uniformly from the cycle's seeded random numbers", () => {
    const random = plugin(Random.make)
    const a = scores(random, pod("p"), nodes, cycleState(1))
    expect(scores(random, pod("p"), nodes, cycleState(1))).toEqual(a)
    expect(scores(random, pod("p"), nodes, cycleState(2))).not.toEqual(a)
    for (const v of Object.values(a)) expect(v >= 0 && v < Plugin.maxNodeScore).toBe(true)
  })
})

describe("FirstFit", () => {
  it("scores by position in node order, the first highest", () => {
    const s = scores(plugin(FirstFit.make), pod("p"), nodes)
    expect(s).toEqual({ n0: 100, n1: 75, n2: 50, n3: 25 })
  })
})

describe("RoundRobin", () => {
  it.effect("moves to the next node after the one last reserved", () =>
    Effect.gen(function* () {
      const rr = plugin(RoundRobin.make)
      const chosen: Array<string> = []
      for (let i = 0; i < 6; i++) {
        const state = cycleState(i)
        const name = best(scores(rr, pod("p"), nodes, state))
        chosen.push(name)
        yield* rr.reserve!(state, pod("p"), name)
      }
      expect(chosen).toEqual(["n0", "n1", "n2", "n3", "n0", "n1"])
    })
  )
})

describe("DominantResourceFairness", () => {
  it("scores 100 * (1 - the node's dominant share after placement)", () => {
    const drf = plugin(DominantResourceFairness.make)
    const empty = nodeInfo(node("empty", { cpu: "4", memory: "8Gi" }))
    const cpuBusy = nodeInfo(node("cpu-busy", { cpu: "4", memory: "8Gi" }), [pod("a", { cpu: "2", memory: "1Mi" })])
    // empty: max(1/4, 4/8) = 0.5; cpu-busy: max(3/4, ~4/8) = 0.75
    expect(scores(drf, pod("p", { cpu: "1", memory: "4Gi" }), [empty, cpuBusy])).toEqual({ empty: 50, "cpu-busy": 25 })
  })
})
