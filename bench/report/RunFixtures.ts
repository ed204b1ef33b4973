/**
 * Hand-built RunResults for the report's tests: three profiles × two seeds on eight nodes, with
 * series that differ by profile (most-allocated packs, least-allocated spreads, random in between),
 * so the plots have something to show without running a simulation.
 */
import { type ClusterSample, type RunResult, stats } from "../metrics/Metrics.js"

const nodes = Array.from({ length: 8 }, (_, i) => `node-${i + 1}`)

/** How tightly each profile packs: 1 fills the first nodes, 0 spreads evenly. */
const packing: Readonly<Record<string, number>> = { "least-allocated": 0, "most-allocated": 1, random: 0.5 }

/** One run: arrivals ramp up to 600 s and drain by 900 s; `seed` shifts every figure a little. */
export const runResult = (profile: string, seed: number, options: { readonly batch?: boolean } = {}): RunResult => {
  const pack = packing[profile] ?? 0.5
  const jitter = 1 + (seed % 7) / 50
  const t = Array.from({ length: 91 }, (_, i) => i * 10)
  const load = (s: number) => (s <= 600 ? s / 600 : Math.max(0, (900 - s) / 300)) * 0.8
  const heat = t.map((s) =>
    nodes.map((_, n) => {
      const even = load(s)
      const packed = Math.min(1, Math.max(0, load(s) * nodes.length - n))
      return Math.min(1, (pack * packed + (1 - pack) * even) * jitter)
    })
  )
  const series: Array<ClusterSample> = t.map((s, i) => {
    const util = heat[i]!
    const mean = util.reduce((a, b) => a + b, 0) / util.length
    return {
      t: s,
      allocation: { cpu: mean, memory: mean * 0.7, "nvidia.com/gpu": mean * 0.5 },
      fragmentation: Math.min(1, (0.1 + (1 - pack) * 0.3 * load(s)) * jitter),
      expectedFragmentation: Math.min(1, (0.05 + (1 - pack) * 0.2 * load(s)) * jitter),
      // Rounded: an even spread must read 0, not float noise.
      balance: Number(Math.sqrt(util.reduce((a, u) => a + (u - mean) ** 2, 0) / util.length).toFixed(9)),
      nodesInUse: util.filter((u) => u > 0).length,
      pending: s < 600 ? Math.round(10 * load(s) * (1 - pack)) : 0
    }
  })
  const waits = Array.from({ length: 200 }, (_, i) => ((i % 50) / 10) * (1 + (1 - pack)) * jitter + 0.01)
  const sorted = [...waits].sort((a, b) => a - b)
  const meanPeak = (value: (s: ClusterSample) => number) => ({
    mean: series.reduce((a, s) => a + value(s), 0) / series.length,
    peak: Math.max(...series.map(value))
  })
  const jobs = options.batch === true ? stats([120 * jitter, 300 + 60 * pack, 450 * jitter]) : stats([])
  return {
    metrics: {
      workload: "fixture",
      profile,
      seed,
      simulatedSeconds: 900,
      events: 123_456 + seed,
      pods: { created: 200, bound: 200, running: 200, finished: 200, unschedulable: 3 * seed, neverBound: 0 },
      waitBound: stats(waits),
      waitRunning: stats(waits.map((w) => w + 1)),
      unschedulableSeconds: 12.5 * seed,
      allocation: {
        cpu: meanPeak((s) => s.allocation["cpu"]!),
        memory: meanPeak((s) => s.allocation["memory"]!),
        "nvidia.com/gpu": meanPeak((s) => s.allocation["nvidia.com/gpu"]!)
      },
      fragmentation: meanPeak((s) => s.fragmentation),
      expectedFragmentation: meanPeak((s) => s.expectedFragmentation),
      balance: meanPeak((s) => s.balance),
      nodesInUse: meanPeak((s) => s.nodesInUse),
      makespan: options.batch === true ? 600 * jitter : 0,
      jobCompletion: jobs,
      series,
      waitQuantiles: Array.from({ length: 101 }, (_, i) => sorted[Math.min(199, Math.max(0, Math.ceil(i * 2) - 1))]!),
      heatmap: { nodes, t, cpu: heat }
    },
    timing: {
      wallSeconds: 1.5 + seed / 10 + pack,
      throughput: 5000 / (1 + pack + seed / 10),
      extensionPoints: { filter: 12 + pack, score: 30 - 10 * pack },
      peakRssBytes: 300_000_000
    }
  }
}

/** least-allocated (the baseline), most-allocated and random, seeds 1 and 2, interleaved as jobs come back. */
export const threeProfiles = (options: { readonly batch?: boolean } = {}): ReadonlyArray<RunResult> =>
  [1, 2].flatMap((seed) =>
    ["least-allocated", "most-allocated", "random"].map((profile) => runResult(profile, seed, options))
  )
