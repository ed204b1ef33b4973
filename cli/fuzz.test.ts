/** `minik8s fuzz` as a user runs it: a pass and its closing lines, and bad input answered with one line and exit 2. */
import { describe, expect, it } from "vitest"
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"

const bin = fileURLToPath(new URL("../bin/minik8s.js", import.meta.url))
const scenario = fileURLToPath(new URL("../sim/fuzz/testdata/small.yaml", import.meta.url))

const minik8s = (...args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, [bin, ...args], { timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr })
    )
  )

describe("minik8s fuzz", () => {
  it("passes a scenario, with runs, faults fired per kind and the seed", { timeout: 60_000 }, async () => {
    const { code, stdout } = await minik8s("fuzz", scenario, "--runs", "2", "--seed", "5", "--faults", "compactStore")
    // Each run: the scenario's 2m, the longest fault (1m) and the heal phase (2m).
    expect(stdout).toMatch(
      /^fuzz small: PASS 2 runs, 3 faults injected, 10m simulated in [\d.]+s \([\d.]+ runs\/s on \d+ threads?\), seed 5$/m
    )
    expect(stdout).toMatch(/^  fired\/drawn: compactStore 3\/3$/m)
    expect(code).toBe(0)
  })

  it.each([
    [["--faults", "crashNode,meteor"], `--faults: unknown name "meteor"`],
    [["--invariants", "noDoubleBinding,nope"], `--invariants: unknown name "nope"`],
    [["--heal", "soon"], "--heal: "],
    [["--replay", "abc"], `--replay: not a replay token`]
  ])("refuses %j with one line and exit 2", { timeout: 60_000 }, async (args, message) => {
    const { code, stdout, stderr } = await minik8s("fuzz", scenario, ...args)
    expect(stderr.trim().split("\n")).toHaveLength(1)
    expect(stderr).toContain(message)
    expect(stdout).toBe("")
    expect(code).toBe(2)
  })

  it("refuses an invalid scenario file with file:line and exit 2", { timeout: 60_000 }, async () => {
    const { code, stderr } = await minik8s("fuzz", fileURLToPath(new URL("../package.json", import.meta.url)))
    expect(stderr).toMatch(/package\.json:\d+:\d+: /)
    expect(code).toBe(2)
  })
})
