/**
 * The plugin registry (`plugins.NewInTreeRegistry`): every shipped plugin's factory by name. A
 * scheduler takes a registry, so a user adds a plugin with `{ ...defaultRegistry, MyPlugin: make }`
 * and names it in a profile (see README.md).
 */
import type { PluginFactory } from "./framework/Plugin.js"
import * as DefaultBinder from "./plugins/DefaultBinder.js"
import * as DominantResourceFairness from "./plugins/DominantResourceFairness.js"
import * as FirstFit from "./plugins/FirstFit.js"
import * as ImageLocality from "./plugins/ImageLocality.js"
import * as InterPodAffinity from "./plugins/InterPodAffinity.js"
import * as NodeAffinity from "./plugins/NodeAffinity.js"
import * as NodeName from "./plugins/NodeName.js"
import * as NodePorts from "./plugins/NodePorts.js"
import * as NodeResourcesBalancedAllocation from "./plugins/NodeResourcesBalancedAllocation.js"
import * as NodeResourcesFit from "./plugins/NodeResourcesFit.js"
import * as NodeUnschedulable from "./plugins/NodeUnschedulable.js"
import * as PodTopologySpread from "./plugins/PodTopologySpread.js"
import * as Random from "./plugins/Random.js"
import * as RoundRobin from "./plugins/RoundRobin.js"
import * as TaintToleration from "./plugins/TaintToleration.js"

export type Registry = Readonly<Record<string, PluginFactory>>

const plugins: ReadonlyArray<{ readonly Name: string; readonly make: PluginFactory }> = [
  NodeUnschedulable,
  NodeName,
  TaintToleration,
  NodeAffinity,
  NodePorts,
  NodeResourcesFit,
  PodTopologySpread,
  InterPodAffinity,
  NodeResourcesBalancedAllocation,
  ImageLocality,
  DefaultBinder,
  Random,
  FirstFit,
  RoundRobin,
  DominantResourceFairness
]

/** Every shipped plugin, by its Name. */
export const defaultRegistry: Registry = Object.fromEntries(plugins.map((p) => [p.Name, p.make]))
