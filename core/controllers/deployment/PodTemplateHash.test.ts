import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import type { PodTemplateSpec } from "../../api/PodSpec.js"
import * as PodTemplateHash from "./PodTemplateHash.js"

const template: PodTemplateSpec = {
  metadata: { labels: { app: "web" } },
  spec: { containers: [{ name: "app", image: "nginx:1.27" }] }
}

describe("PodTemplateHash", () => {
  it("is stable: the same template hashes the same in every run and process", () => {
    expect(PodTemplateHash.compute(template)).toBe("66764b56c4")
    expect(PodTemplateHash.compute(template, 1)).toBe("fbf75495f")
  })

  it("ignores key order and empty fields, as Go's semantic equality does", () => {
    const reordered: PodTemplateSpec = {
      spec: { containers: [{ image: "nginx:1.27", name: "app" }] },
      metadata: { annotations: {}, creationTimestamp: null, labels: { app: "web" } }
    }
    expect(PodTemplateHash.compute(reordered)).toBe(PodTemplateHash.compute(template))
  })

  it("changes with the template and with the collision count", () => {
    const other = { ...template, spec: { containers: [{ name: "app", image: "nginx:1.28" }] } }
    const hashes = new Set([
      PodTemplateHash.compute(template),
      PodTemplateHash.compute(other),
      PodTemplateHash.compute(template, 1),
      PodTemplateHash.compute(template, 2)
    ])
    expect(hashes.size).toBe(4)
  })

  it("uses only the safe alphabet (no vowels, no look-alikes)", () => {
    fc.assert(
      fc.property(fc.string(), fc.option(fc.nat(), { nil: undefined }), (image, collisions) => {
        const hash = PodTemplateHash.compute({ spec: { containers: [{ name: "c", image }] } }, collisions)
        expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/)
      }),
      { seed: 42, numRuns: 200 }
    )
  })

  it("compares templates ignoring the hash label", () => {
    const labelled = PodTemplateHash.addLabel(template, "abc")
    expect(labelled.metadata?.labels).toEqual({ app: "web", "pod-template-hash": "abc" })
    expect(PodTemplateHash.equalIgnoreHash(labelled, template)).toBe(true)
    expect(PodTemplateHash.equalIgnoreHash(labelled, PodTemplateHash.addLabel(template, "def"))).toBe(true)
    const other = { ...template, spec: { containers: [{ name: "app", image: "nginx:1.28" }] } }
    expect(PodTemplateHash.equalIgnoreHash(labelled, other)).toBe(false)
  })
})
