/**
 * A Deployment's ReplicaSets as deployment_util sees them: which one is new (its template equals
 * the Deployment's, hash label aside) and which are old, their replica counts, and the orders
 * the controller scales them in.
 */
import type { Deployment } from "../../api/Deployment.js"
import type { ReplicaSet } from "../../api/ReplicaSet.js"
import * as PodTemplateHash from "./PodTemplateHash.js"

/** `spec.replicas` with its default. */
export const specReplicas = (rs: ReplicaSet): number => rs.spec?.replicas ?? 1

/** Oldest first; ties by name (`ReplicaSetsByCreationTimestamp`). */
export const byCreation = (a: ReplicaSet, b: ReplicaSet): number => {
  const ta = a.metadata.creationTimestamp ?? ""
  const tb = b.metadata.creationTimestamp ?? ""
  if (ta !== tb) return ta < tb ? -1 : 1
  const na = a.metadata.name ?? ""
  const nb = b.metadata.name ?? ""
  return na < nb ? -1 : na > nb ? 1 : 0
}

/** Larger first; among equals, newer first (`ReplicaSetsBySizeNewer`, for scaling up). */
export const bySizeNewer = (a: ReplicaSet, b: ReplicaSet): number =>
  specReplicas(b) - specReplicas(a) || byCreation(b, a)

/** Larger first; among equals, older first (`ReplicaSetsBySizeOlder`, for scaling down). */
export const bySizeOlder = (a: ReplicaSet, b: ReplicaSet): number =>
  specReplicas(b) - specReplicas(a) || byCreation(a, b)

/** The ReplicaSets with replicas wanted (`FilterActiveReplicaSets`). */
export const active = (list: ReadonlyArray<ReplicaSet>): ReadonlyArray<ReplicaSet> =>
  list.filter((rs) => specReplicas(rs) > 0)

/** The oldest ReplicaSet whose template is the Deployment's (`FindNewReplicaSet`). */
export const findNew = (d: Deployment, list: ReadonlyArray<ReplicaSet>): ReplicaSet | undefined =>
  [...list].sort(byCreation).find((rs) => PodTemplateHash.equalIgnoreHash(rs.spec?.template, d.spec?.template))

/** Every ReplicaSet but the new one (`FindOldReplicaSets`' second result), oldest first. */
export const findOld = (list: ReadonlyArray<ReplicaSet>, newRS: ReplicaSet | undefined): ReadonlyArray<ReplicaSet> =>
  [...list].sort(byCreation).filter((rs) => rs.metadata.uid !== newRS?.metadata.uid)

const sum = (list: ReadonlyArray<ReplicaSet>, count: (rs: ReplicaSet) => number | undefined): number =>
  list.reduce((total, rs) => total + (count(rs) ?? 0), 0)

/** Sum of `spec.replicas` (`GetReplicaCountForReplicaSets`). */
export const replicaCount = (list: ReadonlyArray<ReplicaSet>): number => sum(list, specReplicas)

/** Sum of `status.replicas`: the pods that exist (`GetActualReplicaCountForReplicaSets`). */
export const actualReplicaCount = (list: ReadonlyArray<ReplicaSet>): number => sum(list, (rs) => rs.status?.replicas)

export const readyReplicaCount = (list: ReadonlyArray<ReplicaSet>): number =>
  sum(list, (rs) => rs.status?.readyReplicas)

export const availableReplicaCount = (list: ReadonlyArray<ReplicaSet>): number =>
  sum(list, (rs) => rs.status?.availableReplicas)

/**
 * The pods that exist or are wanted, whichever is more: a ReplicaSet just scaled down still has
 * its pods until its controller deletes them, and they count against maxSurge.
 */
export const podCeiling = (list: ReadonlyArray<ReplicaSet>): number =>
  sum(list, (rs) => Math.max(specReplicas(rs), rs.status?.replicas ?? 0))

/**
 * Available pods that will remain: a ReplicaSet keeps at most `spec.replicas` of them, and its
 * controller deletes unavailable pods first; so a scale-down not yet in its status still counts.
 */
export const remainingAvailable = (rs: ReplicaSet): number =>
  Math.min(rs.status?.availableReplicas ?? 0, specReplicas(rs))

/**
 * The one ReplicaSet to give all replicas to when scaling (`FindActiveOrLatest`): the only active
 * one, or the newest when none is active; undefined when several are active.
 */
export const findActiveOrLatest = (
  newRS: ReplicaSet | undefined,
  oldRSs: ReadonlyArray<ReplicaSet>
): ReplicaSet | undefined => {
  const all = newRS === undefined ? oldRSs : [...oldRSs, newRS]
  const running = active(all)
  if (running.length === 1) return running[0]
  if (running.length > 1) return undefined
  return newRS ?? [...oldRSs].sort(byCreation).at(-1)
}
