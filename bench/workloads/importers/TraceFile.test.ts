import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import { csvRows, csvRowsWithHeader, jsonRows, reading } from "./TraceFile.js"

/** The one line an import fails with. */
const failure = <A>(read: () => A): string => {
  const result = reading(read)
  return Either.isLeft(result) ? result.left.toString() : "no error"
}

describe("CSV rows", () => {
  it("reads cells by column name and skips blank lines, counting lines as written", () => {
    const [a, b] = csvRows("x,1.5,\n\n y,2,7\n", "f.csv", ["name", "size", "count"])
    expect([a!.line, a!.text("name"), a!.number("size"), a!.optionalInteger("count")]).toEqual([1, "x", 1.5, undefined])
    expect([b!.line, b!.text("name"), b!.integer("count")]).toEqual([3, " y", 7])
  })

  it("names the file, line, column and column name of a bad cell", () => {
    const names = ["name", "size", "count"]
    expect(failure(() => csvRows("x,1,2\nyy,-3,4", "f.csv", names)[1]!.number("size"))).toBe(
      "f.csv:2:4: size: must not be negative: -3"
    )
    expect(failure(() => csvRows("x,1,2\nyy,3,4.5", "f.csv", names)[1]!.integer("count"))).toBe(
      "f.csv:2:6: count: not a whole number: 4.5"
    )
    expect(failure(() => csvRows("x,1e", "f.csv", names))).toBe("f.csv:1:5: count: expected 3 columns, found 2")
    expect(failure(() => csvRows("x,1,2,3", "f.csv", names))).toBe("f.csv:1:7: expected 3 columns, found 4")
    expect(failure(() => csvRows(",1,2", "f.csv", names)[0]!.text("name"))).toBe("f.csv:1:1: name: must not be empty")
    expect(failure(() => csvRows("a,1,2", "f.csv", names)[0]!.oneOf("name", ["b", "c"]))).toBe(
      'f.csv:1:1: name: unknown value "a" (expected one of b, c)'
    )
  })

  it("finds columns by the header in any order and requires the ones asked for", () => {
    const [row] = csvRowsWithHeader("b,a\r\n2,1\r\n", "h.csv", ["a", "b"])
    expect([row!.line, row!.integer("a"), row!.integer("b")]).toEqual([2, 1, 2])
    expect(failure(() => csvRowsWithHeader("b,a\n2,1\n", "h.csv", ["a", "c"]))).toBe(
      "h.csv:1:4: c: missing from the header (b,a)"
    )
  })
})

describe("JSON lines", () => {
  it("reads numbers written as numbers or strings, ids kept as written, enums by number or name", () => {
    const [row] = jsonRows('{"t":"12","id":"9223372036854775806","r":{"c":0.5},"e":"B","n":null}\n', "j.jsonl")
    expect([row!.integer("t"), row!.id("id"), row!.optionalNumber("r.c"), row!.optionalNumber("n")]).toEqual([
      12,
      "9223372036854775806",
      0.5,
      undefined
    ])
    expect([row!.code("e", ["A", "B"]), row!.optionalNumber("r.missing")]).toEqual([1, undefined])
  })

  it("names the line, the column where the value starts and the field path", () => {
    const text = '{"a":1}\n{"t": 1, "r": {"c": "half"}}'
    expect(failure(() => jsonRows(text, "j.jsonl")[1]!.optionalNumber("r.c"))).toBe(
      'j.jsonl:2:21: r.c: not a number: "half"'
    )
    expect(failure(() => jsonRows('{"e": 7}', "j.jsonl")[0]!.code("e", ["A", "B"]))).toBe(
      "j.jsonl:1:7: e: unknown value 7 (expected one of A, B or 0–1)"
    )
    expect(failure(() => jsonRows('{"a":1}\n[1]', "j.jsonl"))).toBe("j.jsonl:2:1: expected one JSON object per line")
    expect(failure(() => jsonRows('{"a":1,,}', "j.jsonl"))).toMatch(/^j\.jsonl:1:8: not valid JSON: /)
  })
})
