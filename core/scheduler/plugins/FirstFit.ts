/**
 * FirstFit (research policy): the first feasible node in the snapshot's node order wins. The score
 * falls with the node's position (100 for the first node); use it with percentageOfNodesToScore 100
 * (as the `first-fit` profile does) so every node is filtered and the first feasible one is among
 * the candidates — otherwise the framework's rotating start makes it "next fit".
 */
import * as Plugin from "../framework/Plugin.js"
import { nodeOrder } from "./NodeOrder.js"
import { reader } from "./PluginArgs.js"
import { stateData } from "./StateData.js"

export const Name = "FirstFit"

export const make: Plugin.PluginFactory = (args) => {
  reader(Name, args, [])
  const preScoreState = stateData<ReadonlyMap<string, number>>(`PreScore${Name}`)
  return {
    name: Name,
    preScore: (state, _pod, _nodes, snapshot) => {
      preScoreState.write(state, nodeOrder(snapshot))
      return Plugin.success
    },
    score: (state, _pod, node) => {
      const order = preScoreState.read(state)
      if (order === undefined || order.size === 0) return 0
      const position = order.get(node.name) ?? order.size
      return (Plugin.maxNodeScore * (order.size - position)) / order.size
    }
  }
}
