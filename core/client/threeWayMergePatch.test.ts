import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { mergePatch } from "../apiserver/patch.js"
import { diffMergePatch, threeWayMergePatch } from "./threeWayMergePatch.js"
import { deepFreeze } from "../store/MemoryStore.js"

/** Inputs are frozen as the store freezes its objects: any write to them throws in strict mode. */
const json = (text: string): unknown => deepFreeze(JSON.parse(text))

describe("diffMergePatch", () => {
  it("sets changed and added keys and deletes removed ones with null", () => {
    const original = json(`{"a":1,"b":{"c":2,"d":3},"e":[1,2],"f":"same"}`)
    const modified = json(`{"a":2,"b":{"c":2},"e":[1],"f":"same","g":true}`)
    expect(diffMergePatch(original, modified)).toStrictEqual({ a: 2, b: { d: null }, e: [1], g: true })
  })

  it("is empty for equal objects", () => {
    expect(diffMergePatch(json(`{"a":{"b":[1]}}`), json(`{"a":{"b":[1]}}`))).toStrictEqual({})
  })

  // Objects whose values are never null: a merge patch cannot express a null value.
  const jsonObject = fc.object({ values: [fc.string(), fc.integer(), fc.boolean()], maxDepth: 3 })

  it("turns the original into the modified object when applied", () => {
    fc.assert(
      fc.property(jsonObject, jsonObject, (a, b) => {
        const original = deepFreeze(structuredClone(a))
        const modified = deepFreeze(structuredClone(b))
        const patch = deepFreeze(diffMergePatch(original, modified))
        expect(mergePatch(original, patch)).toStrictEqual(b)
        expect(original).toStrictEqual(a)
      }),
      { seed: 42, numRuns: 300 }
    )
  })
})

describe("threeWayMergePatch", () => {
  const lastApplied = json(`{"metadata":{"labels":{"app":"web","tier":"front"}},"data":{"a":"1","b":"2"}}`)
  const current = json(
    `{"metadata":{"labels":{"app":"web","tier":"front","owner":"ops"},"uid":"u1"},"data":{"a":"1","b":"2","c":"3"}}`
  )

  it("deletes keys removed since the last apply and sets changed ones", () => {
    const modified = json(`{"metadata":{"labels":{"app":"web"}},"data":{"a":"10","b":"2"}}`)
    expect(threeWayMergePatch(lastApplied, modified, current)).toStrictEqual({
      metadata: { labels: { tier: null } },
      data: { a: "10" }
    })
  })

  it("keeps fields that only other writers set", () => {
    const patch = threeWayMergePatch(lastApplied, lastApplied, current)
    expect(patch).toStrictEqual({})
    expect(mergePatch(current, patch)).toStrictEqual(current)
  })

  it("adds keys new to the configuration", () => {
    const modified = json(`{"metadata":{"labels":{"app":"web","tier":"front"}},"data":{"a":"1","b":"2","d":"4"}}`)
    expect(threeWayMergePatch(lastApplied, modified, current)).toStrictEqual({ data: { d: "4" } })
  })
})
