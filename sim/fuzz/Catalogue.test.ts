import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { parse } from "../scenario/Parse.js"
import * as Run from "../scenario/Run.js"
import { catalogue, optionsOf, scenarioOf } from "./catalogue.js"
import { fuzz } from "./Fuzz.js"

// Each bug, planted, is found within its budget by the invariant named for it, with at most 3 faults.
describe("the known-bug catalogue, planted", () => {
  for (const entry of catalogue) {
    it(`finds ${entry.bug} (${entry.invariant})`, { timeout: 120_000 }, async () => {
      const started = performance.now()
      const result = await fuzz(scenarioOf(entry.bug), optionsOf(entry, true))
      const failure = result.failure
      const found = failure?.violations.map((v) => v.invariant) ?? []
      // The figures for the closing note: runs until found, shrinking steps, wall time.
      console.log(
        `${entry.bug}: ${failure === undefined ? "not found" : `found at run ${failure.foundAt}`}, ` +
          `${failure?.shrinks ?? 0} shrinks, ${failure?.schedule.length ?? 0} faults, ` +
          `${((performance.now() - started) / 1000).toFixed(1)}s`
      )
      expect(found, `${entry.bug}: ${failure?.violation.message ?? "no violation"}`).toContain(entry.invariant)
      expect(failure!.schedule.length).toBeLessThanOrEqual(3)
      if (entry.invariant === "differential") return // a comparison of two runs: `minik8s run` plays one
      // The printed keys, pasted under the scenario's spec:, make `minik8s run` break the same invariant.
      const file = `sim/fuzz/bugs/${entry.bug}.yaml`
      const text = readFileSync(file, "utf8").replace(/^  (seed|duration|invariants):.*\n/gm, "")
      const pasted = Either.getOrThrow(
        parse(text.replace(/^spec:\n/m, `spec:\n${failure!.fragment}\n`), file, () => "")
      )
      const summary = await Run.run(pasted, { bugs: new Set([entry.bug]) })
      expect(summary.invariantViolations.map((v) => v.invariant)).toContain(entry.invariant)
    })
  }

  it(
    "a token printed here replays in another process (the CLI) to the identical trace",
    { timeout: 120_000 },
    async () => {
      const entry = catalogue.find((e) => e.bug === "schedulerIgnoresAssumed")!
      const result = await fuzz(scenarioOf(entry.bug), optionsOf(entry, true))
      const failure = result.failure!
      let output = ""
      try {
        execFileSync(
          process.execPath,
          ["bin/minik8s.js", "fuzz", `sim/fuzz/bugs/${entry.bug}.yaml`, "--replay", failure.token],
          {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"]
          }
        )
      } catch (error) {
        // Exit 1: the failure was found again.
        const e = error as { status: number; stdout: string }
        expect(e.status).toBe(1)
        output = e.stdout
      }
      expect(output).toContain(`FAIL ${failure.violation.invariant}`)
      expect(output).toContain(`trace sha256 ${failure.summary.traceSha256}`)
    }
  )
})
