import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as fc from "fast-check"
import { formatDuration } from "../../core/api/duration.js"
import { parseDuration, parseRange } from "./Duration.js"

describe("parseDuration", () => {
  it("reads Go durations in milliseconds", () => {
    expect(parseDuration("500ms")).toEqual(Either.right(500))
    expect(parseDuration("30s")).toEqual(Either.right(30_000))
    expect(parseDuration("2m")).toEqual(Either.right(120_000))
    expect(parseDuration("1h")).toEqual(Either.right(3_600_000))
    expect(parseDuration("1m30s")).toEqual(Either.right(90_000))
    expect(parseDuration("1.5s")).toEqual(Either.right(1_500))
    expect(parseDuration("0")).toEqual(Either.right(0))
  })

  it("refuses negative, unit-less, unknown-unit and sub-millisecond durations", () => {
    expect(parseDuration("-5s")).toEqual(Either.left(`duration "-5s" must not be negative`))
    expect(parseDuration("30")).toEqual(Either.left(`missing unit in duration "30"`))
    expect(parseDuration("1x")).toEqual(Either.left(`unknown unit "x" in duration "1x"`))
    expect(parseDuration("soon")).toEqual(Either.left(`invalid duration "soon"`))
    expect(parseDuration("1500us")).toEqual(Either.left(`duration "1500us" is not a whole number of milliseconds`))
  })

  it("reads back what Go's Duration.String prints, for any whole number of milliseconds", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 24 * 3_600_000 }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toEqual(Either.right(ms))
      }),
      { seed: 42, numRuns: 500 }
    )
  })
})

describe("parseRange", () => {
  it("reads `min-max` or one duration", () => {
    expect(parseRange("1ms-5ms")).toEqual(Either.right({ min: 1, max: 5 }))
    expect(parseRange("200ms - 2s")).toEqual(Either.right({ min: 200, max: 2_000 }))
    expect(parseRange("3s")).toEqual(Either.right({ min: 3_000, max: 3_000 }))
  })

  it("refuses a range that starts after it ends, or a bad bound", () => {
    expect(parseRange("5ms-1ms")).toEqual(Either.left(`range "5ms-1ms" starts after it ends`))
    expect(parseRange("1ms-5")).toEqual(Either.left(`missing unit in duration "5"`))
    expect(parseRange("-1ms")).toEqual(Either.left(`duration "-1ms" must not be negative`))
  })
})
