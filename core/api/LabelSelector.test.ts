import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as fc from "fast-check"
import * as LabelSelector from "./LabelSelector.js"

const parse = (s: string) => Either.getOrThrow(LabelSelector.parse(s))
const matches = (s: string, labels?: Record<string, string>) => LabelSelector.matches(parse(s), labels)

describe("LabelSelector", () => {
  it("parses every operator of the string form, whitespace tolerant", () => {
    expect(LabelSelector.format(parse("app=web"))).toBe("app=web")
    expect(LabelSelector.format(parse("app==web, tier != db"))).toBe("app==web,tier!=db")
    expect(LabelSelector.format(parse("env in (prod, dev),!canary"))).toBe("!canary,env in (dev,prod)")
    expect(LabelSelector.format(parse("  a , b notin (x) "))).toBe("a,b notin (x)")
    expect(LabelSelector.format(parse("example.com/tier=fe"))).toBe("example.com/tier=fe")
    expect(LabelSelector.format(parse("a="))).toBe("a=")
    expect(LabelSelector.isEmpty(parse(""))).toBe(true)
    expect(LabelSelector.isEmpty(parse("   "))).toBe(true)
  })

  it("matches as Kubernetes does", () => {
    const labels = { app: "web", tier: "fe" }
    expect(matches("app=web", labels)).toBe(true)
    expect(matches("app=db", labels)).toBe(false)
    expect(matches("app!=db", labels)).toBe(true)
    expect(matches("missing!=x", labels)).toBe(true)
    expect(matches("tier in (fe,be)", labels)).toBe(true)
    expect(matches("tier notin (fe)", labels)).toBe(false)
    expect(matches("missing notin (fe)", labels)).toBe(true)
    expect(matches("app", labels)).toBe(true)
    expect(matches("!app", labels)).toBe(false)
    expect(matches("app=web,tier=be", labels)).toBe(false)
    expect(matches("app", undefined)).toBe(false)
    expect(LabelSelector.matches(LabelSelector.everything, undefined)).toBe(true)
  })

  it("refuses bad input with a message", () => {
    const errors: Array<[string, string]> = [
      ["a in ()", "for 'in', 'notin' operators, values set can't be empty"],
      ["x y", "unable to parse requirement: found 'y', expected: =, !=, ==, in, notin"],
      ["a=b=c", "unable to parse requirement: found '=', expected: ',' or 'end of string'"],
      ["a=b,", "unable to parse requirement: found 'end of string', expected: !, identifier"],
      ["!a=b", "unable to parse requirement: found '=', expected: ',' or 'end of string'"],
      ["a in (x", "unable to parse requirement: found 'end of string', expected: ',' or ')'"]
    ]
    for (const [input, message] of errors)
      expect([input, LabelSelector.parse(input)]).toEqual([input, Either.left(message)])
    expect(LabelSelector.parse("bad_key_=x")).toEqual(
      Either.left(expect.stringContaining('invalid label key "bad_key_"'))
    )
    expect(LabelSelector.parse("a=bad value")).toEqual(Either.left(expect.stringContaining("found 'value'")))
    expect(LabelSelector.parse("a=-x")).toEqual(Either.left(expect.stringContaining('invalid label value: "-x"')))
  })

  it("turns a metav1.LabelSelector into a selector", () => {
    const sel = Either.getOrThrow(
      LabelSelector.fromLabelSelector({
        matchLabels: { app: "web" },
        matchExpressions: [
          { key: "tier", operator: "In", values: ["fe", "be"] },
          { key: "canary", operator: "DoesNotExist" }
        ]
      })
    )
    expect(LabelSelector.format(sel)).toBe("app=web,!canary,tier in (be,fe)")
    expect(LabelSelector.matches(sel, { app: "web", tier: "be" })).toBe(true)
    expect(LabelSelector.matches(sel, { app: "web", tier: "be", canary: "1" })).toBe(false)
    expect(LabelSelector.isEmpty(Either.getOrThrow(LabelSelector.fromLabelSelector({})))).toBe(true)
    expect(LabelSelector.fromLabelSelector({ matchExpressions: [{ key: "a", operator: "Near" }] })).toEqual(
      Either.left('"Near" is not a valid label selector operator')
    )
    expect(LabelSelector.formatLabelSelector({})).toBe("<none>")
    expect(LabelSelector.formatLabelSelector({ matchLabels: { app: "web" } })).toBe("app=web")
  })

  it("validates a selector object with Kubernetes' field errors", () => {
    expect(
      LabelSelector.validate("spec.selector", {
        matchLabels: { "bad key": "v" },
        matchExpressions: [
          { key: "a", operator: "In" },
          { key: "b", operator: "Exists", values: ["x"] },
          { key: "c", operator: "Near" }
        ]
      }).map((e) => `${e.field}: ${e.message}`)
    ).toEqual([
      expect.stringMatching(/^spec\.selector\.matchLabels: Invalid value: "bad key": name part must consist of/),
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      'spec.selector.matchExpressions[2].operator: Invalid value: "Near": not a valid selector operator'
    ])
  })

  it("format ∘ parse round-trips (property)", () => {
    const name = fc.stringMatching(/^[a-z0-9]([a-z0-9._-]{0,8}[a-z0-9])?$/)
    const key = fc
      .tuple(fc.option(fc.constantFrom("example.com", "k8s.io"), { nil: undefined }), name)
      .map(([p, n]) => (p === undefined ? n : `${p}/${n}`))
    const requirement = fc.oneof(
      fc
        .tuple(key, fc.constantFrom("=", "==", "!="), fc.oneof(name, fc.constant("")))
        .map(([k, op, v]) => `${k}${op}${v}`),
      fc
        .tuple(key, fc.constantFrom("in", "notin"), fc.array(name, { minLength: 1, maxLength: 3 }))
        .map(([k, op, vs]) => `${k} ${op} (${vs.join(", ")})`),
      key,
      key.map((k) => `!${k}`)
    )
    fc.assert(
      fc.property(fc.array(requirement, { maxLength: 5 }), (parts) => {
        const sel = parse(parts.join(","))
        const printed = LabelSelector.format(sel)
        expect(parse(printed)).toEqual(sel)
        expect(LabelSelector.format(parse(printed))).toBe(printed)
      }),
      { seed: 42, numRuns: 300 }
    )
  })
})
