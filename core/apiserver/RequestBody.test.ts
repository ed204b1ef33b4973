import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { harness, send } from "./Harness.js"
import { parse } from "./RequestBody.js"

const bytes = (s: string) => new TextEncoder().encode(s)
const parseError = (s: string, format: "json" | "yaml" = "json", max = 1024) =>
  Effect.map(Effect.either(parse(bytes(s), format, max)), (e) => (Either.isLeft(e) ? e.left : undefined))

describe("request bodies", () => {
  it.effect("parses JSON and YAML", () =>
    Effect.gen(function* () {
      expect(yield* parse(bytes('{"a":[1,{"b":null}]}'), "json", 100)).toEqual({ a: [1, { b: null }] })
      expect(yield* parse(bytes("a:\n  - 1\n  - b: x\n"), "yaml", 100)).toEqual({ a: [1, { b: "x" }] })
    })
  )

  it.effect("bad JSON and YAML are 400 with line and column", () =>
    Effect.gen(function* () {
      const json = yield* parseError('{\n  "a": 1,\n  "b": }')
      expect(json?._tag).toBe("BadRequest")
      expect(json?.message).toBe('error decoding JSON at line 3, column 8: invalid character "}"')
      expect((yield* parseError('{"a": 1'))?.message).toContain("unexpected end of JSON input")
      expect((yield* parseError('{"a": 1} x'))?.message).toContain("line 1, column 10")
      const yaml = yield* parseError("a: [1\nb: 2", "yaml")
      expect(yaml?._tag).toBe("BadRequest")
      expect(yaml?.message).toMatch(/line \d+, column \d+/)
    })
  )

  it.effect("too large is 413, too deep is 400, invalid UTF-8 is 400", () =>
    Effect.gen(function* () {
      const large = yield* parseError(`"${"x".repeat(2000)}"`)
      expect(large?._tag).toBe("RequestEntityTooLarge")
      expect(large?.message).toBe("Request entity too large: limit is 1024")
      const deep = yield* Effect.either(parse(bytes("[".repeat(5000) + "]".repeat(5000)), "json", 1e6))
      expect(Either.isLeft(deep) && deep.left._tag).toBe("BadRequest")
      const deepYaml = yield* Effect.either(parse(bytes("[".repeat(20000) + "]".repeat(20000)), "yaml", 1e6))
      expect(Either.isLeft(deepYaml) && deepYaml.left._tag).toBe("BadRequest")
      const utf8 = yield* Effect.either(parse(new Uint8Array([0x7b, 0xff, 0x7d]), "json", 100))
      expect(Either.isLeft(utf8) && utf8.left._tag).toBe("BadRequest")
    })
  )

  it.effect("the server answers 415 for other media types and 413 beyond maxRequestBytes", () =>
    Effect.gen(function* () {
      const h = yield* harness({ maxRequestBytes: 64 })
      const xml = yield* send(h, "POST", "/api/v1/namespaces/default/pods", {
        text: "<pod/>",
        headers: { "content-type": "application/xml" }
      })
      expect(xml.status).toBe(415)
      expect(xml.body.reason).toBe("UnsupportedMediaType")
      const big = yield* send(h, "POST", "/api/v1/namespaces/default/pods", { json: { padding: "x".repeat(100) } })
      expect(big.status).toBe(413)
      const empty = yield* send(h, "POST", "/api/v1/namespaces/default/pods")
      expect(empty.status).toBe(400)
    })
  )
})
