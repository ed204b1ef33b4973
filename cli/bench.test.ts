/** `minik8s bench` as a user runs it: the table, the report's files, the same numbers on one thread or two, and bad input answered with one line and exit 2. */
import { describe, expect, it } from "vitest"
import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const bin = fileURLToPath(new URL("../bin/minik8s.js", import.meta.url))
const badWorkload = fileURLToPath(new URL("../bench/testdata/bad-workload.yaml", import.meta.url))
const plugins = fileURLToPath(new URL("../bench/testdata/plugins.ts", import.meta.url))
const tiny = "uniform:nodes=3,pods=12,span=1m,cpu=4,memory=16"

const minik8s = (...args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, [bin, ...args], { timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr })
    )
  )

const withDir = async (body: (dir: string) => Promise<void>) => {
  const dir = mkdtempSync(join(tmpdir(), "minik8s-bench-"))
  try {
    await body(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe("minik8s bench", () => {
  it("prints the table and writes the report; two threads give one thread's numbers", { timeout: 120_000 }, () =>
    withDir(async (dir) => {
      // A user's profile and plugin too (--plugins), which each worker thread loads.
      const profiles = ["--profiles", "most-allocated,last-node", "--plugins", plugins]
      const args = ["bench", "--workload", tiny, ...profiles, "--repeat", "2"]
      const two = await minik8s(...args, "--workers", "2", "--report", join(dir, "two"))
      expect(two.code).toBe(0)
      expect(two.stdout).toMatch(/^bench uniform: 3 nodes, 12 pods; 2 profiles × 2 seeds \(from 1\) on 2 workers$/m)
      expect(two.stdout).toMatch(/most-allocated \(baseline\) +last-node$/m)
      expect(two.stdout).toMatch(/^4 runs in [\d.]+s wall$/m)
      expect(readdirSync(join(dir, "two")).sort()).toEqual([
        "report.html",
        "summary.json",
        "table.csv",
        "table.md",
        "timing.json"
      ])
      const one = await minik8s(...args, "--workers", "1", "--report", join(dir, "one"))
      expect(one.code).toBe(0)
      expect(readFileSync(join(dir, "one", "summary.json"), "utf8")).toBe(
        readFileSync(join(dir, "two", "summary.json"), "utf8")
      )
    })
  )

  it("reads a public trace and prints it as a workload file", { timeout: 60_000 }, async () => {
    const trace = fileURLToPath(
      new URL("../bench/workloads/importers/testdata/openb_pod_list_sample.csv", import.meta.url)
    )
    const { code, stdout } = await minik8s("bench", "--workload", trace, "--export", "workload")
    expect(code).toBe(0)
    expect(stdout).toMatch(/^kind: Workload$/m)
    expect(stdout).toMatch(/nvidia\.com\/gpu/)
  })

  it.each([
    [["--workload", "uniform:podz=3"], `uniform: unknown option "podz"`],
    [["--workload", "nope"], `unknown workload generator "nope"`],
    [["--workload", tiny, "--profiles", "least-allocated,fastest"], `--profiles: unknown profile "fastest"`],
    [["--workload", tiny, "--baseline", "drf"], `--baseline: "drf" is not one of --profiles`],
    [["--workload", tiny, "--repeat", "0"], "--repeat: must be at least 1"],
    [["--workload", tiny, "--heartbeat", "soon"], "--heartbeat: "],
    [["--workload", tiny, "--watch-period", "500ms"], "--watch-period: must be at least 1s"],
    [["--workload", badWorkload], `${badWorkload}:9:`],
    [["--workload", tiny, "--plugins", "/nonexistent/plugins.ts"], "--plugins /nonexistent/plugins.ts: "]
  ])("refuses %j with one line and exit 2", { timeout: 60_000 }, async (args, message) => {
    const { code, stdout, stderr } = await minik8s("bench", ...args)
    expect(stderr.trim().split("\n")).toHaveLength(1)
    expect(stderr).toContain(message)
    expect(stdout).toBe("")
    expect(code).toBe(2)
  })
})
