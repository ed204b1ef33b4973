/**
 * A pod's quality-of-service class (Kubernetes' `qos.ComputePodQOS`), which the API server writes
 * into `status.qosClass` on create and the kubelet and scheduler read: Guaranteed when every
 * container limits cpu and memory and requests equal limits, BestEffort when nothing is requested
 * or limited, Burstable otherwise. Zero quantities count as unset.
 */
import * as Either from "effect/Either"
import type { ResourceList } from "./Container.js"
import type { PodSpec } from "./PodSpec.js"
import * as Quantity from "./Quantity.js"

export type QOSClass = "Guaranteed" | "Burstable" | "BestEffort"

const computeResources = ["cpu", "memory"] as const

// A quantity counts only when positive, as in Kubernetes.
const positive = (list: ResourceList | undefined, name: string): Quantity.Quantity | undefined => {
  const value = list?.[name]
  if (value === undefined) return undefined
  const q = Quantity.parse(value)
  return Either.isRight(q) && Quantity.compare(q.right, Quantity.zero) > 0 ? q.right : undefined
}

/** The class of a pod spec (containers and init containers; an absent request defaults to its limit). */
export const podQOSClass = (spec: PodSpec): QOSClass => {
  const containers = [...(spec.containers ?? []), ...(spec.initContainers ?? [])]
  const requests = new Map<string, Quantity.Quantity>()
  const limits = new Map<string, Quantity.Quantity>()
  let guaranteed = true
  for (const container of containers) {
    const resources = container.resources ?? {}
    let limited = 0
    for (const name of computeResources) {
      const limit = positive(resources.limits, name)
      // Defaulting copies a limit into an absent request (not a zero one); the same here for undefaulted specs.
      const request = resources.requests?.[name] === undefined ? limit : positive(resources.requests, name)
      if (request !== undefined) requests.set(name, Quantity.add(requests.get(name) ?? Quantity.zero, request))
      if (limit !== undefined) {
        limited++
        limits.set(name, Quantity.add(limits.get(name) ?? Quantity.zero, limit))
      }
    }
    if (limited !== computeResources.length) guaranteed = false
  }
  if (requests.size === 0 && limits.size === 0) return "BestEffort"
  for (const [name, request] of requests) {
    const limit = limits.get(name)
    if (limit === undefined || Quantity.compare(limit, request) !== 0) guaranteed = false
  }
  return guaranteed && requests.size === limits.size ? "Guaranteed" : "Burstable"
}
