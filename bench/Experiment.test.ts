import { describe, expect, it } from "vitest"
import * as Experiment from "./Experiment.js"
import type { Arrival, Workload } from "./workloads/Workload.js"

const GiB = 2 ** 30

/** 4 nodes of 4 cores; 12 one-core pods of 60 s, 4 a second apart, then a 2-replica service and a batch of 3. */
const small: Workload = {
  name: "small",
  nodes: [{ name: "node", count: 4, cpu: 4000, memory: 16 * GiB }],
  arrivals: [
    ...Array.from({ length: 12 }, (_, i): Arrival => ({
      kind: "Pod",
      name: `p-${i}`,
      at: Math.floor(i / 4) * 1000,
      requests: { cpu: 1000, memory: GiB },
      duration: 60_000
    })),
    { kind: "Deployment", name: "svc", at: 5000, replicas: 2, lifetime: 30_000, requests: { cpu: 500, memory: GiB } },
    ...Array.from({ length: 3 }, (_, i): Arrival => ({
      kind: "Pod",
      name: `job-${i}`,
      at: 10_000,
      group: "job",
      requests: { cpu: 2000, memory: 2 * GiB },
      duration: 20_000 + i * 1000
    }))
  ]
}

describe("Experiment.run", () => {
  it("runs every arrival through the control plane and measures it", { timeout: 30_000 }, async () => {
    const { metrics, timing } = await Experiment.run(small, { profile: "most-allocated", seed: 1 })
    expect(metrics.pods).toMatchObject({ created: 17, bound: 17, running: 17, finished: 17, neverBound: 0 })
    // 12 + 2 + 6 cores asked of 16: some pods wait for others to finish, so some waited unschedulable.
    expect(metrics.pods.unschedulable).toBeGreaterThan(0)
    expect(metrics.waitBound.max).toBeGreaterThan(1)
    expect(metrics.jobCompletion.count).toBe(1)
    expect(metrics.jobCompletion.mean).toBeGreaterThanOrEqual(22)
    expect(metrics.makespan).toBeGreaterThanOrEqual(metrics.jobCompletion.max)
    expect(metrics.allocation.cpu!.peak).toBeLessThanOrEqual(1)
    expect(metrics.allocation.cpu!.peak).toBeGreaterThan(0.5)
    expect(metrics.series.length).toBeGreaterThan(10)
    expect(metrics.heatmap.nodes).toEqual(["node-1", "node-2", "node-3", "node-4"])
    expect(metrics.waitQuantiles).toHaveLength(101)
    expect(timing.throughput).toBeGreaterThan(0)
    expect(timing.extensionPoints.filter).toBeGreaterThan(0)
  })

  it("gives the same metrics for the same workload, profile and seed", { timeout: 30_000 }, async () => {
    const a = await Experiment.run(small, { profile: "random", seed: 3 })
    const b = await Experiment.run(small, { profile: "random", seed: 3 })
    expect(JSON.stringify(b.metrics)).toBe(JSON.stringify(a.metrics))
  })
})
