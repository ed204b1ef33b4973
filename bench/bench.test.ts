import { describe, expect, it } from "vitest"
import * as Api from "./api.bench.js"
import * as Fuzz from "./fuzz.js"
import * as Policies from "./policies.js"
import * as Scheduler from "./scheduler.bench.js"
import { type Row, runSuite } from "./harness.js"
import * as Plugins from "./plugins.bench.js"
import * as Simulation from "./simulation.js"
import * as Store from "./store.bench.js"

// A smoke run: every case runs and yields a figure; how fast is for `npm run bench`, never a test.
const expectFigures = (rows: ReadonlyArray<Row>, count: number) => {
  expect(rows).toHaveLength(count)
  for (const row of rows) {
    expect(Number.isFinite(row.value) && row.value > 0, `${row.suite} / ${row.name}: ${row.value}`).toBe(true)
    expect(Number.isFinite(row.ratio) && row.ratio > 0, `${row.suite} / ${row.name}: ratio ${row.ratio}`).toBe(true)
  }
}

describe("bench", () => {
  for (const suite of [...Store.suites, ...Api.suites]) {
    it(`runs "${suite.name}"`, { timeout: 30_000 }, async () => {
      expectFigures(await runSuite(suite, { maxTime: 0.01, minSamples: 1, minTime: 0.005 }), suite.cases.length)
    })
  }

  it("measures HTTP create latency against the echo server", { timeout: 30_000 }, async () => {
    const rows = await Api.latency({ count: 20, warmUp: 5 })
    expectFigures(rows, 10)
    expect(rows[0].ratio).toBe(1)
  })

  it("measures scheduling throughput against the read-once loop", { timeout: 60_000 }, async () => {
    const rows = await Scheduler.throughput({ nodes: [20], pods: 50, runPods: 20, runNodes: [20] })
    expectFigures(rows, 3)
    expect(rows[0]!.ratio).toBe(1)
  })

  it(
    "measures every plugin's Filter and Score per node against reading NodeInfo.requested",
    { timeout: 60_000 },
    async () => {
      const rows = await Plugins.pluginRows(
        { nodes: 12, podsPerNode: 4 },
        { maxTime: 0.01, minSamples: 1, minTime: 0.005 }
      )
      expectFigures(rows, rows.length)
      const baselines = rows.filter((r) => r.name.startsWith("read NodeInfo.requested"))
      expect(baselines.map((r) => r.ratio)).toEqual([1, 1, 1])
      for (const name of [
        "NodeResourcesFit Filter",
        "PodTopologySpread Filter",
        "InterPodAffinity Filter",
        "NodeResourcesFit (MostAllocated) Score",
        "PodTopologySpread Score",
        "InterPodAffinity Score",
        "ImageLocality Score"
      ])
        expect(rows.map((r) => r.name)).toContain(name)
      // The incoming pod uses every plugin's feature: only NodeName (no spec.nodeName) is skipped.
      expect(rows.filter((r) => r.note?.includes("skips")).map((r) => r.name)).toEqual(["NodeName Filter"])
    }
  )

  it("measures fuzz runs per second against plain runs", { timeout: 120_000 }, async () => {
    const rows = await Fuzz.fuzzRows({ runs: 2, workers: 2 })
    expectFigures(rows, 3)
    expect(rows[2]!.name).toContain("2 threads")
    expect(rows[0]!.ratio).toBe(1)
  })

  it("measures a whole bench run against the scheduling cycle alone", { timeout: 60_000 }, async () => {
    const rows = await Policies.policyRows({ workload: "uniform:nodes=3,pods=20,span=1m", profile: "most-allocated" })
    expectFigures(rows, 3)
    expect(rows[0]!.ratio).toBe(1)
  })

  it("measures a whole simulated run against the bare event loop", { timeout: 60_000 }, async () => {
    const rows = await Simulation.simulationRows({ nodes: 3, deployments: 1, podsPerDeployment: 3, minutes: 1 })
    expectFigures(rows, 5)
    expect(rows[0]!.ratio).toBe(1)
    expect(rows[2]!.note).not.toMatch(/failed/)
  })

  it("the speed scenario is valid and names the issue's size", () => {
    const text = Simulation.scenarioText(Simulation.full)
    expect(text).toContain("count: 1000")
    expect(text.match(/kind: Deployment/g)).toHaveLength(100)
    expect(text).toContain("count: 5000")
  })
})
