/**
 * What a pod's status says about it, as the workload controllers read it (Kubernetes'
 * `podutil.IsPodReady`/`IsPodAvailable` and `controller.IsPodActive`): kubelet-independent, so
 * controllers, the scheduler and tests share one meaning of "ready", "available" and "active".
 */
import type { Pod, PodCondition } from "../api/Pod.js"
import { timeMillis } from "../api/time.js"

/** The pod's `Ready` condition, if it has one. */
export const podReadyCondition = (pod: Pod): PodCondition | undefined => {
  // A loop, no closure: a workload controller asks this of each of its pods on every sync, several times.
  const conditions = pod.status?.conditions
  if (conditions !== undefined) for (const c of conditions) if (c.type === "Ready") return c
  return undefined
}

/** The `Ready` condition is `True`. */
export const isPodReady = (pod: Pod): boolean => podReadyCondition(pod)?.status === "True"

/** When the pod last became ready (the `Ready` condition's lastTransitionTime); `undefined` when not ready. */
export const podReadySinceMillis = (pod: Pod): number | undefined =>
  isPodReady(pod) ? timeMillis(podReadyCondition(pod)?.lastTransitionTime) : undefined

/**
 * Ready for more than `minReadySeconds` at `nowMillis` (IsPodAvailable): a pod ready with
 * `minReadySeconds` 0 is available at once; otherwise its ready time must be known.
 */
export const isPodAvailable = (pod: Pod, minReadySeconds: number, nowMillis: number): boolean => {
  if (!isPodReady(pod)) return false
  if (minReadySeconds <= 0) return true
  const since = podReadySinceMillis(pod)
  return since !== undefined && since + minReadySeconds * 1000 < nowMillis
}

/**
 * Milliseconds until a ready pod becomes available (the smallest wait after which
 * `isPodAvailable` holds); `undefined` when it is not ready, already available, or its ready
 * time is unknown (then it never becomes available by waiting).
 */
export const millisUntilAvailable = (pod: Pod, minReadySeconds: number, nowMillis: number): number | undefined => {
  // With no minReadySeconds a ready pod is available at once: nothing to wait for either way.
  if (minReadySeconds <= 0 || !isPodReady(pod) || isPodAvailable(pod, minReadySeconds, nowMillis)) return undefined
  const since = podReadySinceMillis(pod)
  // Available strictly after since + minReadySeconds, so one millisecond past it.
  return since === undefined ? undefined : since + minReadySeconds * 1000 - nowMillis + 1
}

/** Succeeded or Failed: its containers will not run again. */
export const isPodTerminal = (pod: Pod): boolean => pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed"

/** Counts toward a workload's replicas: not terminal and not being deleted (controller.IsPodActive). */
export const isPodActive = (pod: Pod): boolean => !isPodTerminal(pod) && pod.metadata.deletionTimestamp === undefined

/** Being deleted but still running its containers (controller.FilterTerminatingPods). */
export const isPodTerminating = (pod: Pod): boolean =>
  !isPodTerminal(pod) && pod.metadata.deletionTimestamp !== undefined
