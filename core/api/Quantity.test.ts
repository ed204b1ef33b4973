import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as fc from "fast-check"
import * as Quantity from "./Quantity.js"

const canonical = (s: string | number) => Quantity.format(Quantity.unsafeParse(s))

describe("Quantity", () => {
  it("parses and prints the canonical form Kubernetes prints", () => {
    const cases: Array<[string | number, string]> = [
      ["500m", "500m"],
      ["0.5", "500m"],
      [".5", "500m"],
      ["2", "2"],
      ["2000m", "2"],
      ["1000", "1k"],
      ["1500", "1500"],
      ["128Mi", "128Mi"],
      ["4096Mi", "4Gi"],
      ["1.5Gi", "1536Mi"],
      ["0.5Ki", "512"],
      ["1e3", "1e3"],
      ["1E3", "1e3"],
      ["12e2", "1200"],
      ["1e-10", "1e-9"],
      ["0.1n", "1n"],
      ["-2", "-2"],
      ["+1", "1"],
      ["5.", "5"],
      ["1E", "1E"],
      ["0", "0"],
      [" 1Mi ", "1Mi"],
      [1, "1"],
      [0.25, "250m"]
    ]
    for (const [input, expected] of cases) expect([input, canonical(input)]).toEqual([input, expected])
  })

  it("remembers the notation it was written in", () => {
    expect(Quantity.unsafeParse("1Ki").format).toBe("BinarySI")
    expect(Quantity.unsafeParse("1k").format).toBe("DecimalSI")
    expect(Quantity.unsafeParse("1e3").format).toBe("DecimalExponent")
  })

  it("refuses bad input with a message naming the value", () => {
    for (const bad of ["abc", "1K", "1e", "", "Mi", "1.2.3", "--1", "1 Mi"]) {
      const result = Quantity.parse(bad)
      expect(Either.isLeft(result)).toBe(true)
      if (Either.isLeft(result)) expect(result.left).toContain(`"${bad.trim()}"`)
    }
    expect(Quantity.parse("abc")).toEqual(
      Either.left(
        `invalid quantity "abc": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`
      )
    )
    expect(Either.isLeft(Quantity.parse(Number.NaN))).toBe(true)
  })

  it("adds, subtracts and compares exactly", () => {
    const q = Quantity.unsafeParse
    expect(Quantity.format(Quantity.add(q("100m"), q("200m")))).toBe("300m")
    expect(Quantity.format(Quantity.add(q("1Gi"), q("512Mi")))).toBe("1536Mi")
    expect(Quantity.format(Quantity.subtract(q("1"), q("250m")))).toBe("750m")
    expect(Quantity.format(Quantity.add(Quantity.zero, q("64Mi")))).toBe("64Mi")
    expect(Quantity.compare(q("1"), q("1000m"))).toBe(0)
    expect(Quantity.compare(q("1Gi"), q("1G"))).toBe(1)
    expect(Quantity.compare(q("999m"), q("1"))).toBe(-1)
  })

  it("gives milli-values and values rounded up", () => {
    expect(Quantity.milliValue(Quantity.unsafeParse("1.5"))).toBe(1500)
    expect(Quantity.milliValue(Quantity.unsafeParse("1n"))).toBe(1)
    expect(Quantity.value(Quantity.unsafeParse("128Mi"))).toBe(134217728)
    expect(Quantity.value(Quantity.unsafeParse("100m"))).toBe(1)
  })

  it("caps at the largest int64 value", () => {
    expect(canonical("9999999999999999999999Ei")).toBe("9223372036854775807")
  })

  it("QuantityString accepts strings and numbers and refuses malformed ones", () => {
    const decode = Schema.decodeUnknownEither(Quantity.QuantityString)
    expect(decode("250m")).toEqual(Either.right("250m"))
    expect(decode(2)).toEqual(Either.right(2))
    expect(Either.isLeft(decode("lots"))).toBe(true)
    expect(Either.isLeft(decode(true))).toBe(true)
  })

  it("format is a fixed point of parse (property)", () => {
    const suffix = fc.constantFrom("", "n", "u", "m", "k", "M", "G", "T", "Ki", "Mi", "Gi", "Ti", "e3", "e-3", "E6")
    const input = fc
      .tuple(
        fc.constantFrom("", "-"),
        fc.nat({ max: 99999 }),
        fc.option(fc.nat({ max: 999 }), { nil: undefined }),
        suffix
      )
      .map(([sign, whole, fraction, s]) => `${sign}${whole}${fraction === undefined ? "" : `.${fraction}`}${s}`)
    fc.assert(
      fc.property(input, (s) => {
        const q = Quantity.unsafeParse(s)
        const again = Quantity.unsafeParse(Quantity.format(q))
        return again.nanos === q.nanos && Quantity.format(again) === Quantity.format(q)
      }),
      { seed: 42, numRuns: 500 }
    )
  })
})
