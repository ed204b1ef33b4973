import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import * as V from "../../../core/api/validation.js"
import { labelValue, nodeGroups, uniqueNames } from "./TraceWorkload.js"

describe("trace names", () => {
  it("makes every trace id a distinct DNS-1123 label", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 80 }), { maxLength: 40 }), (ids) => {
        const name = uniqueNames()
        const names = ids.map(name)
        expect(new Set(names).size).toBe(names.length)
        for (const n of names) expect(V.dns1123Label(n)).toEqual([])
      }),
      { seed: 42, numRuns: 300 }
    )
  })

  it("keeps readable ids and only suffixes clashes", () => {
    const name = uniqueNames()
    expect(["j_1-M1-0", "J_1-m1-0", "task_ABC==", "x".repeat(70), "x".repeat(64)].map(name)).toEqual([
      "j-1-m1-0",
      "j-1-m1-0-2",
      "task-abc",
      "x".repeat(63),
      `${"x".repeat(61)}-2`
    ])
  })

  it("makes group ids valid label values", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (id) => {
        expect(V.labelValue(labelValue(id))).toEqual([])
      }),
      { seed: 42, numRuns: 300 }
    )
    expect(labelValue("j_1001")).toBe("j_1001")
  })
})

describe("node groups", () => {
  it("folds identical machines into groups in order of first appearance", () => {
    const m = (cpu: number) => ({ cpu, memory: 2 ** 30 })
    expect(nodeGroups("machine", [m(4000), m(8000), m(4000)])).toEqual([
      { name: "machine-4c-1g", count: 2, cpu: 4000, memory: 2 ** 30 },
      { name: "machine-8c-1g", count: 1, cpu: 8000, memory: 2 ** 30 }
    ])
  })
})
