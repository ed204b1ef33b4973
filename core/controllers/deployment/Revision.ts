/**
 * Revisions and the annotations a Deployment's ReplicaSets carry (deployment_util): the new
 * ReplicaSet gets the next revision (a rollback reuses an old ReplicaSet, which moves its old
 * number to `revision-history`), desired/max replicas for proportional scaling, and the old
 * ReplicaSets past `revisionHistoryLimit` that may be deleted.
 */
import type { Deployment } from "../../api/Deployment.js"
import type { ReplicaSet } from "../../api/ReplicaSet.js"
import { maxSurge, replicasOf } from "./Fenceposts.js"
import { byCreation, specReplicas } from "./ReplicaSets.js"

export const revisionAnnotation = "deployment.kubernetes.io/revision"
export const revisionHistoryAnnotation = "deployment.kubernetes.io/revision-history"
export const desiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas"
export const maxReplicasAnnotation = "deployment.kubernetes.io/max-replicas"
const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"
const rollbackToAnnotation = "deprecated.deployment.rollback.to"

/** Kubernetes' cap on the length of `revision-history`. */
const maxRevisionHistoryChars = 2000

/** Deployment annotations never copied to its ReplicaSets. */
const notCopied = new Set([
  lastAppliedAnnotation,
  revisionAnnotation,
  revisionHistoryAnnotation,
  desiredReplicasAnnotation,
  maxReplicasAnnotation,
  rollbackToAnnotation
])

const parseInteger = (s: string | undefined): number | undefined =>
  s !== undefined && /^[0-9]+$/.test(s) ? Number(s) : undefined

/** The ReplicaSet's revision; 0 when absent or malformed. */
export const revisionOf = (rs: ReplicaSet): number => parseInteger(rs.metadata.annotations?.[revisionAnnotation]) ?? 0

/** The highest revision among `list` (0 for none). */
export const maxRevision = (list: ReadonlyArray<ReplicaSet>): number =>
  list.reduce((max, rs) => Math.max(max, revisionOf(rs)), 0)

/** The `desired-replicas` annotation, if it is an integer. */
export const desiredReplicas = (rs: ReplicaSet): number | undefined =>
  parseInteger(rs.metadata.annotations?.[desiredReplicasAnnotation])

/** The `max-replicas` annotation, if it is an integer. */
export const maxReplicas = (rs: ReplicaSet): number | undefined =>
  parseInteger(rs.metadata.annotations?.[maxReplicasAnnotation])

const withAnnotations = (rs: ReplicaSet, annotations: Record<string, string>): ReplicaSet => ({
  ...rs,
  metadata: { ...rs.metadata, annotations }
})

/** The `desired-replicas`/`max-replicas` values the Deployment asks for now. */
const replicasAnnotations = (d: Deployment) => ({
  [desiredReplicasAnnotation]: String(replicasOf(d)),
  [maxReplicasAnnotation]: String(replicasOf(d) + maxSurge(d))
})

/** Whether the ReplicaSet's desired/max annotations differ from the Deployment's current values. */
export const replicasAnnotationsNeedUpdate = (rs: ReplicaSet, d: Deployment): boolean =>
  Object.entries(replicasAnnotations(d)).some(([key, value]) => rs.metadata.annotations?.[key] !== value)

/** The ReplicaSet with desired/max annotations of the Deployment (`SetReplicasAnnotations`). */
export const setReplicasAnnotations = (rs: ReplicaSet, d: Deployment): ReplicaSet =>
  withAnnotations(rs, { ...rs.metadata.annotations, ...replicasAnnotations(d) })

/** `revision-history` with `oldRevision` appended, dropping the oldest entries past the length cap. */
const appendHistory = (history: string | undefined, oldRevision: string): string | undefined => {
  if (history === undefined || history === "") return oldRevision
  const entries = history.split(",")
  let total = history.length + oldRevision.length + 1
  let start = 0
  while (total > maxRevisionHistoryChars && start < entries.length) {
    total -= entries[start].length + 1
    start++
  }
  return total <= maxRevisionHistoryChars ? [...entries.slice(start), oldRevision].join(",") : history
}

/**
 * `SetNewReplicaSetAnnotations`: the Deployment's own annotations copied over, the revision
 * raised to `newRevision` (never lowered; a raised existing revision goes to `revision-history`),
 * and for a ReplicaSet about to be created, the desired/max annotations.
 */
export const setNewReplicaSetAnnotations = (
  d: Deployment,
  rs: ReplicaSet,
  newRevision: number,
  exists: boolean
): { readonly rs: ReplicaSet; readonly changed: boolean } => {
  const annotations: Record<string, string> = { ...rs.metadata.annotations }
  let changed = false
  for (const [key, value] of Object.entries(d.metadata.annotations ?? {})) {
    if (notCopied.has(key) || annotations[key] === value) continue
    annotations[key] = value
    changed = true
  }
  const oldRevision = annotations[revisionAnnotation]
  const old = oldRevision === undefined || oldRevision === "" ? 0 : parseInteger(oldRevision)
  // A malformed revision is left alone, as Kubernetes does.
  if (old === undefined) return { rs, changed: false }
  if (old < newRevision) {
    annotations[revisionAnnotation] = String(newRevision)
    changed = true
    if (oldRevision !== undefined) {
      const history = appendHistory(annotations[revisionHistoryAnnotation], oldRevision)
      if (history !== undefined) annotations[revisionHistoryAnnotation] = history
    }
  }
  if (!exists) {
    Object.assign(annotations, replicasAnnotations(d))
    changed = true
  }
  return { rs: withAnnotations(rs, annotations), changed }
}

/** The Deployment with its revision annotation set (`SetDeploymentRevision`); undefined when already set. */
export const setDeploymentRevision = (d: Deployment, revision: string): Deployment | undefined =>
  d.metadata.annotations?.[revisionAnnotation] === revision
    ? undefined
    : { ...d, metadata: { ...d.metadata, annotations: { ...d.metadata.annotations, [revisionAnnotation]: revision } } }

/**
 * The old ReplicaSets `cleanupDeployment` deletes: beyond `revisionHistoryLimit`, lowest revision
 * first, only those scaled to zero with no pods left and their scale-down observed.
 */
export const toCleanUp = (d: Deployment, oldRSs: ReadonlyArray<ReplicaSet>): ReadonlyArray<ReplicaSet> => {
  const limit = d.spec?.revisionHistoryLimit ?? 10
  const alive = oldRSs.filter((rs) => rs.metadata.deletionTimestamp === undefined)
  const excess = alive.length - limit
  if (excess <= 0) return []
  return [...alive]
    .sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b))
    .slice(0, excess)
    .filter(
      (rs) =>
        (rs.status?.replicas ?? 0) === 0 &&
        specReplicas(rs) === 0 &&
        (rs.metadata.generation ?? 0) <= (rs.status?.observedGeneration ?? 0)
    )
}
