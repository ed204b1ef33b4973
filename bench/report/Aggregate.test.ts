import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import type { RunResult } from "../metrics/Metrics.js"
import { aggregate, meanCi, metricsOf, profilesOf, t95 } from "./Aggregate.js"
import { runResult, threeProfiles } from "./RunFixtures.js"

const input = (results: ReadonlyArray<RunResult>, baseline = "least-allocated") => ({
  workload: "fixture",
  baseline,
  results
})

/** A run with some figures replaced. */
const withMetrics = (run: RunResult, metrics: Partial<RunResult["metrics"]>): RunResult => ({
  ...run,
  metrics: { ...run.metrics, ...metrics }
})

describe("t95", () => {
  it("is Student's two-sided 95% quantile", () => {
    expect(t95(1)).toBe(12.706)
    expect(t95(4)).toBe(2.776)
    expect(t95(30)).toBe(2.042)
    // Between table entries the smaller dof's (wider) value is used.
    expect(t95(35)).toBe(2.042)
    expect(t95(45)).toBe(2.021)
    expect(t95(200)).toBe(1.98)
    expect(t95(5000)).toBe(1.96)
  })
})

describe("meanCi", () => {
  it("is 0 for no values and has no interval for one", () => {
    expect(meanCi([])).toEqual({ n: 0, mean: 0, ci95: 0 })
    expect(meanCi([7.5])).toEqual({ n: 1, mean: 7.5, ci95: 0 })
  })

  it("uses the sample standard deviation and t on n − 1 dof", () => {
    // s = √2, n = 2: t(1) · √2 / √2.
    expect(meanCi([2, 4]).ci95).toBeCloseTo(12.706, 10)
    // s = √2.5, n = 5: 2.776 · √2.5 / √5 = 2.776 / √2.
    const five = meanCi([1, 2, 3, 4, 5])
    expect(five.mean).toBe(3)
    expect(five.ci95).toBeCloseTo(2.776 / Math.SQRT2, 10)
    expect(meanCi([3, 3, 3]).ci95).toBe(0)
  })

  it("keeps the mean within the sample and the interval non-negative", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 30 }), (xs) => {
        const { n, mean, ci95 } = meanCi(xs)
        expect(n).toBe(xs.length)
        expect(mean).toBeGreaterThanOrEqual(Math.min(...xs) - 1e-6)
        expect(mean).toBeLessThanOrEqual(Math.max(...xs) + 1e-6)
        expect(ci95).toBeGreaterThanOrEqual(0)
      }),
      { seed: 42, numRuns: 200 }
    )
  })
})

describe("aggregate", () => {
  it("gives a row per profile × metric, metric by metric, the baseline first", () => {
    const results = threeProfiles()
    const rows = aggregate(input(results, "random"))
    const metrics = metricsOf(results)
    expect(rows).toHaveLength(metrics.length * 3)
    expect(rows.slice(0, 3).map((r) => [r.metric, r.profile])).toEqual([
      ["wait bound mean", "random"],
      ["wait bound mean", "least-allocated"],
      ["wait bound mean", "most-allocated"]
    ])
    expect([...new Set(rows.map((r) => r.metric))]).toEqual(metrics.map((m) => m.name))
  })

  it("averages over seeds with the interval and divides by the baseline's mean", () => {
    const results = threeProfiles()
    const rows = aggregate(input(results))
    const row = (profile: string, metric: string) => rows.find((r) => r.profile === profile && r.metric === metric)!
    const frag = (profile: string) =>
      results.filter((r) => r.metrics.profile === profile).map((r) => r.metrics.fragmentation.mean)
    const least = meanCi(frag("least-allocated"))
    const most = meanCi(frag("most-allocated"))
    expect(row("least-allocated", "fragmentation mean")).toMatchObject({ ...least, ratio: 1, unit: "fraction" })
    expect(row("most-allocated", "fragmentation mean")).toMatchObject({ ...most, ratio: most.mean / least.mean })
    expect(row("most-allocated", "fragmentation mean").lowerIsBetter).toBe(true)
    expect(row("random", "throughput")).toMatchObject({ unit: "pods/s", lowerIsBetter: false, deterministic: false })
    expect(row("random", "scheduler filter")).toMatchObject({ unit: "µs/cycle", deterministic: false, n: 2 })
  })

  it("has ratio 1 when both means are 0 and none when only the baseline's is", () => {
    const results = threeProfiles().map((r) =>
      withMetrics(r, {
        unschedulableSeconds: r.metrics.profile === "random" ? 5 : 0,
        pods: { ...r.metrics.pods, unschedulable: 0 }
      })
    )
    const rows = aggregate(input(results))
    const ratio = (profile: string, metric: string) =>
      rows.find((r) => r.profile === profile && r.metric === metric)!.ratio
    expect(ratio("most-allocated", "unschedulable pods")).toBe(1)
    expect(ratio("most-allocated", "unschedulable time")).toBe(1)
    expect(ratio("random", "unschedulable time")).toBeUndefined()
    // A baseline without runs gives no ratios at all.
    expect(aggregate(input(results, "drf")).every((r) => r.ratio === undefined)).toBe(true)
  })

  it("lists every resource after cpu and memory, and batch figures only with batch jobs", () => {
    const names = (results: ReadonlyArray<RunResult>) => metricsOf(results).map((m) => m.name)
    const plain = names(threeProfiles())
    expect(plain.filter((n) => n.startsWith("allocation"))).toEqual([
      "allocation cpu mean",
      "allocation cpu peak",
      "allocation memory mean",
      "allocation memory peak",
      "allocation nvidia.com/gpu mean",
      "allocation nvidia.com/gpu peak"
    ])
    expect(plain).not.toContain("makespan")
    expect(names(threeProfiles({ batch: true }))).toEqual(
      expect.arrayContaining(["makespan", "job completion mean", "job completion p99"])
    )
  })

  it("does not depend on the order the runs came back in", () => {
    const bySeed = threeProfiles()
    const reversed = [2, 1].flatMap((seed) =>
      ["least-allocated", "most-allocated", "random"].map((profile) => runResult(profile, seed))
    )
    expect(aggregate(input(reversed))).toEqual(aggregate(input(bySeed)))
    expect(profilesOf(input(bySeed, "most-allocated"))).toEqual(["most-allocated", "least-allocated", "random"])
  })
})
