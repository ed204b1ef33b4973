import { describe, expect, it } from "@effect/vitest"
import type { Deployment } from "../../api/Deployment.js"
import type { ReplicaSet } from "../../api/ReplicaSet.js"
import { isScalingEvent, plan } from "./Scale.js"

const deployment = (replicas: number): Deployment => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", generation: 2 },
  spec: { replicas, strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } },
  status: { replicas: 13 }
})

const replicaSet = (
  name: string,
  replicas: number,
  created: string,
  annotations: Record<string, string>
): ReplicaSet => ({
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: { name, uid: name, creationTimestamp: created, annotations },
  spec: { replicas },
  status: { replicas, availableReplicas: replicas }
})

const sized = { "deployment.kubernetes.io/desired-replicas": "10", "deployment.kubernetes.io/max-replicas": "13" }
const older = replicaSet("web-a", 8, "2024-01-01T00:00:00Z", sized)
const newer = replicaSet("web-b", 5, "2024-01-01T00:01:00Z", sized)
const sizes = (steps: ReturnType<typeof plan>) => Object.fromEntries(steps.map((s) => [s.rs.metadata.name, s.replicas]))

describe("Scale", () => {
  it("notices a change of replicas from the desired-replicas annotation", () => {
    expect(isScalingEvent(deployment(10), [older, newer])).toBe(false)
    expect(isScalingEvent(deployment(20), [older, newer])).toBe(true)
  })

  it("spreads an increase over the active ReplicaSets in proportion to their size", () => {
    // 23 allowed (20 + surge 3) instead of 13: 8·23/13 ≈ 14 and 5·23/13 ≈ 9.
    expect(sizes(plan(deployment(20), newer, [older]))).toEqual({ "web-a": 14, "web-b": 9 })
  })

  it("spreads a decrease the same way, leftovers to the largest", () => {
    // 8 allowed (5 + 3): 8·8/13 ≈ 5 and 5·8/13 ≈ 3.
    expect(sizes(plan(deployment(5), newer, [older]))).toEqual({ "web-a": 5, "web-b": 3 })
    expect(sizes(plan(deployment(0), newer, [older]))).toEqual({ "web-a": 0, "web-b": 0 })
  })

  it("gives everything to the only active ReplicaSet", () => {
    const idle = replicaSet("web-a", 0, "2024-01-01T00:00:00Z", sized)
    expect(sizes(plan(deployment(20), newer, [idle]))).toEqual({ "web-b": 20 })
    expect(plan(deployment(5), { ...newer, spec: { replicas: 5 } }, [idle])).toEqual([])
  })
})
