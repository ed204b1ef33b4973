/**
 * A pod's quality-of-service class (Kubernetes' `qos.GetPodQOS`), which the API server writes into
 * `status.qosClass` on create: Guaranteed when every container limits cpu and memory and requests
 * equal limits, BestEffort when nothing is requested or limited, Burstable otherwise.
 */
import * as Either from "effect/Either"
import * as Quantity from "../api/Quantity.js"
import { isObject, type JsonObject } from "./JsonValue.js"

export type QOSClass = "Guaranteed" | "Burstable" | "BestEffort"

const computeResources = ["cpu", "memory"] as const

const quantity = (value: unknown): Quantity.Quantity | undefined => {
  if (typeof value !== "string" && typeof value !== "number") return undefined
  const q = Quantity.parse(value)
  return Either.isRight(q) && Quantity.compare(q.right, Quantity.zero) !== 0 ? q.right : undefined
}

/** The class of a pod spec (containers and init containers; a request defaults to its limit). */
export const podQOSClass = (spec: unknown): QOSClass => {
  const containers = isObject(spec)
    ? [spec.containers, spec.initContainers].flatMap((list) => (Array.isArray(list) ? list : []))
    : []
  const requests = new Map<string, Quantity.Quantity>()
  const limits = new Map<string, Quantity.Quantity>()
  let guaranteed = true
  for (const container of containers) {
    const resources = isObject(container) && isObject(container.resources) ? container.resources : {}
    const containerLimits: JsonObject = isObject(resources.limits) ? resources.limits : {}
    const containerRequests: JsonObject = isObject(resources.requests) ? resources.requests : {}
    const limited = new Set<string>()
    for (const name of computeResources) {
      const limit = quantity(containerLimits[name])
      const request = quantity(containerRequests[name]) ?? limit
      if (request !== undefined) requests.set(name, Quantity.add(requests.get(name) ?? Quantity.zero, request))
      if (limit !== undefined) {
        limited.add(name)
        limits.set(name, Quantity.add(limits.get(name) ?? Quantity.zero, limit))
      }
    }
    if (limited.size !== computeResources.length) guaranteed = false
  }
  if (requests.size === 0 && limits.size === 0) return "BestEffort"
  if (guaranteed) {
    for (const [name, request] of requests) {
      const limit = limits.get(name)
      if (limit === undefined || Quantity.compare(limit, request) !== 0) guaranteed = false
    }
  }
  return guaranteed && requests.size === limits.size ? "Guaranteed" : "Burstable"
}
