import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { KeyIndex } from "./KeyIndex.js"

const key = fc.string({ unit: fc.constantFrom("a", "b", "/"), maxLength: 4 })

describe("KeyIndex", () => {
  it("reads the same ranges as a sorted array, across block splits and removals", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), key), { maxLength: 200 }),
        fc.array(fc.tuple(key, fc.boolean(), fc.option(key, { nil: undefined }), fc.nat({ max: 6 })), {
          maxLength: 20
        }),
        (writes, reads) => {
          const index = new KeyIndex(4)
          const model = new Set<string>()
          for (const [add, k] of writes) {
            if (add && !model.has(k)) {
              index.insert(k)
              model.add(k)
            } else if (!add && model.has(k)) {
              index.remove(k)
              model.delete(k)
            }
          }
          const sorted = [...model].sort((a, b) => (a < b ? -1 : 1))
          for (const [from, exclusive, end, limit] of reads) {
            const inRange = sorted.filter((k) => (exclusive ? k > from : k >= from) && (end === undefined || k < end))
            const cap = limit === 0 ? Infinity : limit
            expect(index.range(from, exclusive, end, cap)).toEqual({
              keys: inRange.slice(0, cap),
              remaining: Math.max(0, inRange.length - cap)
            })
          }
        }
      ),
      { seed: 42, numRuns: 500 }
    )
  })
})
