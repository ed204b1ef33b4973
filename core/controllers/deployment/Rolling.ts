/**
 * The RollingUpdate strategy's arithmetic (rolling.go, deployment_util `NewRSNewReplicas`): the
 * new ReplicaSet grows while the pods stay within `replicas + maxSurge`; old ReplicaSets shrink
 * while `replicas - maxUnavailable` pods stay available, their unavailable pods first.
 */
import type { Deployment } from "../../api/Deployment.js"
import type { ReplicaSet } from "../../api/ReplicaSet.js"
import { isRollingUpdate, maxSurge, maxUnavailable, replicasOf } from "./Fenceposts.js"
import * as ReplicaSets from "./ReplicaSets.js"
import type { ScaleStep } from "./Scale.js"

/** The new ReplicaSet's next size (`NewRSNewReplicas`); Recreate gives it all replicas at once. */
export const newReplicaSetReplicas = (d: Deployment, all: ReadonlyArray<ReplicaSet>, newRS: ReplicaSet): number => {
  const replicas = replicasOf(d)
  const current = ReplicaSets.specReplicas(newRS)
  if (!isRollingUpdate(d)) return replicas
  const maxTotal = replicas + maxSurge(d)
  // Pods not yet deleted by a scaled-down ReplicaSet count too, so the surge is never exceeded.
  const pods = ReplicaSets.podCeiling(all)
  if (pods >= maxTotal) return current
  return current + Math.min(maxTotal - pods, replicas - current)
}

/**
 * `reconcileOldReplicaSets`: how far the old ReplicaSets may shrink now. First their unavailable
 * replicas (`cleanupUnhealthyReplicas`, oldest first: removing them costs no availability), then
 * available ones down to `replicas - maxUnavailable` (`scaleDownOldReplicaSetsForRollingUpdate`).
 */
export const scaleDownOld = (
  d: Deployment,
  all: ReadonlyArray<ReplicaSet>,
  oldRSs: ReadonlyArray<ReplicaSet>,
  newRS: ReplicaSet
): ReadonlyArray<ScaleStep> => {
  if (ReplicaSets.replicaCount(oldRSs) === 0) return []
  const minAvailable = replicasOf(d) - maxUnavailable(d)
  const newUnavailable = ReplicaSets.specReplicas(newRS) - ReplicaSets.remainingAvailable(newRS)
  const maxScaledDown = ReplicaSets.replicaCount(all) - minAvailable - newUnavailable
  if (maxScaledDown <= 0) return []
  const sizes = new Map<ReplicaSet, number>()
  const sizeOf = (rs: ReplicaSet) => sizes.get(rs) ?? ReplicaSets.specReplicas(rs)
  const oldest = [...oldRSs].sort(ReplicaSets.byCreation)
  let cleaned = 0
  for (const rs of oldest) {
    if (cleaned >= maxScaledDown) break
    const unhealthy = sizeOf(rs) - ReplicaSets.remainingAvailable(rs)
    if (sizeOf(rs) === 0 || unhealthy <= 0) continue
    const count = Math.min(maxScaledDown - cleaned, unhealthy)
    sizes.set(rs, sizeOf(rs) - count)
    cleaned += count
  }
  // What stays available: old ReplicaSets keep at most their (new) size, the new one its available pods.
  const available =
    oldest.reduce((total, rs) => total + Math.min(ReplicaSets.remainingAvailable(rs), sizeOf(rs)), 0) +
    ReplicaSets.remainingAvailable(newRS)
  let scaled = 0
  const toScaleDown = available - minAvailable
  for (const rs of oldest) {
    if (scaled >= toScaleDown) break
    if (sizeOf(rs) === 0) continue
    const count = Math.min(sizeOf(rs), toScaleDown - scaled)
    sizes.set(rs, sizeOf(rs) - count)
    scaled += count
  }
  return oldest.filter((rs) => sizes.has(rs)).map((rs) => ({ rs, replicas: sizeOf(rs) }))
}
