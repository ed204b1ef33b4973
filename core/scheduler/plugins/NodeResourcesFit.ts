/**
 * NodeResourcesFit: the node must have room for the pod's requests (CPU, memory, ephemeral storage,
 * extended resources) and one more pod; the score follows the `scoringStrategy`: LeastAllocated
 * (spread, the default), MostAllocated (bin packing) or RequestedToCapacityRatio (a piecewise-linear
 * shape over utilisation). Scoring counts unset CPU / memory requests as 100m / 200Mi, as Kubernetes does.
 *
 * Arguments (NodeResourcesFitArgs): `scoringStrategy: { type, resources: [{name, weight}],
 * requestedToCapacityRatio: { shape: [{utilization, score}] } }`, or the shorthand `strategy: "MostAllocated"`;
 * `ignoredResources` and `ignoredResourceGroups` (extended resources the filter does not check).
 */
import type { Pod } from "../../api/Pod.js"
import { type NodeInfo, podInfo } from "../framework/NodeInfo.js"
import * as Plugin from "../framework/Plugin.js"
import type * as Resource from "../framework/Resource.js"
import { reader, type Reader } from "./PluginArgs.js"
import * as ResourceAllocation from "./ResourceAllocation.js"
import { stateData } from "./StateData.js"

export const Name = "NodeResourcesFit"

export interface ShapePoint {
  /** Utilisation in percent, 0..100. */
  readonly utilization: number
  /** Score 0..10 (scaled to 0..100). */
  readonly score: number
}

/** One resource's score, 0..100, from its allocatable (> 0) and requested amounts (with the pod). */
export type ResourceScorer = (allocatable: number, requested: number) => number

const max = Plugin.maxNodeScore

/** `(allocatable - requested) / allocatable`: emptier nodes score higher. */
export const leastAllocated: ResourceScorer = (a, r) => (r > a ? 0 : Math.floor(((a - r) * max) / a))

/** `requested / allocatable`: fuller nodes score higher. */
export const mostAllocated: ResourceScorer = (a, r) => Math.floor((Math.min(r, a) * max) / a)

/** Kubernetes' default shape for RequestedToCapacityRatio (equivalent to LeastAllocated). */
export const defaultShape: ReadonlyArray<ShapePoint> = [
  { utilization: 0, score: 10 },
  { utilization: 100, score: 0 }
]

/** The piecewise-linear function through the shape's points (integer arithmetic, as `BuildBrokenLinearFunction`). */
const brokenLinear = (shape: ReadonlyArray<ShapePoint>) => {
  const points = shape.map((p) => ({ utilization: p.utilization, score: p.score * (max / 10) }))
  return (p: number): number => {
    for (let i = 0; i < points.length; i++) {
      if (p <= points[i].utilization) {
        if (i === 0) return points[0].score
        const [a, b] = [points[i - 1], points[i]]
        return a.score + Math.trunc(((b.score - a.score) * (p - a.utilization)) / (b.utilization - a.utilization))
      }
    }
    return points[points.length - 1].score
  }
}

/** The shape's score at the resource's utilisation. */
export const requestedToCapacityRatio = (shape: ReadonlyArray<ShapePoint>): ResourceScorer => {
  const f = brokenLinear(shape)
  return (a, r) => f(r > a ? 100 : Math.floor((r * 100) / a))
}

const readShape = (args: Reader, strategy: Readonly<Record<string, unknown>>): ReadonlyArray<ShapePoint> => {
  const ratio = strategy.requestedToCapacityRatio
  if (ratio === undefined) return defaultShape
  const shape = (ratio as { shape?: unknown }).shape
  if (!Array.isArray(shape) || shape.length === 0) return args.fail(`"requestedToCapacityRatio.shape" must list points`)
  return shape.map((p: { utilization?: unknown; score?: unknown }, i) => {
    const [u, s] = [p?.utilization, p?.score]
    if (typeof u !== "number" || !Number.isInteger(u) || u < 0 || u > 100)
      return args.fail(`"shape[${i}].utilization" must be an integer in [0, 100]`)
    if (typeof s !== "number" || !Number.isInteger(s) || s < 0 || s > 10)
      return args.fail(`"shape[${i}].score" must be an integer in [0, 10]`)
    const previous = shape[i - 1] as { utilization?: number } | undefined
    if (previous !== undefined && (previous.utilization ?? -1) >= u)
      return args.fail(`"shape" utilizations must increase strictly`)
    return { utilization: u, score: s }
  })
}

interface Strategy {
  readonly resources: ReadonlyArray<ResourceAllocation.ResourceSpec>
  readonly scorer: ResourceScorer
  /** RequestedToCapacityRatio averages only the resources scoring above 0, and rounds; the others floor. */
  readonly ratio: boolean
}

/** The weighted mean of the strategy's scores of the resources the node has (allocatable > 0). */
const weightedMean = (
  strategy: Strategy,
  { allocatable, requested }: ResourceAllocation.Amounts,
  weights: ReadonlyArray<number>
) => {
  let score = 0
  let weightSum = 0
  for (let i = 0; i < weights.length; i++) {
    const a = allocatable[i]
    if (a === 0) continue
    const resourceScore = strategy.scorer(a, requested[i])
    if (strategy.ratio && !(resourceScore > 0)) continue
    score += resourceScore * weights[i]
    weightSum += weights[i]
  }
  if (weightSum === 0) return 0
  return strategy.ratio ? Math.round(score / weightSum) : Math.floor(score / weightSum)
}

const strategyFrom = (args: Reader, object: Readonly<Record<string, unknown>> | undefined): Strategy => {
  const s = object ?? {}
  const unknown = Object.keys(s).filter((k) => !["type", "resources", "requestedToCapacityRatio"].includes(k))
  if (unknown.length > 0) return args.fail(`unknown scoringStrategy field "${unknown[0]}"`)
  const type = s.type ?? "LeastAllocated"
  const resources = ResourceAllocation.readResources(reader(Name, { resources: s.resources }, ["resources"]))
  switch (type) {
    case "LeastAllocated":
      return { resources, scorer: leastAllocated, ratio: false }
    case "MostAllocated":
      return { resources, scorer: mostAllocated, ratio: false }
    case "RequestedToCapacityRatio":
      return { resources, scorer: requestedToCapacityRatio(readShape(args, s)), ratio: true }
    default:
      return args.fail(
        `scoring strategy ${JSON.stringify(type)} is not supported (LeastAllocated, MostAllocated, RequestedToCapacityRatio)`
      )
  }
}

/** Whether the name is an extended resource (`example.com/gpu`), which `ignoredResources` may exclude. */
const isExtended = (name: string) => name.includes("/") && !name.startsWith("kubernetes.io/")

interface PreFilterState {
  readonly request: Resource.Resource
  readonly empty: boolean
}

const tooManyPods = Plugin.unschedulable("Too many pods")

const podRequest = (pod: Pod): PreFilterState => {
  const request = podInfo(pod).requests
  const empty =
    request.milliCpu === 0 && request.memory === 0 && request.ephemeralStorage === 0 && request.scalar.size === 0
  return { request, empty }
}

export const make: Plugin.PluginFactory = (raw) => {
  const args = reader(Name, raw, ["scoringStrategy", "strategy", "ignoredResources", "ignoredResourceGroups"])
  const shorthand = raw.strategy
  if (shorthand !== undefined && raw.scoringStrategy !== undefined)
    args.fail(`give "strategy" or "scoringStrategy", not both`)
  if (shorthand !== undefined && typeof shorthand !== "string") args.fail(`"strategy" must be a string`)
  const strategy = strategyFrom(
    args,
    shorthand === undefined ? args.object("scoringStrategy") : { type: shorthand as string }
  )
  const ignored = new Set(args.strings("ignoredResources"))
  const ignoredGroups = new Set(args.strings("ignoredResourceGroups"))
  const skipped = (name: string) => isExtended(name) && (ignored.has(name) || ignoredGroups.has(name.split("/")[0]))
  const allocation = ResourceAllocation.make(strategy.resources, false)
  const preFilterState = stateData<PreFilterState>(`PreFilter${Name}`)
  const preScoreState = stateData<ReadonlyArray<number>>(`PreScore${Name}`)
  const [cpuWeight, memoryWeight] = allocation.weights
  /** The node's score; the default resources on a node that has both are read directly (the common case). */
  const nodeScore = (node: NodeInfo, podRequests: ReadonlyArray<number>) => {
    const allocatable = node.allocatable
    if (!allocation.cpuAndMemory || strategy.ratio || allocatable.milliCpu === 0 || allocatable.memory === 0)
      return weightedMean(strategy, allocation.amounts(node, podRequests), allocation.weights)
    const requested = node.nonZeroRequested
    const cpu = strategy.scorer(allocatable.milliCpu, requested.milliCpu + podRequests[0])
    const memory = strategy.scorer(allocatable.memory, requested.memory + podRequests[1])
    return Math.floor((cpu * cpuWeight + memory * memoryWeight) / (cpuWeight + memoryWeight))
  }
  /** Every resource the node lacks for the request (`fitsRequest`), in Kubernetes' order. */
  const insufficient = (r: Resource.Resource, node: NodeInfo, tooMany: boolean): Plugin.Status => {
    const [allocatable, requested] = [node.allocatable, node.requested]
    const reasons: Array<string> = tooMany ? ["Too many pods"] : []
    if (r.milliCpu > 0 && r.milliCpu > allocatable.milliCpu - requested.milliCpu) reasons.push("Insufficient cpu")
    if (r.memory > 0 && r.memory > allocatable.memory - requested.memory) reasons.push("Insufficient memory")
    if (r.ephemeralStorage > 0 && r.ephemeralStorage > allocatable.ephemeralStorage - requested.ephemeralStorage)
      reasons.push("Insufficient ephemeral-storage")
    for (const [name, amount] of r.scalar) {
      if (amount === 0 || skipped(name)) continue
      if (amount > (allocatable.scalar.get(name) ?? 0) - (requested.scalar.get(name) ?? 0))
        reasons.push(`Insufficient ${name}`)
    }
    return reasons.length === 0 ? Plugin.success : Plugin.unschedulable(...reasons)
  }
  return {
    name: Name,
    preFilter: (state, pod) => {
      preFilterState.write(state, podRequest(pod))
      return { status: Plugin.success }
    },
    filter: (state, pod, node) => {
      const s = preFilterState.read(state) ?? podRequest(pod)
      const allocatable = node.allocatable
      const tooMany = node.pods.length + 1 > allocatable.allowedPodNumber
      if (s.empty) return tooMany ? tooManyPods : Plugin.success
      const r = s.request
      const requested = node.requested
      const fits =
        !tooMany &&
        r.milliCpu <= allocatable.milliCpu - requested.milliCpu &&
        r.memory <= allocatable.memory - requested.memory &&
        r.ephemeralStorage <= allocatable.ephemeralStorage - requested.ephemeralStorage &&
        r.scalar.size === 0
      return fits ? Plugin.success : insufficient(s.request, node, tooMany)
    },
    preScore: (state, pod) => {
      preScoreState.write(state, allocation.podRequests(pod))
      return Plugin.success
    },
    score: (state, pod, node) => {
      return nodeScore(node, preScoreState.read(state) ?? allocation.podRequests(pod))
    },
    events: [
      { resource: "Pod", action: "Delete" },
      { resource: "Node", action: "Add" },
      { resource: "Node", action: "Update" }
    ]
  }
}
