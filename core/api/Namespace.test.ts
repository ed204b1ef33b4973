import { describe, expect, it } from "@effect/vitest"
import type { Namespace } from "./Namespace.js"
import { Namespaces } from "./Namespace.js"

const ns = (name: string, extra: Partial<Namespace> = {}): Namespace => ({
  apiVersion: "v1",
  kind: "Namespace",
  metadata: { name, creationTimestamp: "2024-01-01T00:00:00Z" },
  ...extra
})

describe("Namespace", () => {
  it("defaults the phase to Active but adds no finalizer (the API server does, on create)", () => {
    expect(Namespaces.defaults(ns("team-a"))).toEqual({ ...ns("team-a"), status: { phase: "Active" } })
    const terminating = ns("team-a", { spec: { finalizers: ["kubernetes"] }, status: { phase: "Terminating" } })
    expect(Namespaces.defaults(terminating)).toEqual(terminating)
    // A finalize request without the finalizer must not get it back from defaulting.
    const finalized = ns("team-a", { spec: {} })
    expect(Namespaces.defaults(finalized).spec).toEqual({})
  })

  it("names namespaces as DNS-1123 labels", () => {
    expect(Namespaces.validate(Namespaces.defaults(ns("team-a")), undefined)).toEqual([])
    expect(Namespaces.validate(ns("team.a"), undefined).map((e) => e.field)).toEqual(["metadata.name"])
    expect(Namespaces.validate(ns("a", { spec: { finalizers: ["custom"] } }), undefined).map((e) => e.message)).toEqual(
      ['Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified']
    )
  })

  it("prints NAME STATUS AGE and selects on status.phase", () => {
    const n = Namespaces.defaults(ns("team-a"))
    expect(Namespaces.columns.map((c) => c.cell(n, "2024-01-01T00:00:30Z"))).toEqual(["team-a", "Active", "30s"])
    expect(Namespaces.fields["status.phase"](n)).toBe("Active")
  })
})
