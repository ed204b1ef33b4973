/**
 * A Deployment's status and conditions (sync.go `calculateStatus`, progress.go, deployment_util's
 * condition helpers): counts summed over its ReplicaSets, `Available` against maxUnavailable, and
 * `Progressing` — NewReplicaSetCreated/FoundNewReplicaSet, ReplicaSetUpdated while pods move,
 * NewReplicaSetAvailable once complete, ProgressDeadlineExceeded after `progressDeadlineSeconds`
 * without progress, DeploymentPaused/DeploymentResumed.
 */
import type { Deployment, DeploymentCondition, DeploymentStatus } from "../../api/Deployment.js"
import type { ReplicaSet } from "../../api/ReplicaSet.js"
import { maxUnavailable, replicasOf } from "./Fenceposts.js"
import * as ReplicaSets from "./ReplicaSets.js"
import { rfc3339 } from "../../api/time.js"

export const Available = "Available"
export const Progressing = "Progressing"
export const ReplicaFailure = "ReplicaFailure"

/** Condition reasons, as deployment_util names them. */
export const reasons = {
  newReplicaSetCreated: "NewReplicaSetCreated",
  foundNewReplicaSet: "FoundNewReplicaSet",
  replicaSetUpdated: "ReplicaSetUpdated",
  newReplicaSetAvailable: "NewReplicaSetAvailable",
  replicaSetCreateError: "ReplicaSetCreateError",
  progressDeadlineExceeded: "ProgressDeadlineExceeded",
  paused: "DeploymentPaused",
  resumed: "DeploymentResumed",
  minimumReplicasAvailable: "MinimumReplicasAvailable",
  minimumReplicasUnavailable: "MinimumReplicasUnavailable"
} as const

/** A condition stamped now (both times). */
export const condition = (
  type: string,
  status: "True" | "False" | "Unknown",
  reason: string,
  message: string,
  nowMillis: number
): DeploymentCondition => {
  const now = rfc3339(nowMillis)
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message }
}

export const getCondition = (status: DeploymentStatus | undefined, type: string): DeploymentCondition | undefined =>
  status?.conditions?.find((c) => c.type === type)

/** The status without the condition of that type. */
export const removeCondition = (status: DeploymentStatus, type: string): DeploymentStatus => {
  const conditions = (status.conditions ?? []).filter((c) => c.type !== type)
  const { conditions: _old, ...rest } = status
  return conditions.length === 0 ? rest : { ...rest, conditions }
}

/**
 * `SetDeploymentCondition`: a condition with the same status and reason is kept as is; one with
 * the same status keeps its lastTransitionTime; the new one goes last.
 */
export const setCondition = (status: DeploymentStatus, next: DeploymentCondition): DeploymentStatus => {
  const type = next.type ?? ""
  const current = getCondition(status, type)
  if (current !== undefined && current.status === next.status && current.reason === next.reason) return status
  const kept =
    current !== undefined && current.status === next.status
      ? { ...next, lastTransitionTime: current.lastTransitionTime ?? null }
      : next
  const rest = removeCondition(status, type)
  return { ...rest, conditions: [...(rest.conditions ?? []), kept] }
}

/** Whether progress is tracked (`HasProgressDeadline`: set and not MaxInt32). */
export const hasProgressDeadline = (d: Deployment): boolean => {
  const seconds = d.spec?.progressDeadlineSeconds
  return seconds !== undefined && seconds !== 2147483647
}

/** The non-zero counts: Kubernetes' JSON omits zero status fields (`omitempty`). */
const counts = (values: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(values).filter(([, v]) => v !== 0))

/** `calculateStatus`: counts over the ReplicaSets, the Available condition, other conditions kept. */
export const calculateStatus = (
  all: ReadonlyArray<ReplicaSet>,
  newRS: ReplicaSet | undefined,
  d: Deployment,
  nowMillis: number
): DeploymentStatus => {
  const available = ReplicaSets.availableReplicaCount(all)
  const status: DeploymentStatus = {
    ...counts({
      observedGeneration: d.metadata.generation ?? 0,
      replicas: ReplicaSets.actualReplicaCount(all),
      updatedReplicas: newRS === undefined ? 0 : ReplicaSets.actualReplicaCount([newRS]),
      readyReplicas: ReplicaSets.readyReplicaCount(all),
      availableReplicas: available,
      // Negative while scaling down (more available than wanted): none is unavailable then.
      unavailableReplicas: Math.max(0, ReplicaSets.replicaCount(all) - available)
    }),
    ...(d.status?.conditions === undefined ? {} : { conditions: d.status.conditions }),
    ...(d.status?.collisionCount === undefined ? {} : { collisionCount: d.status.collisionCount })
  }
  return available >= replicasOf(d) - maxUnavailable(d)
    ? setCondition(
        status,
        condition(
          Available,
          "True",
          reasons.minimumReplicasAvailable,
          "Deployment has minimum availability.",
          nowMillis
        )
      )
    : setCondition(
        status,
        condition(
          Available,
          "False",
          reasons.minimumReplicasUnavailable,
          "Deployment does not have minimum availability.",
          nowMillis
        )
      )
}

/** Every replica updated, existing and available, at the current generation (`DeploymentComplete`). */
export const isComplete = (d: Deployment, status: DeploymentStatus): boolean => {
  const replicas = replicasOf(d)
  return (
    status.updatedReplicas === replicas &&
    status.replicas === replicas &&
    status.availableReplicas === replicas &&
    (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  )
}

/** Whether `next` moved the rollout on from the Deployment's current status (`DeploymentProgressing`). */
export const isProgressing = (d: Deployment, next: DeploymentStatus): boolean => {
  const old = d.status ?? {}
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0)
  const nextOld = (next.replicas ?? 0) - (next.updatedReplicas ?? 0)
  return (
    (next.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    nextOld < oldOld ||
    (next.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (next.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  )
}

const millisOf = (time: string | null | undefined): number => (time == null ? 0 : Date.parse(time))

/** When the Progressing condition's deadline passes (its lastUpdateTime + progressDeadlineSeconds). */
const deadlineOf = (d: Deployment, progressing: DeploymentCondition): number =>
  millisOf(progressing.lastUpdateTime) + (d.spec?.progressDeadlineSeconds ?? 0) * 1000

/** Whether no progress was seen for `progressDeadlineSeconds` (`DeploymentTimedOut`). */
export const isTimedOut = (d: Deployment, status: DeploymentStatus, nowMillis: number): boolean => {
  if (!hasProgressDeadline(d)) return false
  const progressing = getCondition(status, Progressing)
  if (progressing === undefined || progressing.reason === reasons.newReplicaSetAvailable) return false
  if (progressing.reason === reasons.progressDeadlineExceeded) return true
  return deadlineOf(d, progressing) < nowMillis
}

/** The ReplicaFailure condition of the new ReplicaSet, else of any other (`getReplicaFailures`). */
const replicaFailure = (
  all: ReadonlyArray<ReplicaSet>,
  newRS: ReplicaSet | undefined,
  nowMillis: number
): DeploymentCondition | undefined => {
  const candidates = newRS === undefined ? all : [newRS, ...all.filter((rs) => rs !== newRS)]
  for (const rs of candidates) {
    const failure = rs.status?.conditions?.find((c) => c.type === ReplicaFailure)
    if (failure !== undefined) {
      const since = failure.lastTransitionTime ?? rfc3339(nowMillis)
      return {
        type: ReplicaFailure,
        status: failure.status,
        lastUpdateTime: since,
        lastTransitionTime: since,
        ...(failure.reason === undefined ? {} : { reason: failure.reason }),
        ...(failure.message === undefined ? {} : { message: failure.message })
      }
    }
  }
  return undefined
}

/** `syncRolloutStatus`'s status: `calculateStatus` plus the Progressing estimate and ReplicaFailure. */
export const rolloutStatus = (
  all: ReadonlyArray<ReplicaSet>,
  newRS: ReplicaSet | undefined,
  d: Deployment,
  nowMillis: number
): DeploymentStatus => {
  let status = calculateStatus(all, newRS, d, nowMillis)
  if (!hasProgressDeadline(d)) status = removeCondition(status, Progressing)
  const current = getCondition(d.status, Progressing)
  const completed = status.replicas === status.updatedReplicas && current?.reason === reasons.newReplicaSetAvailable
  const name = d.metadata.name ?? ""
  const subject = newRS === undefined ? `Deployment "${name}"` : `ReplicaSet "${newRS.metadata.name ?? ""}"`
  if (hasProgressDeadline(d) && !completed) {
    if (isComplete(d, status)) {
      status = setCondition(
        status,
        condition(
          Progressing,
          "True",
          reasons.newReplicaSetAvailable,
          `${subject} has successfully progressed.`,
          nowMillis
        )
      )
    } else if (isProgressing(d, status)) {
      // Progress moves lastUpdateTime (and so the deadline) even when the reason stays the same.
      const next = condition(Progressing, "True", reasons.replicaSetUpdated, `${subject} is progressing.`, nowMillis)
      const kept =
        current?.status === "True" ? { ...next, lastTransitionTime: current.lastTransitionTime ?? null } : next
      const rest = removeCondition(status, Progressing)
      status = { ...rest, conditions: [...(rest.conditions ?? []), kept] }
    } else if (isTimedOut(d, status, nowMillis)) {
      status = setCondition(
        status,
        condition(
          Progressing,
          "False",
          reasons.progressDeadlineExceeded,
          `${subject} has timed out progressing.`,
          nowMillis
        )
      )
    }
  }
  const failure = replicaFailure(all, newRS, nowMillis)
  return failure === undefined ? removeCondition(status, ReplicaFailure) : setCondition(status, failure)
}

/**
 * When to look again for a deadline (`requeueStuckDeployment`): a second after the Progressing
 * condition's deadline, so that the check then finds it passed; undefined when nothing is
 * pending (no deadline, complete, timed out already).
 */
export const progressCheckAfterMillis = (
  d: Deployment,
  status: DeploymentStatus,
  nowMillis: number
): number | undefined => {
  const current = getCondition(d.status, Progressing)
  if (!hasProgressDeadline(d) || current === undefined) return undefined
  if (isComplete(d, status) || current.reason === reasons.progressDeadlineExceeded) return undefined
  return Math.max(deadlineOf(d, current) - nowMillis, 0) + 1000
}

/**
 * `checkPausedConditions`: the Progressing condition DeploymentPaused while paused and
 * DeploymentResumed once resumed (never over a reported timeout); undefined when unchanged.
 */
export const pausedStatus = (d: Deployment, nowMillis: number): DeploymentStatus | undefined => {
  if (!hasProgressDeadline(d)) return undefined
  const current = getCondition(d.status, Progressing)
  if (current?.reason === reasons.progressDeadlineExceeded) return undefined
  const pausedNoted = current?.reason === reasons.paused
  const paused = d.spec?.paused === true
  if (paused && !pausedNoted) {
    return setCondition(
      d.status ?? {},
      condition(Progressing, "Unknown", reasons.paused, "Deployment is paused", nowMillis)
    )
  }
  if (!paused && pausedNoted) {
    return setCondition(
      d.status ?? {},
      condition(Progressing, "Unknown", reasons.resumed, "Deployment is resumed", nowMillis)
    )
  }
  return undefined
}
