import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { equals } from "./JsonValue.js"

/** The reference: JSON with keys sorted and undefined-valued keys left out. */
const canonical = (v: unknown): string => {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`
  if (typeof v === "object" && v !== null) {
    const o = v as Record<string, unknown>
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(",")}}`
  }
  return v === undefined ? "undefined" : JSON.stringify(v)
}

// Few keys and values, so that two values drawn apart are often equal or nearly so.
const small = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom(0, 1, "a", "b", true, null, undefined),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom("a", "b", "c", "__proto__"), tie("value"), { maxKeys: 3 })
  )
})).value

/** The same value with its keys in reverse order and a key set to undefined added to each object. */
const shuffled = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(shuffled)
  if (typeof v !== "object" || v === null) return v
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(v).reverse()) out[k] = shuffled((v as Record<string, unknown>)[k])
  out["absent"] ??= undefined
  return out
}

describe("equals", () => {
  it("agrees with comparing canonical JSON", () => {
    fc.assert(
      fc.property(small, small, (a, b) => {
        expect(equals(a, b)).toBe(canonical(a) === canonical(b))
      }),
      { seed: 42, numRuns: 2000 }
    )
  })

  it("ignores key order and keys set to undefined", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (a) => {
        expect(equals(a, shuffled(a))).toBe(true)
        expect(equals(shuffled(a), a)).toBe(true)
      }),
      { seed: 42, numRuns: 500 }
    )
  })

  it("reads only own keys: a __proto__ key is data, not the prototype", () => {
    const withProto = JSON.parse('{"__proto__": {}}') as unknown
    expect(equals(withProto, { a: 1 })).toBe(false)
    expect(equals({ a: 1 }, withProto)).toBe(false)
    expect(equals(withProto, JSON.parse('{"__proto__": {}}'))).toBe(true)
    expect(equals(withProto, {})).toBe(false)
  })

  it("tells arrays from objects with the same keys", () => {
    expect(equals(["x"], { 0: "x" })).toBe(false)
    expect(equals({ 0: "x" }, ["x"])).toBe(false)
  })
})
