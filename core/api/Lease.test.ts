import { describe, expect, it } from "@effect/vitest"
import type { Lease } from "./Lease.js"
import { Leases } from "./Lease.js"

const lease = (spec: Lease["spec"]): Lease => ({
  apiVersion: "coordination.k8s.io/v1",
  kind: "Lease",
  metadata: { name: "node-1", namespace: "kube-node-lease", creationTimestamp: "2024-01-01T00:00:00Z" },
  ...(spec === undefined ? {} : { spec })
})

describe("Lease", () => {
  it("validates the duration and transitions", () => {
    expect(Leases.validate(lease({ holderIdentity: "node-1", leaseDurationSeconds: 40 }), undefined)).toEqual([])
    expect(
      Leases.validate(lease({ leaseDurationSeconds: 0, leaseTransitions: -1 }), undefined).map(
        (e) => `${e.field}: ${e.message}`
      )
    ).toEqual([
      "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0",
      "spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0"
    ])
  })

  it("prints NAME HOLDER AGE", () => {
    const l = lease({ holderIdentity: "node-1" })
    expect(Leases.columns.map((c) => c.cell(l, "2024-01-01T00:00:10Z"))).toEqual(["node-1", "node-1", "10s"])
  })
})
