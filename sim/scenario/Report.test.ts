import * as NodeContext from "@effect/platform-node/NodeContext"
import * as FileSystem from "@effect/platform/FileSystem"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { join } from "node:path"
import * as Report from "./Report.js"
import type { Sample, Summary } from "./Summary.js"

/** A node-failure run: three nodes, node-1 crashes at 61 s, its pods move after the grace period. */
const nodeFailure = (): Summary => {
  const series: Array<Sample> = []
  for (let t = 0; t <= 300; t += 5) {
    const crashed = t >= 61
    const evicted = t >= 130
    series.push({
      t,
      podsPerNode: { "node-1": crashed ? 0 : 1, "node-2": evicted ? 2 : 1, "node-3": t < 10 ? 0 : 1 },
      pending: t < 10 ? 1 : evicted ? 0 : crashed ? 1 : 0,
      readyNodes: t >= 101 ? 2 : 3,
      notReadyNodes: t >= 101 ? 1 : 0
    })
  }
  const step = (index: number, time: number, action: string, result: Summary["steps"][number]["result"]) => ({
    index,
    time,
    action,
    result
  })
  return {
    scenario: "node-failure",
    passed: false,
    seed: 7,
    expectations: { passed: 1, total: 2 },
    failures: [{ step: 4, time: "3m01s", check: "deployment/web", message: "readyReplicas 2, want <3>" }],
    invariantViolations: [{ invariant: "capacityRespected", time: "1m12s", message: "node-2: cpu 4500m > 4" }],
    simulatedSeconds: 300,
    wallSeconds: 0.41,
    events: 18234,
    operations: 612345,
    traceSha256: "3f2a".padEnd(64, "0"),
    steps: [
      step(1, 0, "apply deployment/web", "done"),
      step(2, 60, "expect 1 check", "passed"),
      step(3, 61, "fault crashNode node-1", "done"),
      step(4, 181, "expect 3 checks", "failed")
    ],
    series
  }
}

/** A thousand nodes: pods per node is drawn as a distribution. */
const bigCluster = (): Summary => {
  const series: Array<Sample> = []
  for (let t = 0; t <= 3600; t += 60) {
    const podsPerNode: Record<string, number> = {}
    for (let n = 1; n <= 1000; n++)
      podsPerNode[`node-${n}`] = Math.min(5, Math.floor(t / 600)) + (n % 10 === 0 ? 6 : n % 3)
    series.push({ t, podsPerNode, pending: Math.max(0, 5000 - t * 2), readyNodes: 1000, notReadyNodes: 0 })
  }
  return {
    ...nodeFailure(),
    scenario: "bench",
    passed: true,
    simulatedSeconds: 3600,
    failures: [],
    invariantViolations: [],
    steps: [],
    series
  }
}

const writeAndRead = (summary: Summary) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const dir = join(yield* fs.makeTempDirectoryScoped(), "report")
    yield* Report.write(dir, summary)
    return {
      json: yield* fs.readFileString(join(dir, "summary.json")),
      html: yield* fs.readFileString(join(dir, "report.html"))
    }
  })

describe("Report", () => {
  it.scoped("writes summary.json and a self-contained report.html with three plots", () =>
    Effect.gen(function* () {
      const summary = nodeFailure()
      const { json, html } = yield* writeAndRead(summary)
      expect(JSON.parse(json)).toEqual(summary)
      expect(html.match(/<svg[\s>]/g)).toHaveLength(3)
      expect(html).toContain("FAIL")
      expect(html).toContain("scenario node-failure: FAIL 1/2 expectations, 1 invariant violation, 5m simulated")
      expect(html).toContain("readyReplicas 2, want &#60;3&#62;")
      expect(html).toContain("node-2: cpu 4500m &#62; 4")
      expect(html).toContain("<td>1m01s</td><td>#3 fault crashNode node-1</td><td>done</td>")
      for (const node of ["node-1", "node-2", "node-3"]) expect(html).toContain(`>${node}</text>`)
      expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/)
    }).pipe(Effect.provide(NodeContext.layer))
  )

  it.scoped("draws a thousand nodes as a distribution, not a thousand lines", () =>
    Effect.gen(function* () {
      const summary = bigCluster()
      const { json, html } = yield* writeAndRead(summary)
      expect(JSON.parse(json)).toEqual(summary)
      expect(json.split("\n").length).toBeLessThan(100)
      expect(html.match(/<svg[\s>]/g)).toHaveLength(3)
      expect(html).toContain("1000 nodes: median, quartiles and range")
      expect(html).not.toContain(">node-17</text>")
      expect(html.length).toBeLessThan(1_000_000)
    }).pipe(Effect.provide(NodeContext.layer))
  )
})
