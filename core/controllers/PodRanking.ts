/**
 * Which pods a workload deletes first when it scales down (Kubernetes' `ActivePodsWithRanks`,
 * with the PodDeletionCost and LogarithmicScaleDown behaviours that are on by default): the pods
 * that cost least to lose come first.
 */
import type { Pod } from "../api/Pod.js"
import { isPodActive, isPodReady, podReadySinceMillis } from "./PodConditions.js"
import { timeMillis } from "../api/time.js"

/** Pods with a lower cost are deleted first (`controller.kubernetes.io/pod-deletion-cost`, an int32). */
export const podDeletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost"

/** A pod and its rank: how many related active pods share its node (more means delete it sooner). */
export interface RankedPod {
  readonly pod: Pod
  readonly rank: number
}

const phaseOrdinal = (pod: Pod): number => {
  const phase = pod.status?.phase
  return phase === "Running" ? 2 : phase === "Unknown" ? 1 : 0
}

/** The pod's deletion cost; 0 when absent or not an int32 (as Kubernetes ignores a bad value). */
export const deletionCost = (pod: Pod): number => {
  const value = pod.metadata.annotations?.[podDeletionCostAnnotation]
  if (value === undefined || !/^[+-]?\d+$/.test(value)) return 0
  const cost = Number(value)
  return cost >= -2147483648 && cost <= 2147483647 ? cost : 0
}

const maxContainerRestarts = (pod: Pod): number =>
  (pod.status?.containerStatuses ?? []).reduce((max, c) => Math.max(max, c.restartCount ?? 0), 0)

// Go's zero time sorts as the newest: an unknown time is deleted first.
const afterOrZero = (t1: number | undefined, t2: number | undefined): boolean =>
  t1 === undefined || t2 === undefined ? t1 === undefined : t1 > t2

// Ages in the same power-of-two bucket (of nanoseconds, as Go's Duration) count as equal.
const logarithmicRankDiff = (t1: number, t2: number, now: number): number => {
  const bucket = (t: number) => (now - t > 0 ? Math.floor(Math.log2((now - t) * 1e6)) : -1)
  return bucket(t1) - bucket(t2)
}

/** Newer first, by logarithmic age buckets with the uid breaking ties (LogarithmicScaleDown). */
const newerFirst = (a: Pod, b: Pod, t1: number | undefined, t2: number | undefined, now: number): boolean => {
  if (t1 === undefined || t2 === undefined) return afterOrZero(t1, t2)
  const diff = logarithmicRankDiff(t1, t2, now)
  return diff === 0 ? (a.metadata.uid ?? "") < (b.metadata.uid ?? "") : diff < 0
}

/** ActivePodsWithRanks.Less: whether `a` should be deleted before `b`. */
const deleteBefore = (a: RankedPod, b: RankedPod, now: number): boolean => {
  const nodeA = a.pod.spec?.nodeName ?? ""
  const nodeB = b.pod.spec?.nodeName ?? ""
  // 1. Unassigned < assigned.
  if (nodeA !== nodeB && (nodeA === "" || nodeB === "")) return nodeA === ""
  // 2. Pending < Unknown < Running.
  if (phaseOrdinal(a.pod) !== phaseOrdinal(b.pod)) return phaseOrdinal(a.pod) < phaseOrdinal(b.pod)
  // 3. Not ready < ready.
  const readyA = isPodReady(a.pod)
  const readyB = isPodReady(b.pod)
  if (readyA !== readyB) return !readyA
  // 4. Lower deletion cost < higher.
  const costA = deletionCost(a.pod)
  const costB = deletionCost(b.pod)
  if (costA !== costB) return costA < costB
  // 5. Doubled up (more related pods on the same node) < not doubled up.
  if (a.rank !== b.rank) return a.rank > b.rank
  // 6. Ready for less time < more time.
  if (readyA && readyB) {
    const t1 = podReadySinceMillis(a.pod)
    const t2 = podReadySinceMillis(b.pod)
    if (t1 !== t2) return newerFirst(a.pod, b.pod, t1, t2, now)
  }
  // 7. More container restarts < fewer.
  if (maxContainerRestarts(a.pod) !== maxContainerRestarts(b.pod)) {
    return maxContainerRestarts(a.pod) > maxContainerRestarts(b.pod)
  }
  // 8. Newer < older.
  const c1 = timeMillis(a.pod.metadata.creationTimestamp)
  const c2 = timeMillis(b.pod.metadata.creationTimestamp)
  if (c1 !== c2) return newerFirst(a.pod, b.pod, c1, c2, now)
  return false
}

/** A sort comparator over ranked pods: negative when `a` goes before `b` (is deleted sooner). */
export const compareForDeletion =
  (nowMillis: number) =>
  (a: RankedPod, b: RankedPod): number =>
    deleteBefore(a, b, nowMillis) ? -1 : deleteBefore(b, a, nowMillis) ? 1 : 0

/**
 * Ranks each pod by the number of active `relatedPods` on its node (getPodsRankedByRelatedPodsOnSameNode);
 * `relatedPods` is usually every pod of the workload's siblings, a superset of `pods`.
 */
export const rankByRelatedPodsOnSameNode = (
  pods: ReadonlyArray<Pod>,
  relatedPods: ReadonlyArray<Pod>
): ReadonlyArray<RankedPod> => {
  const podsOnNode = new Map<string, number>()
  for (const pod of relatedPods) {
    if (!isPodActive(pod)) continue
    const node = pod.spec?.nodeName ?? ""
    podsOnNode.set(node, (podsOnNode.get(node) ?? 0) + 1)
  }
  return pods.map((pod) => ({ pod, rank: podsOnNode.get(pod.spec?.nodeName ?? "") ?? 0 }))
}

/** The `count` pods to delete first (getPodsToDelete); all of them when `count` covers them all. */
export const podsToDelete = (
  pods: ReadonlyArray<Pod>,
  relatedPods: ReadonlyArray<Pod>,
  count: number,
  nowMillis: number
): ReadonlyArray<Pod> => {
  if (count >= pods.length) return pods
  return [...rankByRelatedPodsOnSameNode(pods, relatedPods)]
    .sort(compareForDeletion(nowMillis))
    .slice(0, Math.max(count, 0))
    .map((ranked) => ranked.pod)
}
