/**
 * The scheduling framework of one profile (kube-scheduler's `framework/runtime` and the
 * `schedulePod` half of `schedule_one.go`): it builds the profile's plugins from a registry and runs
 * a scheduling cycle — PreFilter, Filter over a share of the nodes (percentageOfNodesToScore,
 * starting where the previous cycle stopped), PreScore, Score, NormalizeScore, weights, and the
 * pick of the best node (ties broken at random) — and the Effectful points around it: PostFilter,
 * Reserve/Unreserve and Bind. Unschedulable pods get Kubernetes' message
 * ("0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: gpu}.").
 *
 * The cycle is synchronous and allocation-light: it runs for every node of every pod.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { Pod } from "../../api/Pod.js"
import type { Profile } from "../Profile.js"
import type { Registry } from "../registry.js"
import type { NodeInfo } from "./NodeInfo.js"
import * as Plugin from "./Plugin.js"

/** Why no node fits a pod. */
export interface Diagnosis {
  /** Why each node was rejected (every node of the snapshot, when the pod fits none). */
  readonly nodeStatuses: ReadonlyMap<string, Plugin.Status>
  /** The plugins that rejected some node, for queueing hints (`mayHelp`). */
  readonly unschedulablePlugins: ReadonlySet<string>
  /** Kubernetes' FitError message: "0/3 nodes are available: 1 Insufficient cpu, 2 …." */
  readonly message: string
}

export type ScheduleResult =
  | {
      readonly _tag: "Scheduled"
      readonly nodeName: string
      /** Nodes filtered this cycle (feasible ones plus rejected ones). */
      readonly evaluatedNodes: number
      readonly feasibleNodes: number
    }
  | { readonly _tag: "Unschedulable"; readonly diagnosis: Diagnosis }
  | { readonly _tag: "Error"; readonly message: string }

/** Time spent per extension point, summed in the unit of `FrameworkOptions.now`. */
export interface Timings {
  preFilter: number
  filter: number
  preScore: number
  score: number
}

export interface Framework {
  readonly profile: Profile
  /**
   * PreFilter → Filter (over percentageOfNodesToScore of the nodes, starting where the last cycle
   * stopped) → PreScore → Score → NormalizeScore → weights → the highest total (ties broken with
   * `state.random`, each tied node equally likely). Synchronous. A CycleState serves one cycle.
   */
  readonly schedule: (state: Plugin.CycleState, pod: Pod, snapshot: Plugin.Snapshot) => ScheduleResult
  /** Runs the PostFilter plugins until one succeeds; the status's reasons add to the message. */
  readonly postFilter: (
    state: Plugin.CycleState,
    pod: Pod,
    diagnosis: Diagnosis
  ) => Effect.Effect<Plugin.PostFilterResult>
  /** Runs the Reserve plugins in order; on a failure, unreserves all of them (reverse order). */
  readonly reserve: (state: Plugin.CycleState, pod: Pod, nodeName: string) => Effect.Effect<Plugin.Status>
  readonly unreserve: (state: Plugin.CycleState, pod: Pod, nodeName: string) => Effect.Effect<void>
  /** Runs the Bind plugins until one does not Skip. */
  readonly bind: (state: Plugin.CycleState, pod: Pod, nodeName: string) => Effect.Effect<Plugin.Status>
  /** Whether a cluster event may make a pod rejected by these plugins schedulable (plugin.events; omitted = any). */
  readonly mayHelp: (plugins: ReadonlySet<string>, event: Plugin.ClusterEvent) => boolean
  /** Time per extension point of all cycles so far; all 0 unless `FrameworkOptions.now` is given. */
  readonly timings: Readonly<Timings>
}

export interface FrameworkOptions {
  /** A clock for `timings` (e.g. `performance.now` in a benchmark); core code never reads one itself. */
  readonly now?: () => number
}

const minFeasibleNodesToFind = 100
const minFeasibleNodesPercentageToFind = 5

/**
 * How many feasible nodes a cycle looks for before it stops filtering (`numFeasibleNodesToFind`):
 * all of a small cluster; otherwise the percentage (0 = adaptive, 50% falling to 5% at 5,625
 * nodes), never fewer than 100.
 */
export const numFeasibleNodesToFind = (percentage: number | undefined, numAllNodes: number): number => {
  if (numAllNodes < minFeasibleNodesToFind) return numAllNodes
  let p = percentage ?? 0
  if (p === 0) p = Math.max(50 - Math.floor(numAllNodes / 125), minFeasibleNodesPercentageToFind)
  const n = Math.floor((numAllNodes * Math.min(p, 100)) / 100)
  return Math.max(n, minFeasibleNodesToFind)
}

const isRejected = (s: Plugin.Status) => s.code === "Unschedulable" || s.code === "UnschedulableAndUnresolvable"

const withPlugin = (s: Plugin.Status, plugin: string): Plugin.Status => (s.plugin === plugin ? s : { ...s, plugin })

const errorStatus = (plugin: string, what: string, s: Plugin.Status): Plugin.Status => ({
  code: "Error",
  reasons: [`running ${what} plugin "${plugin}": ${s.reasons.join(", ")}`],
  plugin
})

/**
 * `FitError.Error()`: "0/N nodes are available:" then the pre-filter message, or a histogram of the
 * nodes' reasons as "count reason" strings sorted as strings, then ".".
 */
export const fitErrorMessage = (
  numAllNodes: number,
  statuses: Iterable<Plugin.Status>,
  preFilterMessage?: string
): string => {
  const head = `0/${numAllNodes} nodes are available:`
  if (preFilterMessage !== undefined) return `${head} ${preFilterMessage}.`
  const counts = new Map<string, number>()
  for (const s of statuses) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1)
  const histogram = [...counts].map(([reason, n]) => `${n} ${reason}`).sort()
  return histogram.length === 0 ? head : `${head} ${histogram.join(", ")}.`
}

/** A go-style set listing (`[A B]`), as Kubernetes prints plugin names in messages. */
const list = (names: Iterable<string>) => `[${[...names].sort().join(" ")}]`

interface FilterPass {
  readonly feasible: Array<NodeInfo>
  readonly rejectedNodes: Array<NodeInfo>
  /** Why each rejected node was rejected, with the rejecting plugin. */
  readonly rejectedStatuses: Array<Plugin.Status>
  /** A filter answered Error (the pass stopped there). */
  error?: string
}

// The per-node loops are small functions of their own, so the engine optimises each on its own.

/** Filters `nodes` from index `start` on, wrapping around, until `toFind` are feasible. */
const filterNodes = (
  state: Plugin.CycleState,
  pod: Pod,
  nodes: ReadonlyArray<NodeInfo>,
  start: number,
  toFind: number,
  active: ReadonlyArray<Plugin.Plugin>
): FilterPass => {
  const n = nodes.length
  // Sized once: growing an array of thousands of nodes by push copies it over and over.
  const feasible = new Array<NodeInfo>(Math.min(n, toFind))
  let found = 0
  const pass: FilterPass = { feasible, rejectedNodes: [], rejectedStatuses: [] }
  const filters = active.map((pl) => pl.filter!)
  const m = filters.length
  let at = start % n
  for (let i = 0; i < n && found < toFind; i++) {
    const node = nodes[at]
    if (++at === n) at = 0
    let j = 0
    let s = Plugin.success
    for (; j < m; j++) {
      s = filters[j](state, pod, node)
      if (s.code !== "Success") break
    }
    if (j === m) feasible[found++] = node
    else if (isRejected(s)) {
      pass.rejectedNodes.push(node)
      pass.rejectedStatuses.push(withPlugin(s, active[j].name))
    } else {
      pass.error = errorStatus(active[j].name, "Filter", s).reasons[0]
      break
    }
  }
  feasible.length = found
  return pass
}

/** An out-of-range score: the first plugin (in profile order) that gave one, and its first such score. */
interface InvalidScore {
  readonly plugin: number
  readonly score: number
}

const inRange = (score: number) => score >= 0 && score <= Plugin.maxNodeScore

/**
 * `totals[i]`: node `i`'s weighted sum of the plugins' scores, in profile order, node by node (each
 * NodeInfo is read once, while in cache); for profiles where no active plugin rescales its scores.
 */
const scoreAndWeigh = (
  state: Plugin.CycleState,
  pod: Pod,
  nodes: ReadonlyArray<NodeInfo>,
  scores: ReadonlyArray<NonNullable<Plugin.Plugin["score"]>>,
  weights: ReadonlyArray<number>,
  totals: Float64Array
): InvalidScore | undefined => {
  const k = scores.length
  let invalid: InvalidScore | undefined
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]
    let total = 0
    for (let a = 0; a < k; a++) {
      const value = scores[a](state, pod, node)
      if (!inRange(value) && a < (invalid?.plugin ?? k)) invalid = { plugin: a, score: value }
      total += value * weights[a]
    }
    totals[i] = total
  }
  return invalid
}

/** `buffers[a][i]`: plugin `a`'s raw score of node `i`, node by node (each NodeInfo is read once, while in cache). */
const scoreNodes = (
  state: Plugin.CycleState,
  pod: Pod,
  nodes: ReadonlyArray<NodeInfo>,
  scores: ReadonlyArray<NonNullable<Plugin.Plugin["score"]>>,
  buffers: ReadonlyArray<Float64Array>
): void => {
  const k = scores.length
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]
    for (let a = 0; a < k; a++) buffers[a][i] = scores[a](state, pod, node)
  }
}

/** `totals[i]`: node `i`'s weighted sum of the plugins' (rescaled) scores, in profile order. */
const weigh = (
  buffers: ReadonlyArray<Float64Array>,
  weights: ReadonlyArray<number>,
  f: number,
  totals: Float64Array
): InvalidScore | undefined => {
  const k = buffers.length
  let invalid: InvalidScore | undefined
  for (let i = 0; i < f; i++) {
    let total = 0
    for (let a = 0; a < k; a++) {
      const value = buffers[a][i]
      if (!inRange(value) && a < (invalid?.plugin ?? k)) invalid = { plugin: a, score: value }
      total += value * weights[a]
    }
    totals[i] = total
  }
  return invalid
}

/** `selectHost`: the highest total; among ties each node is equally likely (reservoir sampling). */
const selectHost = (totals: Float64Array, f: number, random: () => number): number => {
  let best = -Infinity
  let chosen = 0
  let ties = 0
  for (let i = 0; i < f; i++) {
    const total = totals[i]
    if (total > best) {
      best = total
      chosen = i
      ties = 1
    } else if (total === best) {
      ties++
      if (random() * ties < 1) chosen = i
    }
  }
  return chosen
}

interface ScorePlugin {
  readonly name: string
  readonly weight: number
  readonly plugin: Plugin.Plugin
  /** Reused raw scores, one per feasible node. */
  raw: Float64Array
  /** Reused entries for normalizeScore (one per feasible node). */
  pool: Array<{ name: string; score: number }>
  view: Array<{ name: string; score: number }>
}

type ExtensionPoint = "preFilter" | "filter" | "postFilter" | "preScore" | "score" | "reserve" | "bind"

const extends_ = (plugin: Plugin.Plugin, point: ExtensionPoint) => plugin[point] !== undefined

/** Builds a profile's framework; Left: an unknown plugin, a plugin lacking an extension point, or bad arguments. */
export const make = (
  profile: Profile,
  registry: Registry,
  handle: Plugin.Handle,
  options: FrameworkOptions = {}
): Either.Either<Framework, string> => {
  const percentage = profile.percentageOfNodesToScore
  if (percentage !== undefined && !(percentage >= 0 && percentage <= 100))
    return Either.left(`percentageOfNodesToScore must be in [0, 100], got ${percentage}`)
  const config = profile.plugins
  const bindNames = config.bind ?? ["DefaultBinder"]
  const lists: ReadonlyArray<[ExtensionPoint, ReadonlyArray<string> | undefined]> = [
    ["preFilter", config.preFilter],
    ["filter", config.filter],
    ["postFilter", config.postFilter],
    ["preScore", config.preScore],
    ["score", config.score.map((s) => s.name)],
    ["reserve", config.reserve],
    ["bind", bindNames]
  ]
  // Plugin arguments: pluginArgs under the score entry's own keys.
  const args = new Map<string, Record<string, unknown>>()
  for (const [point, names] of lists) {
    const seen = new Set<string>()
    for (const name of names ?? []) {
      if (seen.has(name)) return Either.left(`plugin "${name}" is listed twice under ${point}`)
      seen.add(name)
      if (!args.has(name)) args.set(name, { ...profile.pluginArgs?.[name] })
    }
  }
  for (const name of Object.keys(profile.pluginArgs ?? {}))
    if (!args.has(name)) return Either.left(`pluginArgs names plugin "${name}", which the profile does not use`)
  const weights = new Map<string, number>()
  for (const { name, weight, ...extra } of config.score) {
    const w = weight ?? 1
    if (typeof w !== "number" || !Number.isFinite(w) || w <= 0)
      return Either.left(`score plugin "${name}" has weight ${String(w)}; weights must be positive numbers`)
    weights.set(name, w)
    Object.assign(args.get(name)!, extra)
  }
  const instances = new Map<string, Plugin.Plugin>()
  for (const [name, pluginArgs] of args) {
    const factory = Object.hasOwn(registry, name) ? registry[name] : undefined
    if (factory === undefined)
      return Either.left(`plugin "${name}" is not in the registry (known: ${Object.keys(registry).sort().join(", ")})`)
    try {
      const plugin = factory(pluginArgs, handle)
      if (plugin.name !== name) return Either.left(`plugin registered as "${name}" calls itself "${plugin.name}"`)
      instances.set(name, plugin)
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e)
      return Either.left(message.startsWith(`plugin "${name}"`) ? message : `plugin "${name}": ${message}`)
    }
  }
  for (const [point, names] of lists)
    for (const name of names ?? [])
      if (!extends_(instances.get(name)!, point)) return Either.left(`plugin "${name}" does not extend ${point}`)
  const pick = (names: ReadonlyArray<string>) => names.map((n) => instances.get(n)!)
  const filterPlugins = pick(config.filter)
  const preFilterPlugins = config.preFilter
    ? pick(config.preFilter)
    : filterPlugins.filter((p) => extends_(p, "preFilter"))
  const scorePlugins: ReadonlyArray<ScorePlugin> = config.score.map(({ name }) => ({
    name,
    weight: weights.get(name)!,
    plugin: instances.get(name)!,
    raw: new Float64Array(0),
    pool: [],
    view: []
  }))
  const preScorePlugins = config.preScore
    ? pick(config.preScore)
    : scorePlugins.map((s) => s.plugin).filter((p) => extends_(p, "preScore"))
  const postFilterPlugins = pick(config.postFilter ?? [])
  const reservePlugins = config.reserve
    ? pick(config.reserve)
    : [...instances.values()].filter((p) => extends_(p, "reserve"))
  const bindPlugins = pick(bindNames)
  return Either.right(
    makeFramework(profile, instances, {
      preFilterPlugins,
      filterPlugins,
      preScorePlugins,
      scorePlugins,
      postFilterPlugins,
      reservePlugins,
      bindPlugins,
      ...(options.now === undefined ? {} : { now: options.now })
    })
  )
}

interface Plugins {
  readonly preFilterPlugins: ReadonlyArray<Plugin.Plugin>
  readonly filterPlugins: ReadonlyArray<Plugin.Plugin>
  readonly preScorePlugins: ReadonlyArray<Plugin.Plugin>
  readonly scorePlugins: ReadonlyArray<ScorePlugin>
  readonly postFilterPlugins: ReadonlyArray<Plugin.Plugin>
  readonly reservePlugins: ReadonlyArray<Plugin.Plugin>
  readonly bindPlugins: ReadonlyArray<Plugin.Plugin>
  readonly now?: () => number
}

const makeFramework = (profile: Profile, instances: ReadonlyMap<string, Plugin.Plugin>, p: Plugins): Framework => {
  const timings: Timings = { preFilter: 0, filter: 0, preScore: 0, score: 0 }
  const now = p.now
  let nextStartNodeIndex = 0
  let totals = new Float64Array(0)

  const errorResult = (message: string): ScheduleResult => ({ _tag: "Error", message })

  /** The reused normalizeScore entries of a plugin, exactly `n` long. */
  const entriesOf = (s: ScorePlugin, n: number) => {
    while (s.pool.length < n) s.pool.push({ name: "", score: 0 })
    if (s.view.length !== n) s.view = s.pool.slice(0, n)
    return s.view
  }

  const cycle = (state: Plugin.CycleState, pod: Pod, snapshot: Plugin.Snapshot): ScheduleResult => {
    const allNodes = snapshot.nodes
    const numAllNodes = allNodes.length
    if (numAllNodes === 0) return errorResult("no nodes available to schedule pods")
    let t = now?.() ?? 0

    // PreFilter: a plugin may reject the pod outright or narrow the nodes worth filtering.
    let allowed: Set<string> | undefined
    const pluginsWithNodes: Array<string> = []
    let rejection: Plugin.Status | undefined
    for (const pl of p.preFilterPlugins) {
      const result = pl.preFilter!(state, pod, snapshot)
      const s = result.status
      if (s.code === "Skip") {
        state.skipFilter.add(pl.name)
        continue
      }
      if (s.code !== "Success") {
        if (!isRejected(s)) return errorResult(errorStatus(pl.name, "PreFilter", s).reasons[0])
        rejection = withPlugin(s, pl.name)
        if (s.code === "UnschedulableAndUnresolvable") break
        continue
      }
      if (result.nodeNames === undefined) continue
      pluginsWithNodes.push(pl.name)
      allowed =
        allowed === undefined
          ? new Set(result.nodeNames)
          : new Set([...allowed].filter((n) => result.nodeNames!.has(n)))
      if (allowed.size === 0) {
        rejection = Plugin.unresolvable(
          pluginsWithNodes.length === 1
            ? `node(s) didn't satisfy plugin ${pluginsWithNodes[0]}`
            : `node(s) didn't satisfy plugin(s) ${list(pluginsWithNodes)} simultaneously`
        )
        break
      }
    }
    if (now !== undefined) timings.preFilter += now() - t
    if (rejection !== undefined) {
      const message = fitErrorMessage(numAllNodes, [], rejection.reasons.join(", "))
      const statuses = new Map(allNodes.map((n) => [n.name, rejection]))
      const plugins = new Set(pluginsWithNodes)
      if (rejection.plugin !== undefined) plugins.add(rejection.plugin)
      return { _tag: "Unschedulable", diagnosis: { nodeStatuses: statuses, unschedulablePlugins: plugins, message } }
    }
    const nodes =
      allowed === undefined ? allNodes : [...allowed].flatMap((name) => snapshot.get(name) ?? ([] as Array<NodeInfo>))

    // Filter, from where the previous cycle stopped, until enough feasible nodes are found.
    t = now?.() ?? 0
    const hasScoring = p.scorePlugins.length > 0
    const toFind = hasScoring ? numFeasibleNodesToFind(profile.percentageOfNodesToScore, nodes.length) : 1
    const active = p.filterPlugins.filter((pl) => !state.skipFilter.has(pl.name))
    const pass = filterNodes(state, pod, nodes, nextStartNodeIndex, toFind, active)
    const { feasible, rejectedNodes, rejectedStatuses } = pass
    nextStartNodeIndex = (nextStartNodeIndex + feasible.length + rejectedNodes.length) % numAllNodes
    if (pass.error !== undefined) return errorResult(pass.error)
    if (now !== undefined) timings.filter += now() - t

    if (feasible.length === 0) {
      const statuses = new Map<string, Plugin.Status>()
      const plugins = new Set(pluginsWithNodes)
      rejectedNodes.forEach((node, k) => {
        statuses.set(node.name, rejectedStatuses[k])
        plugins.add(rejectedStatuses[k].plugin!)
      })
      if (allowed !== undefined) {
        const absent = Plugin.unresolvable(`node(s) didn't satisfy plugin(s) ${list(pluginsWithNodes)}`)
        for (const node of allNodes) if (!statuses.has(node.name)) statuses.set(node.name, absent)
      }
      const message = fitErrorMessage(numAllNodes, statuses.values())
      return { _tag: "Unschedulable", diagnosis: { nodeStatuses: statuses, unschedulablePlugins: plugins, message } }
    }
    const evaluatedNodes = feasible.length + rejectedNodes.length
    if (feasible.length === 1)
      return { _tag: "Scheduled", nodeName: feasible[0].name, evaluatedNodes, feasibleNodes: 1 }

    // PreScore and Score: weighted sum of each plugin's (normalised) scores per feasible node.
    const f = feasible.length
    if (totals.length < f) totals = new Float64Array(Math.max(f, totals.length * 2))
    totals.fill(0, 0, f)
    if (hasScoring) {
      t = now?.() ?? 0
      for (const pl of p.preScorePlugins) {
        const s = pl.preScore!(state, pod, feasible, snapshot)
        if (s.code === "Skip") state.skipScore.add(pl.name)
        else if (s.code !== "Success") return errorResult(errorStatus(pl.name, "PreScore", s).reasons[0])
      }
      if (now !== undefined) {
        const t2 = now()
        timings.preScore += t2 - t
        t = t2
      }
      const scoring = p.scorePlugins.filter((sp) => !state.skipScore.has(sp.name))
      const scores = scoring.map((sp) => sp.plugin.score!)
      const weights = scoring.map((sp) => sp.weight)
      let invalid: InvalidScore | undefined
      if (scoring.every((sp) => sp.plugin.normalizeScore === undefined)) {
        invalid = scoreAndWeigh(state, pod, feasible, scores, weights, totals)
      } else {
        // Raw scores first: a plugin rescales its own over all the nodes before the weighted sums.
        const buffers = scoring.map((sp) => (sp.raw.length >= f ? sp.raw : (sp.raw = new Float64Array(f * 2))))
        scoreNodes(state, pod, feasible, scores, buffers)
        let names: Array<string> | undefined
        scoring.forEach((sp, a) => {
          if (sp.plugin.normalizeScore === undefined) return
          const raw = buffers[a]
          const entries = entriesOf(sp, f)
          names ??= feasible.map((n) => n.name)
          for (let i = 0; i < f; i++) {
            entries[i].name = names[i]
            entries[i].score = raw[i]
          }
          sp.plugin.normalizeScore(state, pod, entries)
          for (let i = 0; i < f; i++) raw[i] = entries[i].score
        })
        invalid = weigh(buffers, weights, f, totals)
      }
      if (invalid !== undefined)
        return errorResult(
          `plugin "${scoring[invalid.plugin].name}" returns an invalid score ${invalid.score}, it should in the range of [0, ${Plugin.maxNodeScore}] after normalizing`
        )
      if (now !== undefined) timings.score += now() - t
    }
    const chosen = selectHost(totals, f, state.random)
    return { _tag: "Scheduled", nodeName: feasible[chosen].name, evaluatedNodes, feasibleNodes: f }
  }

  const unreserve = (state: Plugin.CycleState, pod: Pod, nodeName: string): Effect.Effect<void> =>
    Effect.forEach(
      [...p.reservePlugins].reverse(),
      (pl) => (pl.unreserve === undefined ? Effect.void : pl.unreserve(state, pod, nodeName)),
      { discard: true }
    )

  return {
    profile,
    timings,
    schedule: (state, pod, snapshot) => {
      try {
        return cycle(state, pod, snapshot)
      } catch (e) {
        // A plugin that throws fails this cycle, not the scheduler.
        return errorResult(`scheduling framework: ${e instanceof Error ? e.message : String(e)}`)
      }
    },
    postFilter: (state, pod, diagnosis) =>
      Effect.gen(function* () {
        let nominatedNodeName: string | undefined
        const reasons: Array<string> = []
        let rejector: string | undefined
        for (const pl of p.postFilterPlugins) {
          const result = yield* pl.postFilter!(state, pod, diagnosis.nodeStatuses)
          const s = result.status
          if (s.code === "Success") return result
          if (s.code === "UnschedulableAndUnresolvable") return { ...result, status: withPlugin(s, pl.name) }
          if (!isRejected(s)) return { status: errorStatus(pl.name, "PostFilter", s) }
          if (result.nominatedNodeName !== undefined) nominatedNodeName = result.nominatedNodeName
          reasons.push(...s.reasons)
          rejector ??= pl.name
        }
        const status: Plugin.Status = {
          code: "Unschedulable",
          reasons,
          ...(rejector === undefined ? {} : { plugin: rejector })
        }
        return nominatedNodeName === undefined ? { status } : { status, nominatedNodeName }
      }),
    reserve: (state, pod, nodeName) =>
      Effect.gen(function* () {
        for (const pl of p.reservePlugins) {
          const s = yield* pl.reserve!(state, pod, nodeName)
          if (s.code === "Success") continue
          yield* unreserve(state, pod, nodeName)
          return isRejected(s) ? withPlugin(s, pl.name) : errorStatus(pl.name, "Reserve", s)
        }
        return Plugin.success
      }),
    unreserve,
    bind: (state, pod, nodeName) =>
      Effect.gen(function* () {
        for (const pl of p.bindPlugins) {
          const s = yield* pl.bind!(state, pod, nodeName)
          if (s.code === "Skip") continue
          if (s.code === "Success") return s
          return isRejected(s) ? withPlugin(s, pl.name) : errorStatus(pl.name, "Bind", s)
        }
        return Plugin.error("no bind plugin bound the pod (every one returned Skip)")
      }),
    mayHelp: (plugins, event) => {
      if (plugins.size === 0) return true
      for (const name of plugins) {
        const events = instances.get(name)?.events
        if (events === undefined) return true
        for (const e of events) if (e.resource === event.resource && e.action === event.action) return true
      }
      return false
    }
  }
}
