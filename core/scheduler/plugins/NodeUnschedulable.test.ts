import { describe, expect, it } from "@effect/vitest"
import * as Plugin from "../framework/Plugin.js"
import { filter, node, nodeInfo, plugin, pod } from "./Fixtures.js"
import * as NodeUnschedulable from "./NodeUnschedulable.js"

describe("NodeUnschedulable", () => {
  const unschedulable = plugin(NodeUnschedulable.make)
  const cordoned = nodeInfo(node("c", { unschedulable: true }))

  it("rejects a cordoned node", () => {
    expect(filter(unschedulable, pod("p"), [cordoned])).toEqual(Plugin.unresolvable("node(s) were unschedulable"))
    expect(filter(unschedulable, pod("p"), [nodeInfo(node("ok"))])).toEqual(Plugin.success)
  })

  it("admits a pod tolerating node.kubernetes.io/unschedulable", () => {
    const tolerant = pod("p", {
      tolerations: [{ key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" }]
    })
    expect(filter(unschedulable, tolerant, [cordoned])).toEqual(Plugin.success)
    const wrongEffect = pod("p", {
      tolerations: [{ key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoExecute" }]
    })
    expect(filter(unschedulable, wrongEffect, [cordoned]).code).toBe("UnschedulableAndUnresolvable")
  })
})
