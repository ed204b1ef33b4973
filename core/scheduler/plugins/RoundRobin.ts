/**
 * RoundRobin (research policy): rotates over the nodes in the snapshot's order — the pod goes to
 * the first feasible node after the one the previous pod was reserved on (wrapping around). The
 * score falls with the distance from there; reserve remembers the chosen node.
 */
import * as Effect from "effect/Effect"
import * as Plugin from "../framework/Plugin.js"
import { nodeOrder } from "./NodeOrder.js"
import { reader } from "./PluginArgs.js"
import { stateData } from "./StateData.js"

export const Name = "RoundRobin"

interface PreScoreState {
  readonly order: ReadonlyMap<string, number>
  /** Position of the last chosen node, -1 for none. */
  readonly last: number
}

export const make: Plugin.PluginFactory = (args) => {
  reader(Name, args, [])
  let lastNode: string | undefined
  const preScoreState = stateData<PreScoreState>(`PreScore${Name}`)
  return {
    name: Name,
    preScore: (state, _pod, _nodes, snapshot) => {
      const order = nodeOrder(snapshot)
      preScoreState.write(state, { order, last: lastNode === undefined ? -1 : (order.get(lastNode) ?? -1) })
      return Plugin.success
    },
    score: (state, _pod, node) => {
      const s = preScoreState.read(state)
      if (s === undefined || s.order.size === 0) return 0
      const total = s.order.size
      const distance = ((s.order.get(node.name) ?? total) - s.last - 1 + total) % total
      return (Plugin.maxNodeScore * (total - distance)) / total
    },
    reserve: (_state, _pod, nodeName) =>
      Effect.sync(() => {
        lastNode = nodeName
        return Plugin.success
      })
  }
}
