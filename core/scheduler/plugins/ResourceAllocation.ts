/**
 * What resource scorers share (noderesources' `resourceAllocationScorer`): the scored resources and
 * their weights, the pod's request of each, and a node's allocatable and requested amounts of each.
 * Amounts go into reusable arrays, because a scorer runs for every feasible node of every pod.
 */
import type { Pod } from "../../api/Pod.js"
import { type NodeInfo, podInfo } from "../framework/NodeInfo.js"
import type * as Resource from "../framework/Resource.js"
import type { Reader } from "./PluginArgs.js"

export interface ResourceSpec {
  readonly name: string
  readonly weight: number
}

/** CPU and memory, weight 1 each: the default of every resource scorer. */
export const defaultResources: ReadonlyArray<ResourceSpec> = [
  { name: "cpu", weight: 1 },
  { name: "memory", weight: 1 }
]

/** Reads `resources: [{name, weight}]` (weights 1..100, names distinct), or the default. */
export const readResources = (args: Reader, key = "resources"): ReadonlyArray<ResourceSpec> => {
  const specs =
    args.list(key, (r, at) => {
      const name = r.name
      if (typeof name !== "string" || name === "") return args.fail(`"${at}.name" must be a resource name`)
      const weight = r.weight ?? 1
      if (typeof weight !== "number" || !Number.isInteger(weight) || weight < 1 || weight > 100) {
        return args.fail(`"${at}.weight" must be an integer in [1, 100]`)
      }
      return { name, weight }
    }) ?? defaultResources
  if (specs.length === 0) return args.fail(`"${key}" must name at least one resource`)
  if (new Set(specs.map((s) => s.name)).size !== specs.length) return args.fail(`"${key}" names a resource twice`)
  return specs
}

const CPU = 0
const MEMORY = 1
const EPHEMERAL = 2
const SCALAR = 3

const kindOf = (name: string) =>
  name === "cpu" ? CPU : name === "memory" ? MEMORY : name === "ephemeral-storage" ? EPHEMERAL : SCALAR

/** Allocatable and requested amounts of the scored resources on one node, with the pod placed there. */
export interface Amounts {
  readonly allocatable: Float64Array
  readonly requested: Float64Array
}

export interface ResourceAllocation {
  readonly resources: ReadonlyArray<ResourceSpec>
  readonly weights: ReadonlyArray<number>
  /** Whether the resources are the default ones, CPU then memory, which scorers may read off the NodeInfo directly. */
  readonly cpuAndMemory: boolean
  /** The pod's request of each resource; with `nonZero`, unset CPU / memory count the scoring defaults. */
  readonly podRequests: (pod: Pod) => ReadonlyArray<number>
  /** Fills the shared `amounts` for this node; an extended resource the pod does not request is (0, 0). */
  readonly amounts: (node: NodeInfo, podRequests: ReadonlyArray<number>) => Amounts
}

/**
 * `useRequested` (BalancedAllocation) counts the node's actual requests; otherwise (the Fit
 * strategies) the node's non-zero requests and the pod's non-zero request, as Kubernetes does.
 */
export const make = (resources: ReadonlyArray<ResourceSpec>, useRequested: boolean): ResourceAllocation => {
  const kinds = resources.map((r) => kindOf(r.name))
  const names = resources.map((r) => r.name)
  const amounts: Amounts = {
    allocatable: new Float64Array(resources.length),
    requested: new Float64Array(resources.length)
  }
  const amountOf = (r: Resource.Resource, i: number) => {
    switch (kinds[i]) {
      case CPU:
        return r.milliCpu
      case MEMORY:
        return r.memory
      case EPHEMERAL:
        return r.ephemeralStorage
      default:
        return r.scalar.get(names[i]) ?? 0
    }
  }
  return {
    resources,
    weights: resources.map((r) => r.weight),
    cpuAndMemory: kinds.length === 2 && kinds[0] === CPU && kinds[1] === MEMORY,
    podRequests: (pod) => {
      const info = podInfo(pod)
      const requests = useRequested ? info.requests : info.nonZeroRequests
      return kinds.map((_, i) => amountOf(requests, i))
    },
    amounts: (node, podRequests) => {
      const base = useRequested ? node.requested : node.nonZeroRequested
      for (let i = 0; i < kinds.length; i++) {
        const request = podRequests[i]
        const kind = kinds[i]
        if (kind === SCALAR) {
          const allocatable = node.allocatable.scalar.get(names[i])
          const scored = request !== 0 && allocatable !== undefined
          amounts.allocatable[i] = scored ? allocatable : 0
          amounts.requested[i] = scored ? (node.requested.scalar.get(names[i]) ?? 0) + request : 0
        } else {
          amounts.allocatable[i] = amountOf(node.allocatable, i)
          amounts.requested[i] = (kind === EPHEMERAL ? node.requested.ephemeralStorage : amountOf(base, i)) + request
        }
      }
      return amounts
    }
  }
}
