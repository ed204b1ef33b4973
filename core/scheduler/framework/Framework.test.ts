import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { bindTo, cycleState, node, nodeInfo, pod } from "../plugins/Fixtures.js"
import { defaultFilters, type Profile, profiles } from "../Profile.js"
import { defaultRegistry, type Registry } from "../registry.js"
import * as Framework from "./Framework.js"
import type { NodeInfo } from "./NodeInfo.js"
import * as Plugin from "./Plugin.js"
import * as Snapshot from "./Snapshot.js"

const handle: Plugin.Handle = { bind: () => Effect.succeed(Plugin.success) }

/** A framework over the shipped plugins plus `extra`. */
const build = (profile: Profile, extra: Registry = {}, options: Framework.FrameworkOptions = {}) =>
  Either.getOrThrowWith(Framework.make(profile, { ...defaultRegistry, ...extra }, handle, options), (e) => new Error(e))

const schedule = (
  framework: Framework.Framework,
  p: ReturnType<typeof pod>,
  nodes: ReadonlyArray<NodeInfo>,
  seed = 1
) => framework.schedule(cycleState(seed), p, Snapshot.make(nodes))

const toyProfile = (plugins: Partial<Profile["plugins"]>, extra: Partial<Profile> = {}): Profile => ({
  schedulerName: "toy",
  plugins: { filter: [], score: [], ...plugins },
  ...extra
})

/** A plugin made of the given points, registered under `name`. */
const toy =
  (name: string, points: Omit<Plugin.Plugin, "name">): Plugin.PluginFactory =>
  () => ({ name, ...points })

/** Scores 100 on the node named by its `node` argument, 0 elsewhere. */
const prefer =
  (name: string): Plugin.PluginFactory =>
  (args) => ({ name, score: (_s, _p, n) => (n.name === args.node ? 100 : 0) })

describe("Framework.schedule", () => {
  it("explains an unschedulable pod as Kubernetes does", () => {
    const gpu = { taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }] }
    const nodes = [nodeInfo(node("n1", { cpu: "1" })), nodeInfo(node("n2", gpu)), nodeInfo(node("n3", gpu))]
    const result = schedule(build(profiles.default), pod("p", { cpu: "2" }), nodes)
    expect(result._tag).toBe("Unschedulable")
    if (result._tag !== "Unschedulable") return
    expect(result.diagnosis.message).toBe(
      "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: gpu}."
    )
    expect(result.diagnosis.unschedulablePlugins).toEqual(new Set(["NodeResourcesFit", "TaintToleration"]))
    expect(result.diagnosis.nodeStatuses.get("n1")).toEqual({
      code: "Unschedulable",
      reasons: ["Insufficient cpu"],
      plugin: "NodeResourcesFit"
    })
  })

  it("counts every reason of a node and sorts the histogram as strings", () => {
    const nodes = Array.from({ length: 11 }, (_, i) => nodeInfo(node(`n${i}`, { cpu: "1", memory: "1Gi" })))
    nodes.push(nodeInfo(node("cordoned", { unschedulable: true })))
    const result = schedule(build(profiles.default), pod("p", { cpu: "2", memory: "2Gi" }), nodes)
    expect(result._tag === "Unschedulable" && result.diagnosis.message).toBe(
      "0/12 nodes are available: 1 node(s) were unschedulable, 11 Insufficient cpu, 11 Insufficient memory."
    )
  })

  it("reports a pre-filter rejection once, for all nodes", () => {
    const nodes = [nodeInfo(node("a")), nodeInfo(node("b"))]
    const conflicting = pod("p", {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              {
                matchFields: [
                  { key: "metadata.name", operator: "In", values: ["a"] },
                  { key: "metadata.name", operator: "In", values: ["b"] }
                ]
              }
            ]
          }
        }
      }
    })
    const result = schedule(build(profiles.default), conflicting, nodes)
    expect(result._tag === "Unschedulable" && result.diagnosis.message).toBe(
      "0/2 nodes are available: pod affinity terms conflict."
    )
    expect(result._tag === "Unschedulable" && result.diagnosis.nodeStatuses.size).toBe(2)
  })

  it("filters only the nodes a pre-filter names, and explains the others", () => {
    const tainted = nodeInfo(node("a", { taints: [{ key: "k", value: "v", effect: "NoExecute" }] }))
    const nodes = [tainted, nodeInfo(node("b")), nodeInfo(node("c"))]
    const framework = build(profiles.default)
    const onB = schedule(framework, pod("p", { nodeName: "b" }), nodes)
    expect(onB).toEqual({ _tag: "Scheduled", nodeName: "b", evaluatedNodes: 1, feasibleNodes: 1 })
    const onA = schedule(framework, pod("p", { nodeName: "a" }), nodes)
    expect(onA._tag === "Unschedulable" && onA.diagnosis.message).toBe(
      "0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 node(s) didn't satisfy plugin(s) [NodeName]."
    )
    const nowhere = schedule(framework, pod("p", { nodeName: "zz" }), nodes)
    expect(nowhere._tag === "Unschedulable" && nowhere.diagnosis.message).toBe(
      "0/3 nodes are available: 3 node(s) didn't satisfy plugin(s) [NodeName]."
    )
    expect(nowhere._tag === "Unschedulable" && [...nowhere.diagnosis.unschedulablePlugins]).toEqual(["NodeName"])
  })

  it("fails the cycle without nodes, as Kubernetes' ErrNoNodesAvailable", () => {
    expect(schedule(build(profiles.default), pod("p"), [])).toEqual({
      _tag: "Error",
      message: "no nodes available to schedule pods"
    })
  })

  it("adds weighted scores and picks the highest", () => {
    const registry = { A: prefer("A"), B: prefer("B") }
    const nodes = [nodeInfo(node("a")), nodeInfo(node("b"))]
    const profile = (wa: number, wb: number) =>
      toyProfile({
        score: [
          { name: "A", weight: wa, node: "a" },
          { name: "B", weight: wb, node: "b" }
        ]
      })
    expect(schedule(build(profile(1, 3), registry), pod("p"), nodes)).toMatchObject({ nodeName: "b" })
    expect(schedule(build(profile(5, 3), registry), pod("p"), nodes)).toMatchObject({ nodeName: "a" })
  })

  it("normalises raw scores and rejects scores outside 0..100", () => {
    const nodes = [nodeInfo(node("a")), nodeInfo(node("b"))]
    const raw = (normalize: boolean): Plugin.PluginFactory =>
      toy("Raw", {
        score: (_s, _p, n) => (n.name === "a" ? 1000 : 500),
        ...(normalize
          ? {
              normalizeScore: (_s: unknown, _p: unknown, scores: Array<Plugin.ScoredNode>) =>
                scores.forEach((s) => (s.score /= 10))
            }
          : {})
      })
    const profile = toyProfile({ score: [{ name: "Raw" }] })
    expect(schedule(build(profile, { Raw: raw(true) }), pod("p"), nodes)).toMatchObject({ nodeName: "a" })
    expect(schedule(build(profile, { Raw: raw(false) }), pod("p"), nodes)).toEqual({
      _tag: "Error",
      message: 'plugin "Raw" returns an invalid score 1000, it should in the range of [0, 100] after normalizing'
    })
  })

  it("breaks ties with the cycle's random numbers, each tied node alike", () => {
    const framework = build(profiles.default)
    const nodes = ["a", "b", "c", "d"].map((n) => nodeInfo(node(n)))
    const picks = new Map<string, number>()
    for (let seed = 0; seed < 400; seed++) {
      const r = schedule(framework, pod("p"), nodes, seed)
      if (r._tag === "Scheduled") picks.set(r.nodeName, (picks.get(r.nodeName) ?? 0) + 1)
    }
    expect([...picks.keys()].sort()).toEqual(["a", "b", "c", "d"])
    for (const n of picks.values()) expect(n).toBeGreaterThan(60)
    const again = schedule(framework, pod("p"), nodes, 7)
    expect(schedule(framework, pod("p"), nodes, 7)).toEqual(again)
  })

  it("filters percentageOfNodesToScore of the nodes, starting where the last cycle stopped", () => {
    const seen: Array<string> = []
    const registry = {
      ...defaultRegistry,
      Watch: toy("Watch", { filter: (_s, _p, n) => (seen.push(n.name), Plugin.success) })
    }
    const framework = build(
      toyProfile({ filter: ["Watch"], score: [{ name: "NodeResourcesFit" }] }, { percentageOfNodesToScore: 50 }),
      registry
    )
    const nodes = Array.from({ length: 300 }, (_, i) => nodeInfo(node(`n${i}`)))
    const first = schedule(framework, pod("p"), nodes)
    expect(first).toMatchObject({ evaluatedNodes: 150, feasibleNodes: 150 })
    expect(seen.slice(0, 2)).toEqual(["n0", "n1"])
    seen.length = 0
    schedule(framework, pod("p"), nodes)
    expect(seen[0]).toBe("n150")
    expect(seen.at(-1)).toBe("n299")
    seen.length = 0
    schedule(framework, pod("p"), nodes)
    expect(seen[0]).toBe("n0")
  })

  it("sizes the search as Kubernetes' numFeasibleNodesToFind", () => {
    expect(Framework.numFeasibleNodesToFind(undefined, 50)).toBe(50)
    expect(Framework.numFeasibleNodesToFind(0, 100)).toBe(100)
    expect(Framework.numFeasibleNodesToFind(0, 1000)).toBe(420)
    expect(Framework.numFeasibleNodesToFind(0, 5000)).toBe(500)
    expect(Framework.numFeasibleNodesToFind(0, 10000)).toBe(500)
    expect(Framework.numFeasibleNodesToFind(100, 5000)).toBe(5000)
    expect(Framework.numFeasibleNodesToFind(10, 500)).toBe(100)
  })

  it("skips a filter whose pre-filter returned Skip, and stops at the first rejecting filter", () => {
    const calls: Array<string> = []
    const registry = {
      Skipped: toy("Skipped", {
        preFilter: () => ({ status: Plugin.skip }),
        filter: () => {
          throw new Error("must not run")
        }
      }),
      No: toy("No", { filter: () => (calls.push("No"), Plugin.unschedulable("no")) }),
      Later: toy("Later", { filter: () => (calls.push("Later"), Plugin.success) })
    }
    const r = schedule(build(toyProfile({ filter: ["Skipped", "No", "Later"] }), registry), pod("p"), [
      nodeInfo(node("a"))
    ])
    expect(r._tag === "Unschedulable" && r.diagnosis.message).toBe("0/1 nodes are available: 1 no.")
    expect(calls).toEqual(["No"])
  })

  it("turns a filter error or a throwing plugin into an Error result", () => {
    const nodes = [nodeInfo(node("a"))]
    const failing = { Bad: toy("Bad", { filter: () => Plugin.error("disk on fire") }) }
    expect(schedule(build(toyProfile({ filter: ["Bad"] }), failing), pod("p"), nodes)).toEqual({
      _tag: "Error",
      message: 'running Filter plugin "Bad": disk on fire'
    })
    const throwing = {
      Bad: toy("Bad", {
        filter: () => {
          throw new Error("bug")
        }
      })
    }
    expect(schedule(build(toyProfile({ filter: ["Bad"] }), throwing), pod("p"), nodes)).toEqual({
      _tag: "Error",
      message: "scheduling framework: bug"
    })
  })

  it("avoids PreferNoSchedule taints through TaintToleration's score", () => {
    const soft = { taints: [{ key: "spot", value: "yes", effect: "PreferNoSchedule" }] }
    const nodes = [nodeInfo(node("a", soft)), nodeInfo(node("b")), nodeInfo(node("c", soft))]
    const scoreOnly = toyProfile({ filter: ["NodeResourcesFit"], score: [{ name: "TaintToleration" }] })
    for (const profile of [profiles.default, scoreOnly])
      for (let seed = 0; seed < 20; seed++)
        expect(schedule(build(profile), pod("p"), nodes, seed)).toMatchObject({ nodeName: "b" })
  })

  it("does not score a single feasible node", () => {
    const registry = {
      ...defaultRegistry,
      Never: toy("Never", {
        score: () => {
          throw new Error("must not run")
        }
      })
    }
    const nodes = [nodeInfo(node("a")), nodeInfo(node("b", { unschedulable: true }))]
    const r = schedule(
      build(toyProfile({ filter: defaultFilters, score: [{ name: "Never" }] }), registry),
      pod("p"),
      nodes
    )
    expect(r).toEqual({ _tag: "Scheduled", nodeName: "a", evaluatedNodes: 2, feasibleNodes: 1 })
  })

  it("records time per extension point with a caller's clock", () => {
    let t = 0
    const framework = build(profiles.default, {}, { now: () => (t += 1) })
    schedule(framework, pod("p"), [nodeInfo(node("a")), nodeInfo(node("b"))])
    expect(framework.timings.filter).toBeGreaterThan(0)
    expect(framework.timings.score).toBeGreaterThan(0)
  })
})

describe("Framework.make", () => {
  const left = (profile: Profile, registry: Registry = defaultRegistry) => {
    const r = Framework.make(profile, registry, handle)
    return Either.isLeft(r) ? r.left : "built"
  }

  it("builds every shipped profile", () => {
    for (const profile of Object.values(profiles)) expect(left(profile)).toBe("built")
  })

  it("refuses unknown plugins, missing extension points and bad arguments, saying which", () => {
    expect(left(toyProfile({ filter: ["NodeNmae"] }))).toMatch(/^plugin "NodeNmae" is not in the registry \(known: /)
    expect(left(toyProfile({ score: [{ name: "NodeName" }] }))).toBe('plugin "NodeName" does not extend score')
    expect(left(toyProfile({ filter: ["ImageLocality"] }))).toBe('plugin "ImageLocality" does not extend filter')
    expect(left(toyProfile({ score: [{ name: "NodeResourcesFit", strategy: "Fastest" }] }))).toMatch(
      /^plugin "NodeResourcesFit": scoring strategy "Fastest" is not supported/
    )
    expect(left(toyProfile({ score: [{ name: "Random", weight: 0 }] }))).toMatch(/weights must be positive/)
    expect(left(toyProfile({ filter: ["NodeName", "NodeName"] }))).toBe(
      'plugin "NodeName" is listed twice under filter'
    )
    expect(left(toyProfile({}, { pluginArgs: { Random: {} } }))).toMatch(/pluginArgs names plugin "Random"/)
    expect(left(toyProfile({}, { percentageOfNodesToScore: 150 }))).toMatch(/percentageOfNodesToScore/)
    expect(left(toyProfile({}), {})).toMatch(/"DefaultBinder" is not in the registry/)
  })

  it("merges pluginArgs under the score entry's own arguments", () => {
    const seen: Array<unknown> = []
    const registry = {
      ...defaultRegistry,
      Args: (args: Readonly<Record<string, unknown>>) => (seen.push(args), { name: "Args", score: () => 0 })
    }
    left(
      toyProfile({ score: [{ name: "Args", weight: 2, b: 2, c: 3 }] }, { pluginArgs: { Args: { a: 1, b: 1 } } }),
      registry
    )
    expect(seen).toEqual([{ a: 1, b: 2, c: 3 }])
  })
})

describe("Framework reserve, bind, postFilter, mayHelp", () => {
  it.effect("unreserves every reserve plugin in reverse order when one fails", () =>
    Effect.gen(function* () {
      const log: Array<string> = []
      const reserver = (name: string, ok: boolean): Plugin.PluginFactory =>
        toy(name, {
          reserve: () =>
            Effect.sync(() => (log.push(`reserve ${name}`), ok ? Plugin.success : Plugin.unschedulable("full"))),
          unreserve: () => Effect.sync(() => void log.push(`unreserve ${name}`))
        })
      const registry = {
        ...defaultRegistry,
        R1: reserver("R1", true),
        R2: reserver("R2", false),
        R3: reserver("R3", true)
      }
      const framework = build(toyProfile({ reserve: ["R1", "R2", "R3"] }), registry)
      const status = yield* framework.reserve(cycleState(), pod("p"), "a")
      expect(status).toEqual({ code: "Unschedulable", reasons: ["full"], plugin: "R2" })
      expect(log).toEqual(["reserve R1", "reserve R2", "unreserve R3", "unreserve R2", "unreserve R1"])
    })
  )

  it.effect("binds with the first binder that does not Skip", () =>
    Effect.gen(function* () {
      const registry = {
        Pass: toy("Pass", { bind: () => Effect.succeed(Plugin.skip) }),
        Bind: toy("Bind", { bind: () => Effect.succeed(Plugin.success) })
      }
      expect(yield* build(toyProfile({ bind: ["Pass", "Bind"] }), registry).bind(cycleState(), pod("p"), "a")).toEqual(
        Plugin.success
      )
      const none = yield* build(toyProfile({ bind: ["Pass"] }), registry).bind(cycleState(), pod("p"), "a")
      expect(none.code).toBe("Error")
    })
  )

  it.effect("collects post-filter reasons", () =>
    Effect.gen(function* () {
      const registry = {
        ...defaultRegistry,
        Explain: toy("Explain", {
          postFilter: () => Effect.succeed({ status: Plugin.unschedulable("preemption: not eligible") })
        })
      }
      const diagnosis = { nodeStatuses: new Map(), unschedulablePlugins: new Set<string>(), message: "" }
      const withPost = build(toyProfile({ postFilter: ["Explain"] }), registry)
      expect((yield* withPost.postFilter(cycleState(), pod("p"), diagnosis)).status).toEqual({
        code: "Unschedulable",
        reasons: ["preemption: not eligible"],
        plugin: "Explain"
      })
      const without = build(profiles.default)
      expect((yield* without.postFilter(cycleState(), pod("p"), diagnosis)).status.reasons).toEqual([])
    })
  )

  it("tells which cluster events may help, by the rejecting plugins' events", () => {
    const framework = build(profiles.default)
    const fit = new Set(["NodeResourcesFit"])
    expect(framework.mayHelp(fit, { resource: "Pod", action: "Delete" })).toBe(true)
    expect(framework.mayHelp(fit, { resource: "Pod", action: "Add" })).toBe(false)
    expect(framework.mayHelp(new Set(["TaintToleration"]), { resource: "Node", action: "Update" })).toBe(true)
    expect(framework.mayHelp(new Set(), { resource: "Pod", action: "Add" })).toBe(true)
  })
})

describe("Snapshot", () => {
  it("lists nodes with a Node object and finds them by name", () => {
    const withPods = nodeInfo(node("a"))
    bindTo(
      withPods,
      pod("x", {
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "zone", labelSelector: {} }]
          }
        }
      })
    )
    const snapshot = Snapshot.make([withPods, nodeInfo(node("b"))])
    expect(snapshot.nodes.map((n) => n.name)).toEqual(["a", "b"])
    expect(snapshot.get("b")?.name).toBe("b")
    expect(snapshot.get("zz")).toBeUndefined()
    expect(snapshot.nodesWithAffinityPods.map((n) => n.name)).toEqual(["a"])
    expect(snapshot.nodesWithRequiredAntiAffinityPods.map((n) => n.name)).toEqual(["a"])
  })
})
