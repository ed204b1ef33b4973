import { describe, expect, it } from "@effect/vitest"
import { canonicalJson, summaryJson, timingJson } from "./Summary.js"
import { runResult, threeProfiles } from "./RunFixtures.js"

const input = (results = threeProfiles({ batch: true })) => ({
  workload: "fixture",
  baseline: "least-allocated",
  results
})

const timingKeys = ["wallSeconds", "throughput", "extensionPoints", "peakRssBytes"]

/** Every key of every object in `value`, depth first. */
const keysOf = (value: unknown): Array<string> =>
  Array.isArray(value)
    ? value.flatMap(keysOf)
    : value !== null && typeof value === "object"
      ? Object.entries(value).flatMap(([k, v]) => [k, ...keysOf(v)])
      : []

/** Whether every object in `value` has its keys in sorted order. */
const sortedKeys = (value: unknown): boolean => {
  if (Array.isArray(value)) return value.every(sortedKeys)
  if (value === null || typeof value !== "object") return true
  const keys = Object.keys(value)
  return keys.every((k, i) => i === 0 || keys[i - 1]! < k) && Object.values(value).every(sortedKeys)
}

const numbersOf = (value: unknown): Array<number> =>
  typeof value === "number"
    ? [value]
    : value !== null && typeof value === "object"
      ? Object.values(value).flatMap(numbersOf)
      : []

describe("summary.json", () => {
  it("is byte-identical for the same runs, whatever order they came back in", () => {
    const again = [2, 1].flatMap((seed) =>
      ["least-allocated", "most-allocated", "random"].map((profile) => runResult(profile, seed, { batch: true }))
    )
    expect(summaryJson(input(again))).toBe(summaryJson(input()))
    // One profile, one seed: what `minik8s bench` writes for a single run.
    const one = () => ({ workload: "fixture", baseline: "random", results: [runResult("random", 3)] })
    expect(summaryJson(one())).toBe(summaryJson(one()))
  })

  it("holds every run's metrics and the deterministic rows, and nothing the wall clock measured", () => {
    const json = JSON.parse(summaryJson(input()))
    expect(Object.keys(json)).toEqual(["baseline", "profiles", "rows", "runs", "workload"])
    expect(json.runs).toHaveLength(6)
    expect(json.runs.map((r: { profile: string; seed: number }) => `${r.profile}/${r.seed}`)).toEqual([
      "least-allocated/1",
      "least-allocated/2",
      "most-allocated/1",
      "most-allocated/2",
      "random/1",
      "random/2"
    ])
    const keys = keysOf(json)
    for (const key of timingKeys) expect(keys).not.toContain(key)
    const metrics = json.rows.map((r: { metric: string }) => r.metric)
    expect(metrics).toContain("makespan")
    expect(metrics).not.toContain("throughput")
    expect(metrics).not.toContain("wall time")
    expect(metrics.some((m: string) => m.startsWith("scheduler "))).toBe(false)
    expect(json.runs[0].heatmap.nodes).toHaveLength(8)
  })

  it("sorts keys and keeps six significant digits (counts exact)", () => {
    const text = summaryJson(input())
    const json = JSON.parse(text)
    expect(sortedKeys(json)).toBe(true)
    for (const x of numbersOf(json))
      if (!Number.isInteger(x)) expect(x.toPrecision(6).replace(/0+$/, "").replace(/\.$/, "")).toBe(String(x))
    expect(json.runs[0].events).toBe(123_457)
  })

  it("writes short values on one line", () => {
    expect(canonicalJson({ b: [1, 2.0000001], a: { y: 1, x: 0.1234567 } })).toBe(
      '{"a":{"x":0.123457,"y":1},"b":[1,2]}\n'
    )
    const long = canonicalJson({ rows: Array.from({ length: 3 }, (_, i) => ({ name: "x".repeat(40), i })) })
    expect(long.trimEnd().split("\n")).toHaveLength(7)
    expect(JSON.parse(long).rows[2]).toEqual({ i: 2, name: "x".repeat(40) })
  })
})

describe("timing.json", () => {
  it("holds the wall-clock figures of every run and their rows", () => {
    const json = JSON.parse(timingJson(input()))
    expect(json.runs).toHaveLength(6)
    expect(Object.keys(json.runs[0])).toEqual([
      "extensionPoints",
      "peakRssBytes",
      "profile",
      "seed",
      "throughput",
      "wallSeconds"
    ])
    expect(json.rows.map((r: { metric: string }) => r.metric)).toContain("throughput")
    expect(json.rows.every((r: { metric: string }) => !r.metric.startsWith("wait"))).toBe(true)
  })
})
