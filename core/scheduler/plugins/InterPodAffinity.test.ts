import { describe, expect, it } from "@effect/vitest"
import type { Affinity, PodAffinityTerm } from "../../api/Pod.js"
import * as Plugin from "../framework/Plugin.js"
import * as Snapshot from "../framework/Snapshot.js"
import { cycleState, filterAll, node, nodeInfo, plugin, pod, scores } from "./Fixtures.js"
import * as InterPodAffinity from "./InterPodAffinity.js"

const interPod = plugin(InterPodAffinity.make)
const term = (app: string, topologyKey = "zone", extra: Partial<PodAffinityTerm> = {}): PodAffinityTerm => ({
  labelSelector: { matchLabels: { app } },
  topologyKey,
  ...extra
})
const labelled = (name: string, app: string, affinity?: Affinity, namespace?: string) =>
  pod(name, {
    labels: { app },
    ...(affinity === undefined ? {} : { affinity }),
    ...(namespace === undefined ? {} : { namespace })
  })
const codes = (statuses: Record<string, Plugin.Status>) =>
  Object.fromEntries(Object.entries(statuses).map(([n, s]) => [n, s.code]))

const zoned = (name: string, zone: string, pods: Parameters<typeof nodeInfo>[1] = []) =>
  nodeInfo(node(name, { labels: { zone } }), pods)

describe("InterPodAffinity filter", () => {
  it("requires a selected pod in the node's domain", () => {
    const nodes = [zoned("a1", "a", [labelled("db", "db")]), zoned("a2", "a"), zoned("b1", "b"), nodeInfo(node("x"))]
    const p = labelled("p", "web", { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("db")] } })
    const statuses = filterAll(interPod, p, nodes)
    expect(codes(statuses)).toEqual({
      a1: "Success",
      a2: "Success",
      b1: "UnschedulableAndUnresolvable",
      x: "UnschedulableAndUnresolvable"
    })
    expect(statuses.b1).toEqual(Plugin.unresolvable("node(s) didn't match pod affinity rules"))
  })

  it("lets the first pod of a self-affine group go to any node with the topology", () => {
    const nodes = [zoned("a1", "a"), zoned("b1", "b"), nodeInfo(node("x"))]
    const p = labelled("p", "db", { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("db")] } })
    expect(codes(filterAll(interPod, p, nodes))).toEqual({
      a1: "Success",
      b1: "Success",
      x: "UnschedulableAndUnresolvable"
    })
  })

  it("keeps anti-affine pods apart", () => {
    const nodes = [nodeInfo(node("h1"), [labelled("w1", "web")]), nodeInfo(node("h2"))]
    const p = labelled("p", "web", {
      podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("web", "kubernetes.io/hostname")] }
    })
    const statuses = filterAll(interPod, p, nodes)
    expect(statuses.h1).toEqual(Plugin.unschedulable("node(s) didn't match pod anti-affinity rules"))
    expect(statuses.h2).toEqual(Plugin.success)
  })

  it("honours existing pods' anti-affinity against the incoming pod", () => {
    const loner = labelled("loner", "batch", {
      podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("web")] }
    })
    const nodes = [zoned("a1", "a", [loner]), zoned("a2", "a"), zoned("b1", "b")]
    const statuses = filterAll(interPod, labelled("p", "web"), nodes)
    expect(statuses.a2).toEqual(Plugin.unschedulable("node(s) didn't satisfy existing pods anti-affinity rules"))
    expect(codes(statuses)).toEqual({ a1: "Unschedulable", a2: "Unschedulable", b1: "Success" })
  })

  it("selects pods in the term's namespaces (own namespace by default)", () => {
    const nodes = [zoned("a1", "a", [labelled("db", "db", undefined, "data")]), zoned("b1", "b")]
    const wants = (t: PodAffinityTerm) =>
      codes(
        filterAll(
          interPod,
          labelled("p", "web", { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [t] } }),
          nodes
        )
      )
    expect(wants(term("db"))).toEqual({ a1: "UnschedulableAndUnresolvable", b1: "UnschedulableAndUnresolvable" })
    expect(wants(term("db", "zone", { namespaces: ["data"] }))).toEqual({
      a1: "Success",
      b1: "UnschedulableAndUnresolvable"
    })
    expect(wants(term("db", "zone", { namespaceSelector: {} }))).toEqual({
      a1: "Success",
      b1: "UnschedulableAndUnresolvable"
    })
    expect(
      wants(term("db", "zone", { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "data" } } }))
    ).toEqual({ a1: "Success", b1: "UnschedulableAndUnresolvable" })
  })

  it("skips when no pod has required terms", () => {
    const nodes = [zoned("a1", "a", [labelled("db", "db")])]
    expect(interPod.preFilter!(cycleState(), labelled("p", "web"), Snapshot.make(nodes)).status).toEqual(Plugin.skip)
  })
})

describe("InterPodAffinity score", () => {
  const nodes = () => [zoned("a1", "a", [labelled("db", "db")]), zoned("a2", "a"), zoned("b1", "b")]

  it("adds preferred affinity weights per domain", () => {
    const p = labelled("p", "web", {
      podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term("db") }] }
    })
    expect(scores(interPod, p, nodes())).toEqual({ a1: 100, a2: 100, b1: 0 })
  })

  it("subtracts preferred anti-affinity weights", () => {
    const p = labelled("p", "web", {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term("db") }]
      }
    })
    expect(scores(interPod, p, nodes())).toEqual({ a1: 0, a2: 0, b1: 100 })
  })

  it("counts existing pods' required affinity for the incoming pod (hardPodAffinityWeight)", () => {
    const fan = labelled("fan", "fan", {
      podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("web")] }
    })
    const withFan = [zoned("a1", "a"), zoned("b1", "b", [fan])]
    expect(scores(interPod, labelled("p", "web"), withFan)).toEqual({ a1: 0, b1: 100 })
    const ignoring = plugin(InterPodAffinity.make, { hardPodAffinityWeight: 0 })
    expect(ignoring.preScore!(cycleState(), labelled("p", "web"), withFan, Snapshot.make(withFan))).toEqual(Plugin.skip)
  })
})
