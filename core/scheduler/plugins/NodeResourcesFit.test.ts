import { describe, expect, it } from "@effect/vitest"
import * as Plugin from "../framework/Plugin.js"
import { bindTo, filter, node, nodeInfo, plugin, pod, scores } from "./Fixtures.js"
import * as NodeResourcesFit from "./NodeResourcesFit.js"

const fit = (args: Readonly<Record<string, unknown>> = {}) => plugin(NodeResourcesFit.make, args)

describe("NodeResourcesFit filter", () => {
  it("admits a pod that fits and names each insufficient resource otherwise", () => {
    const busy = nodeInfo(node("n1", { cpu: "4", memory: "8Gi" }), [pod("a", { cpu: "2", memory: "4Gi" })])
    expect(filter(fit(), pod("p", { cpu: "2", memory: "4Gi" }), [busy])).toEqual(Plugin.success)
    expect(filter(fit(), pod("p", { cpu: "3" }), [busy])).toEqual(Plugin.unschedulable("Insufficient cpu"))
    expect(filter(fit(), pod("p", { cpu: "3", memory: "5Gi" }), [busy]).reasons).toEqual([
      "Insufficient cpu",
      "Insufficient memory"
    ])
    expect(filter(fit(), pod("p", { requests: { "ephemeral-storage": "1Gi" } }), [busy]).reasons).toEqual([
      "Insufficient ephemeral-storage"
    ])
  })

  it("counts pods against allocatable pods, even for pods without requests", () => {
    const full = nodeInfo(node("n1", { pods: 1 }), [pod("a")])
    expect(filter(fit(), pod("p"), [full])).toEqual(Plugin.unschedulable("Too many pods"))
    expect(filter(fit(), pod("p", { cpu: "8" }), [full]).reasons).toEqual(["Too many pods", "Insufficient cpu"])
  })

  it("checks extended resources unless ignored", () => {
    const plain = nodeInfo(node("n1"))
    const gpu = nodeInfo(node("n2", { resources: { "example.com/gpu": "2" } }), [
      pod("a", { requests: { "example.com/gpu": "1" } })
    ])
    const wants = (n: number) => pod("p", { requests: { "example.com/gpu": String(n) } })
    expect(filter(fit(), wants(1), [plain])).toEqual(Plugin.unschedulable("Insufficient example.com/gpu"))
    expect(filter(fit(), wants(1), [gpu])).toEqual(Plugin.success)
    expect(filter(fit(), wants(2), [gpu]).reasons).toEqual(["Insufficient example.com/gpu"])
    expect(filter(fit({ ignoredResources: ["example.com/gpu"] }), wants(1), [plain])).toEqual(Plugin.success)
    expect(filter(fit({ ignoredResourceGroups: ["example.com"] }), wants(1), [plain])).toEqual(Plugin.success)
  })

  it("registers the events that can free room", () => {
    expect(fit().events).toContainEqual({ resource: "Pod", action: "Delete" })
    expect(fit().events).toContainEqual({ resource: "Node", action: "Add" })
  })
})

describe("NodeResourcesFit score", () => {
  const empty = nodeInfo(node("empty", { cpu: "4", memory: "8Gi" }))
  const half = nodeInfo(node("half", { cpu: "4", memory: "8Gi" }), [pod("a", { cpu: "2", memory: "4Gi" })])
  const p = pod("p", { cpu: "1", memory: "2Gi" })

  it("LeastAllocated (default) prefers free room: (allocatable - requested) / allocatable", () => {
    expect(scores(fit(), p, [empty, half])).toEqual({ empty: 75, half: 25 })
  })

  it("MostAllocated prefers full nodes, by `strategy` or `scoringStrategy`", () => {
    expect(scores(fit({ strategy: "MostAllocated" }), p, [empty, half])).toEqual({ empty: 25, half: 75 })
    expect(scores(fit({ scoringStrategy: { type: "MostAllocated" } }), p, [empty, half])).toEqual({
      empty: 25,
      half: 75
    })
  })

  it("counts a pod without requests as 100m CPU and 200Mi memory", () => {
    // cpu (4000 - 100) * 100 / 4000 = 97, memory (8192 - 200) * 100 / 8192 = 97
    expect(scores(fit(), pod("p"), [empty])).toEqual({ empty: 97 })
  })

  it("weights resources", () => {
    const cpuHeavy = nodeInfo(node("c", { cpu: "4", memory: "8Gi" }), [pod("a", { cpu: "3" })])
    const args = {
      scoringStrategy: {
        type: "LeastAllocated",
        resources: [
          { name: "cpu", weight: 3 },
          { name: "memory", weight: 1 }
        ]
      }
    }
    // cpu (4000 - 4000) → 0 * 3, memory (8192 - 2048 - 200) → 72 * 1: 72 / 4 = 18
    expect(scores(fit(args), p, [cpuHeavy])).toEqual({ c: 18 })
  })

  it("RequestedToCapacityRatio follows the shape", () => {
    const binPacking = {
      scoringStrategy: {
        type: "RequestedToCapacityRatio",
        requestedToCapacityRatio: {
          shape: [
            { utilization: 0, score: 0 },
            { utilization: 100, score: 10 }
          ]
        }
      }
    }
    expect(scores(fit(binPacking), p, [empty, half])).toEqual({ empty: 25, half: 75 })
    expect(scores(fit({ strategy: "RequestedToCapacityRatio" }), p, [empty, half])).toEqual({ empty: 75, half: 25 })
  })

  it("rejects bad arguments with the plugin and key named", () => {
    expect(() => fit({ strategy: "Fastest" })).toThrow(/NodeResourcesFit.*Fastest/)
    expect(() => fit({ typo: 1 })).toThrow(/unknown argument "typo"/)
    expect(() => fit({ scoringStrategy: { type: "LeastAllocated", resources: [{ name: "cpu", weight: 0 }] } })).toThrow(
      /weight/
    )
    expect(() =>
      fit({
        scoringStrategy: {
          type: "RequestedToCapacityRatio",
          requestedToCapacityRatio: {
            shape: [
              { utilization: 50, score: 1 },
              { utilization: 10, score: 2 }
            ]
          }
        }
      })
    ).toThrow(/increase/)
  })

  it("sees a pod bound since the NodeInfo was built", () => {
    const n = nodeInfo(node("n"))
    const before = scores(fit(), p, [n]).n
    bindTo(n, pod("b", { cpu: "2" }))
    expect(scores(fit(), p, [n]).n).toBeLessThan(before)
  })
})
