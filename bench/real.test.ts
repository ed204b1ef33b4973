/**
 * A smoke run of the real-mode benchmarks on a small cluster (2 replicas, a few dozen writes): every
 * figure comes out and nothing is left behind. Skipped with a printed reason when etcd or Docker is
 * missing, except under MINIK8S_E2E=1.
 */
import Docker from "dockerode"
import { describe, expect, it } from "vitest"
import { nodeLabel } from "../runtimes/docker/labels.js"
import { commandPresent, dockerPresent, dockerSocket } from "../runtimes/e2e.js"
import * as Real from "./real.js"

const present = commandPresent("etcd", "real-mode bench") && (await dockerPresent("real-mode bench"))

describe.skipIf(!present)("real-mode bench", () => {
  it("measures start-up, writes and create latency against Docker and etcd, then removes everything", async () => {
    const rows = await Real.realRows(Real.smoke)
    expect(rows).toHaveLength(17)
    for (const row of rows) {
      expect(Number.isFinite(row.value) && row.value > 0, `${row.suite} / ${row.name}: ${row.value}`).toBe(true)
      expect(Number.isFinite(row.ratio) && row.ratio > 0, `${row.suite} / ${row.name}: ratio ${row.ratio}`).toBe(true)
    }
    expect(rows.filter((r) => r.ratio === 1).map((r) => r.name)).toContain("docker run -d × 2, all in flight")
    // Neither the baseline's containers nor the cluster's nodes' (named bench<id>-N) are left.
    const left = await new Docker({ socketPath: dockerSocket }).listContainers({ all: true })
    expect(left.filter((c) => c.Labels["io.minik8s.bench"] !== undefined)).toEqual([])
    expect(left.filter((c) => c.Labels[nodeLabel]?.startsWith("bench"))).toEqual([])
  }, 120_000)
})
