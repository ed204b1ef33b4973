import { describe, expect, it } from "@effect/vitest"
import { catalogue, optionsOf, scenarioOf } from "./catalogue.js"
import { fuzz } from "./Fuzz.js"

// The correct code, given each bug's budget, raises no alarm: the catalogue's findings are the bugs'.
describe("the known-bug catalogue, correct code", () => {
  for (const entry of catalogue) {
    it(`passes ${entry.bug}'s budget (${entry.runs} runs) with no violation`, { timeout: 120_000 }, async () => {
      const result = await fuzz(scenarioOf(entry.bug), optionsOf(entry, false))
      expect(result.failure?.violations ?? []).toEqual([])
      expect(result.runs).toBe(entry.runs)
      // Most runs injected something: a pass is not vacuous.
      expect(result.vacuous).toBeLessThan(entry.runs / 2)
    })
  }
})
