/**
 * Scaling a Deployment whose `replicas` changed (sync.go `scale`, deployment_util
 * `GetProportion`): with one active ReplicaSet it gets everything; a saturated new ReplicaSet
 * leaves the old ones at zero; mid-rollout the change is spread over the active ReplicaSets in
 * proportion to their size, larger first, leftovers to the largest.
 */
import type { Deployment } from "../../api/Deployment.js"
import type { ReplicaSet } from "../../api/ReplicaSet.js"
import { isRollingUpdate, maxSurge, replicasOf } from "./Fenceposts.js"
import * as ReplicaSets from "./ReplicaSets.js"
import { desiredReplicas, maxReplicas } from "./Revision.js"

/** A ReplicaSet and the size it should get. */
export interface ScaleStep {
  readonly rs: ReplicaSet
  readonly replicas: number
}

/** Whether any active ReplicaSet was sized for another `replicas` (`isScalingEvent`). */
export const isScalingEvent = (d: Deployment, all: ReadonlyArray<ReplicaSet>): boolean =>
  ReplicaSets.active(all).some((rs) => {
    const desired = desiredReplicas(rs)
    return desired !== undefined && desired !== replicasOf(d)
  })

/** The new ReplicaSet has all replicas, wanted and available (`IsSaturated`). */
export const isSaturated = (d: Deployment, rs: ReplicaSet | undefined): boolean =>
  rs !== undefined &&
  ReplicaSets.specReplicas(rs) === replicasOf(d) &&
  desiredReplicas(rs) === replicasOf(d) &&
  (rs.status?.availableReplicas ?? 0) === replicasOf(d)

/** This ReplicaSet's share of the change (`getReplicaSetFraction`). */
const fraction = (rs: ReplicaSet, d: Deployment): number => {
  const size = ReplicaSets.specReplicas(rs)
  if (replicasOf(d) === 0) return -size
  const annotated = maxReplicas(rs)
  // Without the annotation (edited, or scaled back up from zero) the Deployment's current size stands in.
  const before = annotated === undefined || annotated === 0 ? (d.status?.replicas ?? 0) : annotated
  if (before === 0) return 0
  return Math.round((size * (replicasOf(d) + maxSurge(d))) / before) - size
}

/** This ReplicaSet's share, never past what is left to add or remove (`GetProportion`). */
const proportion = (rs: ReplicaSet, d: Deployment, toAdd: number, added: number): number => {
  if (ReplicaSets.specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0
  const share = fraction(rs, d)
  const allowed = toAdd - added
  return toAdd > 0 ? Math.min(share, allowed) : Math.max(share, allowed)
}

/** The sizes to give the ReplicaSets after a change of `replicas`; empty when nothing is to do. */
export const plan = (
  d: Deployment,
  newRS: ReplicaSet | undefined,
  oldRSs: ReadonlyArray<ReplicaSet>
): ReadonlyArray<ScaleStep> => {
  const replicas = replicasOf(d)
  const only = ReplicaSets.findActiveOrLatest(newRS, oldRSs)
  if (only !== undefined) return ReplicaSets.specReplicas(only) === replicas ? [] : [{ rs: only, replicas }]
  if (isSaturated(d, newRS)) return ReplicaSets.active(oldRSs).map((rs) => ({ rs, replicas: 0 }))
  if (!isRollingUpdate(d)) return []
  const all = ReplicaSets.active(newRS === undefined ? oldRSs : [...oldRSs, newRS])
  const allowed = replicas > 0 ? replicas + maxSurge(d) : 0
  const toAdd = allowed - ReplicaSets.replicaCount(all)
  // Scaling up favours newer ReplicaSets among equals, scaling down older ones.
  const ordered = [...all].sort(toAdd > 0 ? ReplicaSets.bySizeNewer : ReplicaSets.bySizeOlder)
  let added = 0
  const sizes = ordered.map((rs) => {
    const share = proportion(rs, d, toAdd, added)
    added += share
    return ReplicaSets.specReplicas(rs) + share
  })
  if (toAdd !== 0 && sizes.length > 0) sizes[0] = Math.max(0, sizes[0] + toAdd - added)
  return ordered.map((rs, i) => ({ rs, replicas: sizes[i] }))
}
