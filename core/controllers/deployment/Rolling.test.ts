import { describe, expect, it } from "@effect/vitest"
import type { Deployment } from "../../api/Deployment.js"
import type { ReplicaSet } from "../../api/ReplicaSet.js"
import { newReplicaSetReplicas, scaleDownOld } from "./Rolling.js"

const deployment = (replicas: number, maxSurge: number, maxUnavailable: number): Deployment => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web" },
  spec: { replicas, strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge, maxUnavailable } } }
})

const replicaSet = (name: string, replicas: number, status: { replicas?: number; available?: number } = {}) =>
  ({
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { name, uid: name, creationTimestamp: `2024-01-01T00:00:0${name.slice(-1)}Z` },
    spec: { replicas },
    status: { replicas: status.replicas ?? replicas, availableReplicas: status.available ?? replicas }
  }) satisfies ReplicaSet

const sizes = (steps: ReturnType<typeof scaleDownOld>) => steps.map((s) => [s.rs.metadata.name, s.replicas])

describe("Rolling", () => {
  it("grows the new ReplicaSet up to replicas + maxSurge pods", () => {
    const old = replicaSet("old-1", 3)
    const fresh = replicaSet("new-2", 0)
    expect(newReplicaSetReplicas(deployment(3, 1, 0), [old, fresh], fresh)).toBe(1)
    expect(newReplicaSetReplicas(deployment(3, 5, 0), [old, fresh], fresh)).toBe(3)
  })

  it("counts pods a scaled-down ReplicaSet has not deleted yet against the surge", () => {
    // Old was scaled 3 → 2 but still has 3 pods: no room for a second new pod yet.
    const old = replicaSet("old-1", 2, { replicas: 3 })
    const fresh = replicaSet("new-2", 1)
    expect(newReplicaSetReplicas(deployment(3, 1, 0), [old, fresh], fresh)).toBe(1)
  })

  it("scales old ReplicaSets down only while replicas - maxUnavailable stay available", () => {
    const d = deployment(3, 1, 0)
    const old = replicaSet("old-1", 3)
    // The new pod is not available yet: nothing may go.
    expect(
      scaleDownOld(d, [old, replicaSet("new-2", 1, { available: 0 })], [old], replicaSet("new-2", 1, { available: 0 }))
    ).toEqual([])
    const ready = replicaSet("new-2", 1)
    expect(sizes(scaleDownOld(d, [old, ready], [old], ready))).toEqual([["old-1", 2]])
  })

  it("removes unavailable old replicas first, oldest ReplicaSet first", () => {
    const d = deployment(4, 0, 1)
    const older = replicaSet("old-1", 2, { available: 1 })
    const newer = replicaSet("old-2", 2)
    const fresh = replicaSet("new-3", 0)
    // One may go (4 - 1 available needed): the unavailable one of old-1, at no cost.
    // Then 3 remain available, exactly the minimum: no more.
    expect(sizes(scaleDownOld(d, [older, newer, fresh], [older, newer], fresh))).toEqual([["old-1", 1]])
  })

  it("does not trust an available count its ReplicaSet was scaled below", () => {
    const d = deployment(3, 1, 0)
    // Scaled 3 → 2 but its status still says 3 available: only 2 will remain, so one more may go, not two.
    const old = replicaSet("old-1", 2, { replicas: 3, available: 3 })
    const fresh = replicaSet("new-2", 2)
    expect(sizes(scaleDownOld(d, [old, fresh], [old], fresh))).toEqual([["old-1", 1]])
  })
})
