import { describe, expect, it } from "@effect/vitest"
import type { Deployment } from "../../api/Deployment.js"
import type { IntOrString } from "../../api/IntOrString.js"
import { maxSurge, maxUnavailable, resolve } from "./Fenceposts.js"

const rolling = (replicas: number, surge: IntOrString, unavailable: IntOrString): Deployment => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web" },
  spec: {
    replicas,
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } }
  }
})

describe("Fenceposts", () => {
  it("takes percentages of replicas: surge rounded up, unavailable rounded down", () => {
    expect(resolve("25%", "25%", 10)).toEqual([3, 2])
    expect(resolve("25%", "25%", 3)).toEqual([1, 0])
    expect(resolve(2, "50%", 5)).toEqual([2, 2])
  })

  it("makes unavailable 1 when both resolve to zero", () => {
    expect(resolve("10%", "10%", 1)).toEqual([1, 0])
    expect(resolve(0, "10%", 5)).toEqual([0, 1])
  })

  it("caps unavailable at replicas, and both are 0 for Recreate", () => {
    expect(maxUnavailable(rolling(2, 0, 5))).toBe(2)
    expect(maxSurge(rolling(2, 0, 5))).toBe(0)
    expect(maxUnavailable(rolling(0, 1, 1))).toBe(0)
    const recreate: Deployment = { ...rolling(3, 1, 1), spec: { replicas: 3, strategy: { type: "Recreate" } } }
    expect([maxSurge(recreate), maxUnavailable(recreate)]).toEqual([0, 0])
  })
})
