/**
 * NodeResourcesBalancedAllocation: prefers the node whose resource utilisations, with the pod, are
 * closest to each other — score `(1 - std(fractions)) * 100` over the `resources` (default CPU and
 * memory), counting actual requests. Best-effort pods (no requests) are not scored, as in Kubernetes.
 */
import * as Plugin from "../framework/Plugin.js"
import { reader } from "./PluginArgs.js"
import * as ResourceAllocation from "./ResourceAllocation.js"
import { stateData } from "./StateData.js"

export const Name = "NodeResourcesBalancedAllocation"

/** The score of one node from its amounts (`balancedResourceScorer`). */
export const balancedScore = ({ allocatable, requested }: ResourceAllocation.Amounts): number => {
  let count = 0
  let total = 0
  let first = 0
  let second = 0
  for (let i = 0; i < allocatable.length; i++) {
    if (allocatable[i] === 0) continue
    const fraction = Math.min(requested[i] / allocatable[i], 1)
    if (count === 0) first = fraction
    else if (count === 1) second = fraction
    total += fraction
    count++
  }
  let std = 0
  if (count === 2) std = Math.abs((first - second) / 2)
  else if (count > 2) {
    const mean = total / count
    let sum = 0
    for (let i = 0; i < allocatable.length; i++) {
      if (allocatable[i] === 0) continue
      const d = Math.min(requested[i] / allocatable[i], 1) - mean
      sum += d * d
    }
    std = Math.sqrt(sum / count)
  }
  return Math.trunc((1 - std) * Plugin.maxNodeScore)
}

export const make: Plugin.PluginFactory = (raw) => {
  const args = reader(Name, raw, ["resources"])
  const allocation = ResourceAllocation.make(ResourceAllocation.readResources(args), true)
  const preScoreState = stateData<ReadonlyArray<number>>(`PreScore${Name}`)
  return {
    name: Name,
    preScore: (state, pod) => {
      const podRequests = allocation.podRequests(pod)
      if (podRequests.every((r) => r === 0)) return Plugin.skip
      preScoreState.write(state, podRequests)
      return Plugin.success
    },
    score: (state, pod, node) => {
      const podRequests = preScoreState.read(state) ?? allocation.podRequests(pod)
      const allocatable = node.allocatable
      if (!allocation.cpuAndMemory || allocatable.milliCpu === 0 || allocatable.memory === 0)
        return balancedScore(allocation.amounts(node, podRequests))
      // The default resources on a node that has both (the common case), read directly: std of two is |a - b| / 2.
      const requested = node.requested
      const cpu = Math.min((requested.milliCpu + podRequests[0]) / allocatable.milliCpu, 1)
      const memory = Math.min((requested.memory + podRequests[1]) / allocatable.memory, 1)
      return Math.trunc((1 - Math.abs((cpu - memory) / 2)) * Plugin.maxNodeScore)
    }
  }
}
