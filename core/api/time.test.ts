import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { microTime, rfc3339, timeMillis } from "./time.js"

describe("time formats", () => {
  it("write whole seconds and microseconds, the same for any order of calls", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 4_102_444_800_000 }), { maxLength: 20 }), (times) => {
        for (const millis of [...times, ...times.reverse()]) {
          const iso = new Date(millis).toISOString()
          expect(rfc3339(millis)).toBe(`${iso.slice(0, 19)}Z`)
          expect(microTime(millis)).toBe(`${iso.slice(0, 23)}000Z`)
        }
      }),
      { seed: 42, numRuns: 200 }
    )
  })

  it("read back what they write", () => {
    expect(rfc3339(1_735_689_601_999)).toBe("2025-01-01T00:00:01Z")
    expect(timeMillis(rfc3339(1_735_689_601_999))).toBe(1_735_689_601_000)
    expect(microTime(1_735_689_601_999)).toBe("2025-01-01T00:00:01.999000Z")
    expect(timeMillis(microTime(1_735_689_601_999))).toBe(1_735_689_601_999)
  })
})
