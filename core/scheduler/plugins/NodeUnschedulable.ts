/**
 * NodeUnschedulable: a cordoned node (`spec.unschedulable`) takes only pods that tolerate the
 * `node.kubernetes.io/unschedulable:NoSchedule` taint.
 */
import type { Taint } from "../../api/Node.js"
import * as Plugin from "../framework/Plugin.js"
import { reader } from "./PluginArgs.js"
import { tolerated } from "./Tolerations.js"

export const Name = "NodeUnschedulable"

export const errReasonUnschedulable = "node(s) were unschedulable"
export const errReasonUnknownCondition = "node(s) had unknown conditions"

const unschedulableTaint: Taint = { key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" }
const cordoned = Plugin.unresolvable(errReasonUnschedulable)
const unknown = Plugin.unresolvable(errReasonUnknownCondition)

export const make: Plugin.PluginFactory = (args) => {
  reader(Name, args, [])
  return {
    name: Name,
    filter: (_state, pod, node) => {
      if (node.node === undefined) return unknown
      if (!node.unschedulable) return Plugin.success
      return tolerated(pod.spec?.tolerations, unschedulableTaint) ? Plugin.success : cordoned
    },
    events: [
      { resource: "Node", action: "Add" },
      { resource: "Node", action: "Update" }
    ]
  }
}
