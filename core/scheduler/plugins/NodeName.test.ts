import { describe, expect, it } from "@effect/vitest"
import * as Plugin from "../framework/Plugin.js"
import * as Snapshot from "../framework/Snapshot.js"
import { cycleState, filter, node, nodeInfo, plugin, pod } from "./Fixtures.js"
import * as NodeName from "./NodeName.js"

describe("NodeName", () => {
  const nodeName = plugin(NodeName.make)
  const [a, b] = [nodeInfo(node("a")), nodeInfo(node("b"))]

  it("admits only the named node", () => {
    expect(filter(nodeName, pod("p", { nodeName: "a" }), [a, b], a)).toEqual(Plugin.success)
    expect(filter(nodeName, pod("p", { nodeName: "a" }), [a, b], b)).toEqual(
      Plugin.unresolvable("node(s) didn't match the requested node name")
    )
  })

  it("narrows the cycle to the named node, and skips pods that name none", () => {
    expect(nodeName.preFilter!(cycleState(), pod("p", { nodeName: "b" }), Snapshot.make([a, b])).nodeNames).toEqual(
      new Set(["b"])
    )
    expect(nodeName.preFilter!(cycleState(), pod("p"), Snapshot.make([a, b])).status).toEqual(Plugin.skip)
  })
})
