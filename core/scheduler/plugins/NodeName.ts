/**
 * NodeName: a pod that names its node (`spec.nodeName`) fits only that node. Pre-filter narrows the
 * cycle to that one node, so the framework does not filter the others.
 */
import * as Plugin from "../framework/Plugin.js"
import { reader } from "./PluginArgs.js"

export const Name = "NodeName"

export const errReason = "node(s) didn't match the requested node name"

const rejected = Plugin.unresolvable(errReason)

export const make: Plugin.PluginFactory = (args) => {
  reader(Name, args, [])
  return {
    name: Name,
    preFilter: (_state, pod) => {
      const nodeName = pod.spec?.nodeName ?? ""
      return nodeName === "" ? { status: Plugin.skip } : { status: Plugin.success, nodeNames: new Set([nodeName]) }
    },
    filter: (_state, pod, node) => {
      const nodeName = pod.spec?.nodeName ?? ""
      return nodeName === "" || nodeName === node.name ? Plugin.success : rejected
    },
    events: [
      { resource: "Node", action: "Add" },
      { resource: "Node", action: "Update" }
    ]
  }
}
