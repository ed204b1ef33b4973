import { describe, expect, it } from "@effect/vitest"
import type { Deployment } from "../../api/Deployment.js"
import type { ReplicaSet } from "../../api/ReplicaSet.js"
import * as Revision from "./Revision.js"

const deployment: Deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: {
    name: "web",
    annotations: {
      team: "blue",
      "deployment.kubernetes.io/revision": "7",
      "kubectl.kubernetes.io/last-applied-configuration": "{}"
    }
  },
  spec: {
    replicas: 4,
    revisionHistoryLimit: 1,
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } }
  }
}

const replicaSet = (name: string, revision: string | undefined, replicas = 0): ReplicaSet => ({
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: {
    name,
    creationTimestamp: "2024-01-01T00:00:00Z",
    generation: 1,
    ...(revision === undefined ? {} : { annotations: { "deployment.kubernetes.io/revision": revision } })
  },
  spec: { replicas },
  status: { replicas, observedGeneration: 1 }
})

describe("Revision", () => {
  it("annotates a new ReplicaSet: the Deployment's own annotations, the revision, desired and max replicas", () => {
    const { rs, changed } = Revision.setNewReplicaSetAnnotations(deployment, replicaSet("web-1", undefined), 3, false)
    expect(changed).toBe(true)
    expect(rs.metadata.annotations).toEqual({
      team: "blue",
      "deployment.kubernetes.io/revision": "3",
      "deployment.kubernetes.io/desired-replicas": "4",
      // 25% surge of 4.
      "deployment.kubernetes.io/max-replicas": "5"
    })
  })

  it("on rollback, raises the reused ReplicaSet's revision and keeps the old one in revision-history", () => {
    const reused = replicaSet("web-1", "1")
    const once = Revision.setNewReplicaSetAnnotations(deployment, reused, 3, true).rs
    expect(once.metadata.annotations?.["deployment.kubernetes.io/revision"]).toBe("3")
    expect(once.metadata.annotations?.["deployment.kubernetes.io/revision-history"]).toBe("1")
    const twice = Revision.setNewReplicaSetAnnotations(deployment, once, 5, true).rs
    expect(twice.metadata.annotations?.["deployment.kubernetes.io/revision-history"]).toBe("1,3")
    // Never lowered.
    expect(Revision.setNewReplicaSetAnnotations(deployment, twice, 4, true).changed).toBe(false)
  })

  it("cleans up old ReplicaSets beyond the limit, lowest revision first, only when scaled down", () => {
    const old = [replicaSet("web-3", "3"), replicaSet("web-1", "1"), replicaSet("web-2", "2", 1)]
    // Limit 1: two may go, the lowest revisions 1 and 2, but revision 2 still has a replica.
    expect(Revision.toCleanUp(deployment, old).map((rs) => rs.metadata.name)).toEqual(["web-1"])
    expect(Revision.maxRevision(old)).toBe(3)
  })
})
