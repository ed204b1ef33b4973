/**
 * The Recreate strategy's gate (recreate.go `oldPodsRunning`): the new ReplicaSet is created and
 * scaled up only once no pod of an old ReplicaSet exists in a non-terminal phase — terminating
 * pods included, so old and new pods never overlap.
 */
import type { Pod } from "../../api/Pod.js"
import type { ReplicaSet } from "../../api/ReplicaSet.js"
import * as ReplicaSets from "./ReplicaSets.js"

/** The owning ReplicaSet's uid of each pod of the Deployment's ReplicaSets. */
export type PodsByReplicaSet = ReadonlyMap<string, ReadonlyArray<Pod>>

/** Whether an old ReplicaSet still has pods, by its status or by the pods seen. */
export const oldPodsRunning = (
  newRS: ReplicaSet | undefined,
  oldRSs: ReadonlyArray<ReplicaSet>,
  pods: PodsByReplicaSet
): boolean => {
  if (ReplicaSets.actualReplicaCount(oldRSs) > 0) return true
  for (const [uid, list] of pods) {
    if (newRS !== undefined && newRS.metadata.uid === uid) continue
    // Succeeded and Failed pods run nothing; any other phase (Unknown too) might.
    if (list.some((pod) => pod.status?.phase !== "Succeeded" && pod.status?.phase !== "Failed")) return true
  }
  return false
}
