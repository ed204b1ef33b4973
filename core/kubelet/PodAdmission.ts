/**
 * The kubelet's resource admission (Kubernetes' predicate admit handler, the scheduler's
 * NodeResourcesFit run on the node): a pod bound here whose requests do not fit in the node's
 * allocatable minus what the admitted, still-running pods request is rejected, and the first
 * resource short gives the reason (`OutOfcpu`, `OutOfmemory`, `OutOfpods` …).
 */
import type { ResourceList } from "../api/Container.js"
import type { Pod } from "../api/Pod.js"
import * as Resource from "../scheduler/framework/Resource.js"

export type AdmitResult =
  { readonly admitted: true } | { readonly admitted: false; readonly reason: string; readonly message: string }

const short = (resource: string, requested: number, used: number, capacity: number): AdmitResult => ({
  admitted: false,
  reason: `OutOf${resource}`,
  message: `Node didn't have enough resource: ${resource}, requested: ${requested}, used: ${used}, capacity: ${capacity}`
})

/** Whether `pod` fits on a node with `allocatable` that runs `admitted`. */
export const admit = (pod: Pod, admitted: ReadonlyArray<Pod>, allocatable: ResourceList): AdmitResult => {
  const capacity = Resource.fromList(allocatable)
  // A node that declares no pod limit takes any number of pods.
  if (allocatable.pods !== undefined && admitted.length + 1 > capacity.allowedPodNumber) {
    return short("pods", 1, admitted.length, capacity.allowedPodNumber)
  }
  const used = Resource.empty()
  for (const p of admitted) Resource.addTo(used, Resource.podRequests(p))
  const request = Resource.podRequests(pod)
  const checks: ReadonlyArray<readonly [string, number, number, number]> = [
    ["cpu", request.milliCpu, used.milliCpu, capacity.milliCpu],
    ["memory", request.memory, used.memory, capacity.memory],
    ["ephemeral-storage", request.ephemeralStorage, used.ephemeralStorage, capacity.ephemeralStorage],
    ...[...request.scalar].map(
      ([name, value]) => [name, value, used.scalar.get(name) ?? 0, capacity.scalar.get(name) ?? 0] as const
    )
  ]
  for (const [name, requested, inUse, total] of checks) {
    if (requested > 0 && requested > total - inUse) return short(name, requested, inUse, total)
  }
  return { admitted: true }
}
