/**
 * Random (research policy): every feasible node gets a uniform random score from the cycle's
 * seeded random numbers, so the pod lands on a uniformly random feasible node.
 */
import * as Plugin from "../framework/Plugin.js"
import { reader } from "./PluginArgs.js"

export const Name = "Random"

export const make: Plugin.PluginFactory = (args) => {
  reader(Name, args, [])
  return {
    name: Name,
    score: (state) => state.random() * Plugin.maxNodeScore
  }
}
