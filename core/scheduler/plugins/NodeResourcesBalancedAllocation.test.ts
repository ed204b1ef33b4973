import { describe, expect, it } from "@effect/vitest"
import * as Plugin from "../framework/Plugin.js"
import * as Snapshot from "../framework/Snapshot.js"
import { cycleState, node, nodeInfo, plugin, pod, scores } from "./Fixtures.js"
import * as NodeResourcesBalancedAllocation from "./NodeResourcesBalancedAllocation.js"

describe("NodeResourcesBalancedAllocation", () => {
  const balanced = plugin(NodeResourcesBalancedAllocation.make)

  it("scores (1 - std of the utilisation fractions) * 100", () => {
    const n = nodeInfo(node("n", { cpu: "4", memory: "8Gi" }))
    // fractions 0.25 and 0.125: std 0.0625 → 93
    expect(scores(balanced, pod("p", { cpu: "1", memory: "1Gi" }), [n])).toEqual({ n: 93 })
  })

  it("prefers the node the pod balances", () => {
    const cpuBusy = nodeInfo(node("cpu-busy"), [pod("a", { cpu: "3", memory: "1Gi" })])
    const memoryBusy = nodeInfo(node("memory-busy"), [pod("b", { cpu: "1", memory: "6Gi" })])
    const s = scores(balanced, pod("p", { cpu: "2", memory: "512Mi" }), [cpuBusy, memoryBusy])
    expect(s["memory-busy"]).toBeGreaterThan(s["cpu-busy"])
  })

  it("skips best-effort pods (no requests)", () => {
    const n = nodeInfo(node("n"))
    expect(balanced.preScore!(cycleState(), pod("p"), [n], Snapshot.make([n]))).toEqual(Plugin.skip)
  })
})
