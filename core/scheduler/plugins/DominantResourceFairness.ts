/**
 * DominantResourceFairness (research policy, DRF-style): prefers the node where, after placing the
 * pod, the node's dominant share — the highest of its CPU, memory and requested extended-resource
 * utilisations — is lowest. Score `100 * (1 - dominant share)`; CPU and memory count unset requests
 * as 100m / 200Mi like the other scorers. This balances nodes by their scarcest resource instead of
 * a weighted average (LeastAllocated), which is what DRF does for users, applied to nodes.
 */
import * as Plugin from "../framework/Plugin.js"
import * as Resource from "../framework/Resource.js"
import { reader } from "./PluginArgs.js"
import { stateData } from "./StateData.js"

export const Name = "DominantResourceFairness"

const share = (used: number, request: number, allocatable: number) =>
  allocatable > 0 ? (used + request) / allocatable : request > 0 ? 1 : 0

export const make: Plugin.PluginFactory = (args) => {
  reader(Name, args, [])
  const preScoreState = stateData<Resource.Resource>(`PreScore${Name}`)
  return {
    name: Name,
    preScore: (state, pod) => {
      preScoreState.write(state, Resource.podRequests(pod, true))
      return Plugin.success
    },
    score: (state, pod, node) => {
      const request = preScoreState.read(state) ?? Resource.podRequests(pod, true)
      const [allocatable, used] = [node.allocatable, node.nonZeroRequested]
      let dominant = Math.max(
        share(used.milliCpu, request.milliCpu, allocatable.milliCpu),
        share(used.memory, request.memory, allocatable.memory)
      )
      for (const [name, amount] of request.scalar) {
        if (amount > 0)
          dominant = Math.max(
            dominant,
            share(node.requested.scalar.get(name) ?? 0, amount, allocatable.scalar.get(name) ?? 0)
          )
      }
      return Plugin.maxNodeScore * (1 - Math.min(dominant, 1))
    }
  }
}
