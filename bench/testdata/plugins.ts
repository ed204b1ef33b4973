/** A user's plugin module for `minik8s bench --plugins`: a profile that packs pods onto the highest-numbered node first. */
import * as Plugin from "../../core/scheduler/framework/Plugin.js"
import { defaultFilters, type Profile } from "../../core/scheduler/Profile.js"
import type { Registry } from "../../core/scheduler/registry.js"

const LastNode: Plugin.PluginFactory = () => ({
  name: "LastNode",
  score: (_state, _pod, node) => Math.min(Plugin.maxNodeScore, Number(node.name.split("-").at(-1)) || 0)
})

export const registry: Registry = { LastNode }

export const profiles: Record<string, Profile> = {
  "last-node": { schedulerName: "last-node", plugins: { filter: defaultFilters, score: [{ name: "LastNode" }] } }
}
