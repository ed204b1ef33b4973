/**
 * Resource amounts as the scheduler adds them up (`framework.Resource`): CPU in millicores,
 * memory and ephemeral storage in bytes, a pod count, and integer extended resources
 * (`nvidia.com/gpu`, hugepages). Plain numbers, because the scheduler sums them per node and pod.
 */
import * as Either from "effect/Either"
import type { ResourceList } from "../../api/Container.js"
import type { Pod } from "../../api/Pod.js"
import * as Quantity from "../../api/Quantity.js"

export interface Resource {
  milliCpu: number
  memory: number
  ephemeralStorage: number
  /** Pods a node allows (`pods` in allocatable); unused in a pod's request. */
  allowedPodNumber: number
  /** Extended and hugepages resources by name, in their integer unit. */
  readonly scalar: Map<string, number>
}

export const empty = (): Resource => ({
  milliCpu: 0,
  memory: 0,
  ephemeralStorage: 0,
  allowedPodNumber: 0,
  scalar: new Map()
})

// Pods repeat the same few quantities ("100m", "128Mi"), and converting one costs bigint arithmetic.
const milliValues = new Map<string, number>()
const values = new Map<string, number>()
const cacheSize = 1024

/** The quantity in millis (`milli`) or whole units, rounded up; undefined when it does not parse. */
const amount = (q: string | number, milli: boolean): number | undefined => {
  const cache = milli ? milliValues : values
  const cached = typeof q === "string" ? cache.get(q) : undefined
  if (cached !== undefined) return cached
  const parsed = Either.getOrUndefined(Quantity.parse(q))
  if (parsed === undefined) return undefined
  const n = milli ? Quantity.milliValue(parsed) : Quantity.value(parsed)
  if (typeof q === "string") {
    if (cache.size >= cacheSize) cache.clear()
    cache.set(q, n)
  }
  return n
}

/** A resource list (`requests`, `allocatable`) as numbers; unparseable values count as zero. */
export const fromList = (list: ResourceList | undefined): Resource => {
  const r = empty()
  if (list === undefined) return r
  for (const name in list) {
    const n = amount(list[name], name === "cpu")
    if (n === undefined) continue
    if (name === "cpu") r.milliCpu = n
    else if (name === "memory") r.memory = n
    else if (name === "ephemeral-storage") r.ephemeralStorage = n
    else if (name === "pods") r.allowedPodNumber = n
    else r.scalar.set(name, n)
  }
  return r
}

/** `into += r` (scaled by `sign`), in place. */
export const addTo = (into: Resource, r: Resource, sign: 1 | -1 = 1): void => {
  into.milliCpu += sign * r.milliCpu
  into.memory += sign * r.memory
  into.ephemeralStorage += sign * r.ephemeralStorage
  into.allowedPodNumber += sign * r.allowedPodNumber
  for (const [name, value] of r.scalar) into.scalar.set(name, (into.scalar.get(name) ?? 0) + sign * value)
}

/** `into = max(into, r)` per resource, in place (init containers run one at a time). */
const maxInto = (into: Resource, r: Resource): void => {
  into.milliCpu = Math.max(into.milliCpu, r.milliCpu)
  into.memory = Math.max(into.memory, r.memory)
  into.ephemeralStorage = Math.max(into.ephemeralStorage, r.ephemeralStorage)
  for (const [name, value] of r.scalar) into.scalar.set(name, Math.max(into.scalar.get(name) ?? 0, value))
}

/** What scoring assumes for a container that requests no CPU / memory (Kubernetes: 100m, 200Mi). */
export const defaultMilliCpuRequest = 100
export const defaultMemoryRequest = 200 * 1024 * 1024

/**
 * A pod's effective request (`resource.PodRequests`): the sum over its containers, or the largest
 * init container when that is larger, plus the pod overhead. With `nonZero`, containers that
 * request no CPU or memory count the scoring defaults instead (as the scheduler's scorers do).
 */
export const podRequests = (pod: Pod, nonZero = false): Resource => {
  const total = empty()
  const containerRequest = (requests: ResourceList | undefined): Resource => {
    const r = fromList(requests)
    if (nonZero) {
      if (requests?.cpu === undefined) r.milliCpu = defaultMilliCpuRequest
      if (requests?.memory === undefined) r.memory = defaultMemoryRequest
    }
    return r
  }
  for (const c of pod.spec?.containers ?? []) addTo(total, containerRequest(c.resources?.requests))
  for (const c of pod.spec?.initContainers ?? []) maxInto(total, containerRequest(c.resources?.requests))
  if (pod.spec?.overhead !== undefined) addTo(total, fromList(pod.spec.overhead))
  return total
}
