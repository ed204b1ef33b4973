import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as fc from "fast-check"
import { parseDuration } from "../../core/api/duration.js"
import { formatTime } from "./Time.js"

describe("formatTime", () => {
  it("writes times as the timeline prints them", () => {
    const cases: Array<[number, string]> = [
      [0, "0s"],
      [500, "500ms"],
      [1_000, "1s"],
      [1_500, "1.5s"],
      [59_999, "59.999s"],
      [60_000, "1m"],
      [181_000, "3m01s"],
      [600_000, "10m"],
      [3_600_000, "1h"],
      [3_605_000, "1h00m05s"],
      [5_400_000, "1h30m"],
      [3_723_500, "1h02m03.5s"],
      [90_000_000, "25h"],
      [1_250.4, "1.25s"],
      [-61_000, "-1m01s"]
    ]
    for (const [ms, text] of cases) expect([ms, formatTime(ms)]).toEqual([ms, text])
  })

  it("reads back as the same duration", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 * 3_600_000 }), (ms) => {
        expect(parseDuration(formatTime(ms))).toEqual(Either.right(ms))
      }),
      { seed: 42, numRuns: 500 }
    )
  })
})
