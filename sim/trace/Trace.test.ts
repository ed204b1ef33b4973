import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { createHash } from "node:crypto"
import { Trace } from "./Trace.js"

const emptySha256 = createHash("sha256").digest("hex")

describe("Trace", () => {
  it("writes t, c, e first, then the data keys sorted", () => {
    const written: Array<string> = []
    const trace = new Trace((line) => written.push(line))
    trace.record(0, "scheduler", "bind", { pod: "default/web-1", node: "node-2", attempt: 1, ok: true })
    trace.record(1500, "node-1", "heartbeat")
    trace.record(1501, "scenario", "step", { text: 'say "hi"\n', zone: "a", index: 3 })
    expect(written).toEqual([
      '{"t":0,"c":"scheduler","e":"bind","attempt":1,"node":"node-2","ok":true,"pod":"default/web-1"}\n',
      '{"t":1500,"c":"node-1","e":"heartbeat"}\n',
      '{"t":1501,"c":"scenario","e":"step","index":3,"text":"say \\"hi\\"\\n","zone":"a"}\n'
    ])
    for (const line of written) expect(JSON.parse(line)).toHaveProperty("t")
    expect(trace.lines()).toBe(3)
  })

  it("hashes exactly what the sink wrote, and keeps hashing after a look", () => {
    let file = ""
    const trace = new Trace((line) => (file += line))
    expect(trace.sha256()).toBe(emptySha256)
    trace.record(1, "apiserver", "create", { key: "/pods/default/a" })
    expect(trace.sha256()).toBe(createHash("sha256").update(file).digest("hex"))
    trace.record(2, "apiserver", "delete", { key: "/pods/default/a" })
    expect(trace.sha256()).toBe(createHash("sha256").update(file).digest("hex"))
  })

  it("does not depend on the order data keys were given in, nor on having a sink", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            t: fc.nat(),
            c: fc.constantFrom("scheduler", "node-1", "controller-manager"),
            e: fc.string(),
            data: fc.dictionary(
              fc.string().filter((k) => !["t", "c", "e", "__proto__"].includes(k)),
              fc.oneof(fc.string(), fc.integer(), fc.boolean())
            )
          }),
          { maxLength: 20 }
        ),
        (events) => {
          const sorted = new Trace(() => {})
          const reversed = new Trace()
          for (const { t, c, e, data } of events) {
            sorted.record(t, c, e, data)
            reversed.record(t, c, e, Object.fromEntries(Object.entries(data).reverse()))
          }
          expect(reversed.sha256()).toBe(sorted.sha256())
          expect(reversed.lines()).toBe(events.length)
        }
      ),
      { seed: 42, numRuns: 200 }
    )
  })

  it("refuses data keys that the line itself uses", () => {
    expect(() => new Trace().record(0, "scheduler", "bind", { t: 1 })).toThrow(/reserved/)
  })
})
