/**
 * The sanity check of the metrics, on a fixed seed: under a heavy-tailed workload, bin
 * packing (most-allocated) uses fewer nodes and strands less free capacity behind waiting pods than
 * spreading (least-allocated), spreading balances utilisation best, and random placement strands
 * more than bin packing. Orderings only, never absolute numbers.
 */
import * as Either from "effect/Either"
import { describe, expect, it } from "vitest"
import * as Experiment from "./Experiment.js"
import type { RunMetrics } from "./metrics/Metrics.js"
import { generate } from "./workloads/Generators.js"

// 10 nodes of 8 cores, 400 pods over 10 minutes, sizes log-normal (median 1 core, p99 16 clamped to a node).
const spec = "heavy-tailed:nodes=10,cpu=8,memory=32,pods=400,span=10m"

describe("profiles on a heavy-tailed workload (seed 1)", () => {
  it("order as bin packing, spreading and random placement should", { timeout: 120_000 }, async () => {
    const workload = Either.getOrThrow(generate(spec, 1))
    const metrics: Record<string, RunMetrics> = {}
    for (const profile of ["least-allocated", "most-allocated", "random"])
      metrics[profile] = (await Experiment.run(workload, { profile, seed: 1 })).metrics
    const least = metrics["least-allocated"]!
    const most = metrics["most-allocated"]!
    const random = metrics["random"]!
    for (const m of [least, most, random]) expect(m.pods.created).toBe(400)
    expect(most.nodesInUse.mean).toBeLessThan(least.nodesInUse.mean)
    expect(most.fragmentation.mean).toBeLessThan(least.fragmentation.mean)
    expect(least.balance.mean).toBeLessThan(most.balance.mean)
    expect(least.balance.mean).toBeLessThan(random.balance.mean)
    expect(random.fragmentation.mean).toBeGreaterThan(most.fragmentation.mean)
  })
})
