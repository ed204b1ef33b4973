import * as Either from "effect/Either"
import { describe, expect, it } from "vitest"
import { decode } from "../api/decode.js"
import { Pods } from "../api/Pod.js"
import { deepFreeze } from "../store/MemoryStore.js"
import { decodeRemembering } from "./DecodeCache.js"

const spec = () => ({ containers: [{ name: "app", image: "app:1", resources: { requests: { cpu: "100m" } } }] })
const pod = (podSpec: unknown, extra: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: "default" },
  spec: podSpec,
  ...extra
})

describe("DecodeCache", () => {
  it("reuses a frozen field a full decode accepted, answering what a full decode does", () => {
    const stored = deepFreeze(spec())
    const first = Either.getOrThrow(decodeRemembering(Pods, pod(stored), "Strict"))
    expect(first.object.spec).not.toBe(stored)
    const again = Either.getOrThrow(decodeRemembering(Pods, pod(stored, { status: { phase: "Running" } }), "Strict"))
    expect(again.object.spec).toBe(stored)
    const full = Either.getOrThrow(decode(Pods, pod(stored, { status: { phase: "Running" } }), "Strict"))
    expect(JSON.stringify(again.object)).toBe(JSON.stringify(full.object))
  })

  it("still checks the rest of a body whose spec it remembers", () => {
    const stored = deepFreeze(spec())
    decodeRemembering(Pods, pod(stored), "Strict")
    const bad = decodeRemembering(Pods, pod(stored, { status: { phase: 3 } }), "Strict")
    expect(Either.isLeft(bad)).toBe(true)
    const warned = Either.getOrThrow(decodeRemembering(Pods, pod(stored, { bogus: 1 }), "Warn"))
    expect(warned.warnings).toEqual([`unknown field "bogus"`])
    expect(warned.object.spec).toBe(stored)
  })

  it("remembers neither objects that can change nor ones the decoder changes or refuses", () => {
    const open = spec()
    decodeRemembering(Pods, pod(open), "Strict")
    expect(Either.getOrThrow(decodeRemembering(Pods, pod(open), "Strict")).object.spec).not.toBe(open)
    const withNull = deepFreeze({ ...spec(), nodeName: null })
    decodeRemembering(Pods, pod(withNull), "Strict")
    const decoded = Either.getOrThrow(decodeRemembering(Pods, pod(withNull), "Strict"))
    expect(decoded.object.spec).not.toBe(withNull)
    expect(decoded.object.spec).not.toHaveProperty("nodeName")
    const unknown = deepFreeze({ ...spec(), bogus: true })
    decodeRemembering(Pods, pod(unknown), "Ignore")
    expect(Either.isLeft(decodeRemembering(Pods, pod(unknown), "Strict"))).toBe(true)
  })
})
