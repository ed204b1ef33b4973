import { describe, expect, it } from "@effect/vitest"
import * as Plugin from "../framework/Plugin.js"
import { filter, node, nodeInfo, plugin, pod, scores } from "./Fixtures.js"
import * as TaintToleration from "./TaintToleration.js"

const taints = plugin(TaintToleration.make)
const gpu = nodeInfo(node("gpu", { taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }] }))
const draining = nodeInfo(
  node("draining", { taints: [{ key: "node.kubernetes.io/unreachable", effect: "NoExecute" }] })
)

describe("TaintToleration filter", () => {
  it("rejects an untolerated NoSchedule or NoExecute taint with Kubernetes' message", () => {
    expect(filter(taints, pod("p"), [gpu])).toEqual(
      Plugin.unresolvable("node(s) had untolerated taint {dedicated: gpu}")
    )
    expect(filter(taints, pod("p"), [draining])).toEqual(
      Plugin.unresolvable("node(s) had untolerated taint {node.kubernetes.io/unreachable: }")
    )
  })

  it("ignores PreferNoSchedule taints", () => {
    const soft = nodeInfo(node("soft", { taints: [{ key: "k", value: "v", effect: "PreferNoSchedule" }] }))
    expect(filter(taints, pod("p"), [soft])).toEqual(Plugin.success)
  })

  it("matches tolerations by key, value, operator and effect", () => {
    const tolerating = (t: object) => filter(taints, pod("p", { tolerations: [t] }), [gpu]).code
    expect(tolerating({ key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" })).toBe("Success")
    expect(tolerating({ key: "dedicated", value: "gpu" })).toBe("Success")
    expect(tolerating({ key: "dedicated", operator: "Exists" })).toBe("Success")
    expect(tolerating({ operator: "Exists" })).toBe("Success")
    expect(tolerating({ key: "dedicated", value: "cpu" })).toBe("UnschedulableAndUnresolvable")
    expect(tolerating({ key: "dedicated", operator: "Exists", effect: "NoExecute" })).toBe(
      "UnschedulableAndUnresolvable"
    )
  })
})

describe("TaintToleration score", () => {
  it("prefers nodes with fewer untolerated PreferNoSchedule taints", () => {
    const prefer = (key: string) => ({ key, effect: "PreferNoSchedule" })
    const clean = nodeInfo(node("clean"))
    const one = nodeInfo(node("one", { taints: [prefer("a")] }))
    const two = nodeInfo(node("two", { taints: [prefer("a"), prefer("b")] }))
    expect(scores(taints, pod("p"), [clean, one, two])).toEqual({ clean: 100, one: 50, two: 0 })
    const tolerant = pod("p", { tolerations: [{ key: "a", operator: "Exists" }] })
    expect(scores(taints, tolerant, [clean, one, two])).toEqual({ clean: 100, one: 100, two: 0 })
  })
})
