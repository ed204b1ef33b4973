import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as FieldSelector from "./FieldSelector.js"

const fields: Record<string, string> = { "spec.nodeName": "node-1", "status.phase": "Running" }
const get = (path: string) => fields[path]
const matches = (s: string) => FieldSelector.matches(Either.getOrThrow(FieldSelector.parse(s)), get)

describe("FieldSelector", () => {
  it("parses =, == and != terms separated by commas", () => {
    const sel = Either.getOrThrow(FieldSelector.parse("spec.nodeName=node-1,status.phase!=Failed,metadata.name==web"))
    expect(sel.requirements).toEqual([
      { field: "spec.nodeName", operator: "=", value: "node-1" },
      { field: "status.phase", operator: "!=", value: "Failed" },
      { field: "metadata.name", operator: "=", value: "web" }
    ])
    expect(FieldSelector.fieldsOf(sel)).toEqual(["spec.nodeName", "status.phase", "metadata.name"])
    expect(Either.getOrThrow(FieldSelector.parse("")).requirements).toEqual([])
  })

  it("matches, reading a missing field as empty", () => {
    expect(matches("spec.nodeName=node-1")).toBe(true)
    expect(matches("spec.nodeName=node-2")).toBe(false)
    expect(matches("status.phase!=Failed,spec.nodeName=node-1")).toBe(true)
    expect(matches("status.podIP=")).toBe(true)
    expect(matches("status.podIP!=")).toBe(false)
    expect(matches("")).toBe(true)
  })

  it("unescapes values and refuses terms without an operator", () => {
    expect(Either.getOrThrow(FieldSelector.parse("a=b\\,c")).requirements[0].value).toBe("b,c")
    expect(FieldSelector.parse("spec.nodeName")).toEqual(
      Either.left("invalid selector: 'spec.nodeName'; can't understand 'spec.nodeName'")
    )
    expect(FieldSelector.parse("=x")).toEqual(Either.left("invalid selector: '=x'; can't understand '=x'"))
    expect(Either.isLeft(FieldSelector.parse("a=b=c"))).toBe(true)
  })
})
