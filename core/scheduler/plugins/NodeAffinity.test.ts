import { describe, expect, it } from "@effect/vitest"
import type { NodeSelectorTerm } from "../../api/Pod.js"
import * as Plugin from "../framework/Plugin.js"
import * as Snapshot from "../framework/Snapshot.js"
import { cycleState, filterAll, node, nodeInfo, plugin, pod, scores } from "./Fixtures.js"
import * as NodeAffinity from "./NodeAffinity.js"

const affinity = plugin(NodeAffinity.make)
const ssd = nodeInfo(node("ssd", { labels: { disk: "ssd", cores: "16", zone: "a" } }))
const hdd = nodeInfo(node("hdd", { labels: { disk: "hdd", cores: "4", zone: "b" } }))
const bare = nodeInfo(node("bare"))
const nodes = [ssd, hdd, bare]
const rejected = Plugin.unresolvable("node(s) didn't match Pod's node affinity/selector")

const required = (...nodeSelectorTerms: Array<NodeSelectorTerm>) =>
  pod("p", { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms } } } })

const passing = (p: ReturnType<typeof pod>) =>
  Object.entries(filterAll(affinity, p, nodes))
    .filter(([, s]) => Plugin.isSuccess(s))
    .map(([name]) => name)

describe("NodeAffinity filter", () => {
  it("applies spec.nodeSelector", () => {
    expect(filterAll(affinity, pod("p", { nodeSelector: { disk: "ssd" } }), nodes)).toEqual({
      ssd: Plugin.success,
      hdd: rejected,
      bare: rejected
    })
  })

  it("ORs required terms and ANDs their expressions", () => {
    const inSsd = { matchExpressions: [{ key: "disk", operator: "In", values: ["ssd"] }] }
    const zoneB = { matchExpressions: [{ key: "zone", operator: "In", values: ["b"] }] }
    expect(passing(required(inSsd, zoneB))).toEqual(["ssd", "hdd"])
    expect(
      passing(
        required({
          matchExpressions: [
            { key: "disk", operator: "Exists" },
            { key: "zone", operator: "NotIn", values: ["a"] }
          ]
        })
      )
    ).toEqual(["hdd"])
    expect(passing(required({ matchExpressions: [{ key: "disk", operator: "DoesNotExist" }] }))).toEqual(["bare"])
    expect(passing(required({ matchExpressions: [{ key: "cores", operator: "Gt", values: ["8"] }] }))).toEqual(["ssd"])
    expect(passing(required({ matchExpressions: [{ key: "cores", operator: "Lt", values: ["8"] }] }))).toEqual(["hdd"])
  })

  it("requires both the nodeSelector and the terms", () => {
    const p = pod("p", {
      nodeSelector: { disk: "hdd" },
      affinity: required({ matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] }).spec!.affinity!
    })
    expect(passing(p)).toEqual([])
  })

  it("matches no node with an empty or unparseable term", () => {
    expect(passing(required({}))).toEqual([])
    expect(passing(required({ matchExpressions: [{ key: "cores", operator: "Gt", values: ["many"] }] }))).toEqual([])
  })

  it("narrows the cycle to nodes pinned by metadata.name", () => {
    const pinned = required(
      { matchFields: [{ key: "metadata.name", operator: "In", values: ["ssd", "bare"] }] },
      { matchFields: [{ key: "metadata.name", operator: "In", values: ["hdd"] }] }
    )
    const result = affinity.preFilter!(cycleState(), pinned, Snapshot.make(nodes))
    expect(result.nodeNames).toEqual(new Set(["ssd", "bare", "hdd"]))
    const conflicting = required({
      matchFields: [
        { key: "metadata.name", operator: "In", values: ["ssd"] },
        { key: "metadata.name", operator: "In", values: ["hdd"] }
      ]
    })
    expect(affinity.preFilter!(cycleState(), conflicting, Snapshot.make(nodes)).status).toEqual(
      Plugin.unresolvable("pod affinity terms conflict")
    )
    expect(passing(required({ matchFields: [{ key: "metadata.name", operator: "NotIn", values: ["ssd"] }] }))).toEqual([
      "hdd",
      "bare"
    ])
  })
})

describe("NodeAffinity score", () => {
  it("sums the weights of matching preferred terms, scaled to 100", () => {
    const p = pod("p", {
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 80, preference: { matchExpressions: [{ key: "disk", operator: "In", values: ["ssd"] }] } },
            { weight: 20, preference: { matchExpressions: [{ key: "zone", operator: "In", values: ["b"] }] } },
            { weight: 20, preference: { matchExpressions: [{ key: "cores", operator: "Exists" }] } }
          ]
        }
      }
    })
    expect(scores(affinity, p, nodes)).toEqual({ ssd: 100, hdd: 40, bare: 0 })
  })

  it("skips pods without preferences", () => {
    expect(affinity.preScore!(cycleState(), pod("p"), nodes, Snapshot.make(nodes))).toEqual(Plugin.skip)
  })
})
