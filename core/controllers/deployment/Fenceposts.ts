/**
 * A rolling update's fenceposts (deployment_util's `ResolveFenceposts`, `MaxSurge`,
 * `MaxUnavailable`): how many pods above `replicas` may exist and how many below it may be
 * unavailable, percentages taken of `replicas`, surge rounded up and unavailable rounded down.
 */
import * as Either from "effect/Either"
import type { Deployment } from "../../api/Deployment.js"
import { type IntOrString, scaledValue } from "../../api/IntOrString.js"

/** `spec.replicas` with its default. */
export const replicasOf = (d: Deployment): number => d.spec?.replicas ?? 1

/** Whether the strategy is RollingUpdate (the default). */
export const isRollingUpdate = (d: Deployment): boolean =>
  (d.spec?.strategy?.type ?? "RollingUpdate") === "RollingUpdate"

// Validation rejects malformed values, so a bad one here counts as zero.
const scaled = (v: IntOrString | undefined, total: number, roundUp: boolean): number =>
  Either.getOrElse(scaledValue(v ?? 0, total, roundUp), () => 0)

/** `[surge, unavailable]`; when both resolve to zero, unavailable is 1 so a rollout can move at all. */
export const resolve = (
  maxSurge: IntOrString | undefined,
  maxUnavailable: IntOrString | undefined,
  desired: number
): readonly [surge: number, unavailable: number] => {
  const surge = scaled(maxSurge, desired, true)
  const unavailable = scaled(maxUnavailable, desired, false)
  return surge === 0 && unavailable === 0 ? [0, 1] : [surge, unavailable]
}

/** How many pods above `replicas` a RollingUpdate may create; 0 for Recreate. */
export const maxSurge = (d: Deployment): number => {
  if (!isRollingUpdate(d)) return 0
  const ru = d.spec?.strategy?.rollingUpdate
  return resolve(ru?.maxSurge, ru?.maxUnavailable, replicasOf(d))[0]
}

/** How many of `replicas` a RollingUpdate may leave unavailable (at most `replicas`); 0 for Recreate. */
export const maxUnavailable = (d: Deployment): number => {
  const replicas = replicasOf(d)
  if (!isRollingUpdate(d) || replicas === 0) return 0
  const ru = d.spec?.strategy?.rollingUpdate
  return Math.min(resolve(ru?.maxSurge, ru?.maxUnavailable, replicas)[1], replicas)
}
