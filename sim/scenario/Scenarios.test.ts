/**
 * Every shipped scenario (scenarios/*.yaml) passes, run in-process through `parse` and `Run.run`,
 * and a second run with the same seed gives the same trace hash. The command's own behaviour
 * (exit codes, wrong and invalid files, `--json`, `--report`) is ScenarioCli.test.ts's.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import * as Either from "effect/Either"
import { describe, expect, it } from "vitest"
import { parse } from "./Parse.js"
import * as Run from "./Run.js"
import type { Scenario } from "./Scenario.js"

const repo = fileURLToPath(new URL("../../", import.meta.url))
const shippedDir = Path.join(repo, "scenarios")

const yamlFiles = (dir: string) =>
  Fs.readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => Path.join(dir, name))

const read = (path: string) => Fs.readFileSync(path, "utf8")

const load = (file: string): Scenario =>
  Either.getOrThrowWith(parse(read(file), file, read), (error) => new Error(error.toString()))

describe("shipped scenarios", () => {
  const files = yamlFiles(shippedDir)

  it("include every scenario the issue asks for", () => {
    expect(files.map((file) => Path.basename(file, ".yaml"))).toEqual(
      expect.arrayContaining([
        "quickstart",
        "rolling-update",
        "node-failure",
        "kubelet-restart",
        "scale-down-ranking",
        "garbage-collection",
        "taints-and-affinity",
        "unschedulable",
        "partition",
        "store-outage",
        "crashloop"
      ])
    )
  })

  // Each runs twice with its own seed: every check holds, no invariant breaks, and both runs hash alike.
  for (const file of files) {
    const name = Path.basename(file, ".yaml")
    it(`${name} passes, and runs the same twice`, async () => {
      const scenario = load(file)
      const first = await Run.run(scenario)
      expect(first.invariantViolations).toEqual([])
      expect(
        first.failures.map((f) => f.check),
        JSON.stringify(first.failures)
      ).toEqual([])
      expect(first.expectations.total).toBeGreaterThan(0)
      const second = await Run.run(scenario)
      expect(second.traceSha256).toBe(first.traceSha256)
      expect(second.events).toBe(first.events)
    })
  }
})
