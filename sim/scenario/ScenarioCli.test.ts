/**
 * Files that are wrong on purpose: deliberately wrong copies of shipped scenarios fail with the
 * failing check named (exit 1); invalid files are refused with one line naming file, line and
 * field (exit 2). Each file runs in-process through `parse` and `Run.run`; the command is spawned
 * twice only (process start is most of its cost): the invalid files, then a short passing file
 * with the wrong copies under `--json --report`.
 */
import { execFile } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import * as Either from "effect/Either"
import { afterAll, describe, expect, it } from "vitest"
import { parse } from "./Parse.js"
import * as Run from "./Run.js"
import type { Scenario } from "./Scenario.js"

const repo = fileURLToPath(new URL("../../", import.meta.url))
const bin = Path.join(repo, "bin/minik8s.js")
const testdata = fileURLToPath(new URL("./testdata/", import.meta.url))
const brokenDir = Path.join(testdata, "broken")
const invalidDir = Path.join(testdata, "invalid")

const yamlFiles = (dir: string) =>
  Fs.readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()

const read = (path: string) => Fs.readFileSync(path, "utf8")

const load = (file: string): Scenario =>
  Either.getOrThrowWith(parse(read(file), file, read), (error) => new Error(error.toString()))

interface Result {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const minik8s = (...args: ReadonlyArray<string>) =>
  new Promise<Result>((resolve) =>
    execFile(process.execPath, [bin, ...args], { cwd: repo, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr })
    )
  )

describe("deliberately wrong copies", () => {
  const expected: ReadonlyArray<readonly [string, string, string]> = [
    ["crashed-node-ready.yaml", "node/node-1", "node node-1 ready false, want true"],
    ["foreground-absent.yaml", "absent: deployment/fg", "deployment fg exists (terminating)"],
    ["four-of-three.yaml", "deployment/web", "readyReplicas 3, want 4"],
    ["pods-off-by-one.yaml", "pods", "4 pods match, want 5"]
  ]

  it("are all listed here", () => {
    expect(yamlFiles(brokenDir)).toEqual(expected.map(([file]) => file))
  })

  for (const [file, check, message] of expected) {
    it(`${file} fails on ${check} alone`, async () => {
      const summary = await Run.run(load(Path.join(brokenDir, file)))
      expect(summary.passed).toBe(false)
      expect(summary.failures).toHaveLength(1)
      expect(summary.failures[0]!.check).toBe(check)
      expect(summary.failures[0]!.message).toContain(message)
      expect(summary.expectations.passed).toBe(summary.expectations.total - 1)
    })
  }
})

describe("invalid scenario files", () => {
  // The whole line each file gets, less the file name in front.
  const expected: ReadonlyArray<readonly [string, string]> = [
    [
      "bad-yaml.yaml",
      ":9:3: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]"
    ],
    ["negative-duration.yaml", `:12:52: spec.steps[0].fault.for: duration "-30s" must not be negative`],
    ["unknown-fault.yaml", `:12:15: spec.steps[0].fault.explodeNode: unknown fault "explodeNode"; known: `],
    ["unknown-field.yaml", `:9:47: spec.cluster.nodes[0].gpus: unknown field "gpus"; known: `]
  ]

  it("are all listed here", () => {
    expect(yamlFiles(invalidDir)).toEqual(expected.map(([file]) => file))
  })

  for (const [file, line] of expected) {
    it(`${file} is refused at its line and field`, () => {
      const path = Path.join(invalidDir, file)
      const parsed = parse(read(path), path, read)
      expect(Either.isLeft(parsed)).toBe(true)
      expect(Either.getLeft(parsed).pipe((e) => (e._tag === "Some" ? e.value.toString() : ""))).toContain(
        `${path}${line}`
      )
    })
  }

  it("make `minik8s run` exit 2 with one line per file on stderr, nothing on stdout but the total", async () => {
    const files = expected.map(([file]) => Path.join("sim/scenario/testdata/invalid", file))
    const result = await minik8s("run", ...files)
    expect(result.code).toBe(2)
    const lines = result.stderr.trimEnd().split("\n")
    expect(lines).toHaveLength(expected.length)
    expected.forEach(([, line], i) => expect(lines[i]).toContain(`${files[i]}${line}`))
    expect(result.stdout.trim()).toBe("total: 4 scenarios, 0 passed, 0 failed, 4 invalid")
  })
})

describe("minik8s run --json --report on a passing file and the wrong copies", () => {
  const reports = Fs.mkdtempSync(Path.join(Os.tmpdir(), "minik8s-scenarios-"))
  afterAll(() => Fs.rmSync(reports, { recursive: true, force: true }))

  it("exits 1, prints only the summaries as JSON naming each failing check, and writes a report per scenario", async () => {
    const result = await minik8s("run", "--json", "--report", reports, "sim/scenario/testdata/tiny.yaml", brokenDir)
    expect(result.code).toBe(1)
    const summaries = JSON.parse(result.stdout) as Array<Record<string, unknown>>
    expect(
      summaries.map((s) => [
        s["scenario"],
        s["passed"],
        (s["failures"] as Array<{ check: string }>).map((f) => f.check)
      ])
    ).toEqual([
      ["tiny", true, []],
      ["crashed-node-ready", false, ["node/node-1"]],
      ["foreground-absent", false, ["absent: deployment/fg"]],
      ["four-of-three", false, ["deployment/web"]],
      ["pods-off-by-one", false, ["pods"]]
    ])
    const tiny = summaries[0]!
    expect(Object.keys(tiny)).toEqual(
      expect.arrayContaining([
        "scenario",
        "passed",
        "seed",
        "expectations",
        "failures",
        "invariantViolations",
        "simulatedSeconds",
        "wallSeconds",
        "events",
        "traceSha256"
      ])
    )
    expect(tiny).toMatchObject({
      seed: 2,
      expectations: { passed: 1, total: 1 },
      invariantViolations: [],
      simulatedSeconds: 20
    })
    expect(tiny["traceSha256"]).toMatch(/^[0-9a-f]{64}$/)
    // The same file in-process: the same hash (the command adds nothing to the run).
    expect(tiny["traceSha256"]).toBe((await Run.run(load(Path.join(testdata, "tiny.yaml")))).traceSha256)
    for (const summary of summaries) {
      const dir = Path.join(reports, String(summary["scenario"]))
      const written = JSON.parse(read(Path.join(dir, "summary.json"))) as Record<string, unknown>
      expect(written).toMatchObject({ scenario: summary["scenario"], traceSha256: summary["traceSha256"] })
      expect(Array.isArray(written["series"])).toBe(true)
      const html = read(Path.join(dir, "report.html"))
      expect(html).toMatch(/^<!doctype html>/i)
      expect(html).toContain("<svg")
    }
  })
})
