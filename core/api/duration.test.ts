import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import { age, formatDuration, humanDuration, parseDuration } from "./duration.js"

describe("duration", () => {
  it("humanDuration prints ages as kubectl does", () => {
    const cases: Array<[number, string]> = [
      [-2500, "<invalid>"],
      [-1500, "0s"],
      [45_000, "45s"],
      [119_999, "119s"],
      [120_000, "2m"],
      [312_000, "5m12s"],
      [600_000, "10m"],
      [3 * 3600e3, "3h"],
      [5 * 3600e3 + 30 * 60e3, "5h30m"],
      [10 * 3600e3, "10h"],
      [2 * 86400e3, "2d"],
      [3 * 86400e3 + 4 * 3600e3, "3d4h"],
      [9 * 86400e3, "9d"],
      [800 * 86400e3, "2y70d"],
      [3000 * 86400e3, "8y"]
    ]
    for (const [ms, text] of cases) expect([ms, humanDuration(ms)]).toEqual([ms, text])
  })

  it("age is the time from a timestamp to now, or <unknown>", () => {
    expect(age("2024-01-01T00:00:00Z", "2024-01-01T00:05:12Z")).toBe("5m12s")
    expect(age(undefined, "2024-01-01T00:00:00Z")).toBe("<unknown>")
    expect(age(null, "2024-01-01T00:00:00Z")).toBe("<unknown>")
  })

  it("parseDuration reads Go durations", () => {
    expect(parseDuration("1m30s")).toEqual(Either.right(90_000))
    expect(parseDuration("300ms")).toEqual(Either.right(300))
    expect(parseDuration("1.5h")).toEqual(Either.right(5_400_000))
    expect(parseDuration("-2h45m")).toEqual(Either.right(-9_900_000))
    expect(parseDuration(".5s")).toEqual(Either.right(500))
    expect(parseDuration("0")).toEqual(Either.right(0))
    expect(parseDuration("1h0m0s")).toEqual(Either.right(3_600_000))
    expect(parseDuration("1")).toEqual(Either.left('time: invalid duration "1"'))
    expect(parseDuration("")).toEqual(Either.left('time: invalid duration ""'))
    expect(parseDuration("3x")).toEqual(Either.left('time: unknown unit "x" in duration "3x"'))
  })

  it("formatDuration prints Go's Duration.String", () => {
    const cases: Array<[number, string]> = [
      [0, "0s"],
      [90_000, "1m30s"],
      [3_600_000, "1h0m0s"],
      [86_400_000, "24h0m0s"],
      [1500, "1.5s"],
      [300, "300ms"],
      [0.5, "500µs"],
      [0.0015, "1.5µs"],
      [-90_000, "-1m30s"]
    ]
    for (const [ms, text] of cases) expect([ms, formatDuration(ms)]).toEqual([ms, text])
  })

  it("formatDuration and parseDuration round-trip", () => {
    for (const ms of [1, 250, 1500, 61_000, 3_725_000, 90_061_500]) {
      expect(parseDuration(formatDuration(ms))).toEqual(Either.right(ms))
    }
  })
})
