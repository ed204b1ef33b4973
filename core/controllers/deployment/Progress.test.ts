import { describe, expect, it } from "@effect/vitest"
import type { Deployment, DeploymentStatus } from "../../api/Deployment.js"
import type { ReplicaSet } from "../../api/ReplicaSet.js"
import * as Progress from "./Progress.js"

const t0 = Date.parse("2024-01-01T00:00:00Z")

const deployment = (status: DeploymentStatus, paused = false): Deployment => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", generation: 1 },
  spec: {
    replicas: 2,
    progressDeadlineSeconds: 60,
    paused,
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }
  },
  status
})

const replicaSet = (replicas: number, available: number): ReplicaSet => ({
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: { name: "web-abc" },
  spec: { replicas },
  status: { replicas, readyReplicas: available, availableReplicas: available }
})

const progressing = (reason: string, at: number) => Progress.condition(Progress.Progressing, "True", reason, "", at)

describe("Progress", () => {
  it("keeps a condition whose status and reason are unchanged, and its transition time when only the reason changes", () => {
    const first = Progress.setCondition({}, progressing("NewReplicaSetCreated", t0))
    expect(Progress.setCondition(first, progressing("NewReplicaSetCreated", t0 + 5000))).toBe(first)
    const next = Progress.setCondition(first, progressing("ReplicaSetUpdated", t0 + 5000))
    expect(Progress.getCondition(next, Progress.Progressing)).toMatchObject({
      reason: "ReplicaSetUpdated",
      lastUpdateTime: "2024-01-01T00:00:05Z",
      lastTransitionTime: "2024-01-01T00:00:00Z"
    })
  })

  it("computes counts (zero ones omitted) and the Available condition", () => {
    const rs = replicaSet(2, 1)
    const status = Progress.calculateStatus([rs], rs, deployment({}), t0)
    expect(status).toMatchObject({ observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 1 })
    expect(status.unavailableReplicas).toBe(1)
    expect(Progress.getCondition(status, Progress.Available)).toMatchObject({
      status: "False",
      reason: "MinimumReplicasUnavailable"
    })
  })

  it("times out progressDeadlineSeconds after the last progress, and says when to look", () => {
    const rs = replicaSet(2, 1)
    const stuck = deployment({
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 1,
      availableReplicas: 1,
      conditions: [progressing("ReplicaSetUpdated", t0)]
    })
    const before = Progress.rolloutStatus([rs], rs, stuck, t0 + 60_000)
    expect(Progress.getCondition(before, Progress.Progressing)?.reason).toBe("ReplicaSetUpdated")
    expect(Progress.progressCheckAfterMillis(stuck, before, t0 + 10_000)).toBe(51_000)
    const after = Progress.rolloutStatus([rs], rs, stuck, t0 + 61_000)
    expect(Progress.getCondition(after, Progress.Progressing)).toMatchObject({
      status: "False",
      reason: "ProgressDeadlineExceeded",
      message: 'ReplicaSet "web-abc" has timed out progressing.'
    })
  })

  it("notes pausing and resuming in the Progressing condition", () => {
    const paused = Progress.pausedStatus(deployment({}, true), t0)
    expect(Progress.getCondition(paused, Progress.Progressing)).toMatchObject({
      status: "Unknown",
      reason: "DeploymentPaused"
    })
    expect(Progress.pausedStatus(deployment(paused!, true), t0)).toBeUndefined()
    const resumed = Progress.pausedStatus(deployment(paused!, false), t0 + 1000)
    expect(Progress.getCondition(resumed, Progress.Progressing)?.reason).toBe("DeploymentResumed")
  })
})
