/**
 * Gathers a run's metrics from the store's events (the world view, outside the simulated network)
 * and from samples of the cluster taken every `sampleEvery` simulated milliseconds. Everything it
 * records is simulated time, so it is the same for the same run on any machine.
 *
 * - A pod's wait is from its creation (the store's ADDED) to the first event showing it bound
 *   (`spec.nodeName`) and to the first showing it Running.
 * - A pod counts against its node's allocation from its binding until it is terminal or deleted.
 * - Means over time (allocation, fragmentation, balance, nodes in use) are taken over the arrival
 *   window, from the first arrival to the last, when the workload is offered: the drain after it
 *   would dilute every policy toward an empty cluster. Peaks and the plotted series cover the run.
 * - Fragmentation follows the FGD paper (Weng et al., ATC '23): for a target set of pod shapes,
 *   the free capacity of a node that a shape cannot use (the shape does not fit on the node)
 *   counts as fragmented for that shape, and the cluster's rate is Σ nodes Σ shapes p(shape) ·
 *   unusable free ÷ Σ nodes free. `fragmentation` takes the pods pending at that moment as the
 *   target (each pod weighs the same; 0 when none waits): the share of free capacity that no
 *   waiting pod can use. `expectedFragmentation` takes FGD's target, the workload's shapes weighted
 *   by how often they arrive, whether or not any pod waits. Both are measured in GPUs when the
 *   workload asks for `nvidia.com/gpu`, else in CPU.
 */
import type { Node } from "../../core/api/Node.js"
import type { Pod } from "../../core/api/Pod.js"
import * as Resource from "../../core/scheduler/framework/Resource.js"
import type { WorldEvent } from "../../sim/scenario/World.js"
import { type ClusterSample, type MeanPeak, type RunMetrics, stats } from "./Metrics.js"
import type { Workload } from "../workloads/Workload.js"
import { podsOf } from "../workloads/Workload.js"

/** How many distinct pod shapes fragmentation weighs (the most frequent; the rest are rare). */
const maxShapes = 200
/** How many nodes the heat map shows (evenly picked in node order). */
const heatmapNodes = 100
export const gpu = "nvidia.com/gpu"

interface PodRecord {
  readonly created: number
  readonly group: string | undefined
  bound: number | undefined
  running: number | undefined
  finished: number | undefined
  unschedulableSince: number | undefined
  unschedulableFor: number
  everUnschedulable: boolean
  /** Its shape, while it is pending. */
  readonly shape: Shape
  /** The node it counts against, while it does. */
  countedOn: string | undefined
  readonly requests: Resource.Resource
}

interface NodeRecord {
  readonly name: string
  readonly allocatable: Resource.Resource
  readonly requested: Resource.Resource
  pods: number
}

interface Shape {
  readonly cpu: number
  readonly memory: number
  readonly gpu: number
  readonly weight: number
}

export interface Collector {
  /** Feed every store event, in order, with the simulated time it happened at (ms from the run's start). */
  readonly onEvent: (event: WorldEvent, now: number) => void
  /** Take a sample of the cluster now. */
  readonly sample: (now: number) => void
  /** Pods created and not yet bound, terminal or deleted. */
  readonly pending: () => number
  readonly finish: (now: number, run: { profile: string; seed: number; events: number }) => RunMetrics
}

const isTerminal = (pod: Pod) => pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed"

const unschedulable = (pod: Pod) =>
  pod.status?.conditions?.some(
    (c) => c.type === "PodScheduled" && c.status === "False" && c.reason === "Unschedulable"
  ) ?? false

/** The workload's pod shapes, weighted by the pods of each, most frequent first (ties by size). */
const shapesOf = (workload: Workload): ReadonlyArray<Shape> => {
  const counts = new Map<string, { cpu: number; memory: number; gpu: number; n: number }>()
  let total = 0
  for (const a of workload.arrivals) {
    const g = a.requests.extended?.[gpu] ?? 0
    const key = `${a.requests.cpu}/${a.requests.memory}/${g}`
    const n = podsOf(a)
    total += n
    const found = counts.get(key)
    if (found === undefined) counts.set(key, { cpu: a.requests.cpu, memory: a.requests.memory, gpu: g, n })
    else found.n += n
  }
  const top = [...counts.values()]
    .sort((a, b) => b.n - a.n || a.cpu - b.cpu || a.memory - b.memory || a.gpu - b.gpu)
    .slice(0, maxShapes)
  const kept = top.reduce((sum, s) => sum + s.n, 0)
  return total === 0 ? [] : top.map((s) => ({ cpu: s.cpu, memory: s.memory, gpu: s.gpu, weight: s.n / kept }))
}

/** Names in natural order: `node-2` before `node-10` (digit runs compare as numbers). */
const naturally = (a: string, b: string): number => {
  const pa = a.split(/(\d+)/)
  const pb = b.split(/(\d+)/)
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const [x, y] = [pa[i]!, pb[i]!]
    if (x === y) continue
    const numeric = i % 2 === 1
    return numeric ? Number(x) - Number(y) || (x < y ? -1 : 1) : x < y ? -1 : 1
  }
  return pa.length - pb.length
}

const meanPeak = (values: ReadonlyArray<number>): MeanPeak => {
  if (values.length === 0) return { mean: 0, peak: 0 }
  let sum = 0
  let peak = -Infinity
  for (const v of values) {
    sum += v
    if (v > peak) peak = v
  }
  return { mean: sum / values.length, peak }
}

export const make = (workload: Workload): Collector => {
  const pods = new Map<string, PodRecord>()
  const nodes = new Map<string, NodeRecord>()
  const series: Array<ClusterSample> = []
  const heat: Array<Array<number>> = []
  const shapes = shapesOf(workload)
  const byGpu = shapes.some((s) => s.gpu > 0)
  const extended = [...new Set(workload.nodes.flatMap((g) => Object.keys(g.extended ?? {})))].sort()
  const pending = new Map<string, Shape>()

  const release = (record: PodRecord) => {
    if (record.countedOn === undefined) return
    const node = nodes.get(record.countedOn)
    if (node !== undefined) {
      Resource.addTo(node.requested, record.requests, -1)
      node.pods--
    }
    record.countedOn = undefined
  }

  const onPod = (event: WorldEvent, now: number) => {
    const pod = event.object as Pod
    const uid = pod.metadata.uid ?? ""
    let record = pods.get(uid)
    if (record === undefined) {
      if (event.type === "DELETED") return
      const requests = Resource.podRequests(pod)
      record = {
        created: now,
        group: pod.metadata.labels?.["minik8s.io/group"],
        bound: undefined,
        running: undefined,
        finished: undefined,
        unschedulableSince: undefined,
        unschedulableFor: 0,
        everUnschedulable: false,
        countedOn: undefined,
        requests,
        shape: { cpu: requests.milliCpu, memory: requests.memory, gpu: requests.scalar.get(gpu) ?? 0, weight: 1 }
      }
      pods.set(uid, record)
      pending.set(uid, record.shape)
    }
    const node = pod.spec?.nodeName
    if (record.bound === undefined && node !== undefined && node !== "") {
      record.bound = now
      pending.delete(uid)
      if (record.unschedulableSince !== undefined) {
        record.unschedulableFor += now - record.unschedulableSince
        record.unschedulableSince = undefined
      }
      if (!isTerminal(pod)) {
        const info = nodes.get(node)
        if (info !== undefined) {
          Resource.addTo(info.requested, record.requests)
          info.pods++
          record.countedOn = node
        }
      }
    }
    if (record.bound === undefined && record.unschedulableSince === undefined && unschedulable(pod)) {
      record.unschedulableSince = now
      record.everUnschedulable = true
    }
    if (record.running === undefined && pod.status?.phase === "Running") record.running = now
    if (record.finished === undefined && isTerminal(pod)) {
      record.finished = now
      release(record)
    }
    if (event.type === "DELETED") {
      release(record)
      if (record.bound === undefined) {
        pending.delete(uid)
        if (record.unschedulableSince !== undefined) record.unschedulableFor += now - record.unschedulableSince
        record.unschedulableSince = undefined
        // A pod deleted before it was bound is no longer waiting: it leaves the wait statistics.
        pods.delete(uid)
      }
    }
  }

  const onNode = (event: WorldEvent) => {
    const node = event.object as Node
    const name = node.metadata.name ?? ""
    if (event.type === "DELETED" || nodes.has(name)) return
    const allocatable = Resource.fromList(node.status?.allocatable ?? node.status?.capacity)
    if (allocatable.milliCpu === 0) return
    nodes.set(name, { name, allocatable, requested: Resource.empty(), pods: 0 })
  }

  const onEvent = (event: WorldEvent, now: number) => {
    if (event.kind === "Pod") onPod(event, now)
    else if (event.kind === "Node") onNode(event)
  }

  const heatmapPick = (): ReadonlyArray<NodeRecord> => {
    const all = [...nodes.values()].sort((a, b) => naturally(a.name, b.name))
    if (all.length <= heatmapNodes) return all
    return Array.from({ length: heatmapNodes }, (_, i) => all[Math.floor((i * all.length) / heatmapNodes)]!)
  }

  const sample = (now: number) => {
    const total = Resource.empty()
    const used = Resource.empty()
    let inUse = 0
    let utilSum = 0
    let utilSquares = 0
    let free = 0
    let expected = 0
    let stranded = 0
    // The pending pods' shapes, each distinct one weighted by its share of the pending pods.
    const waiting = new Map<string, Shape>()
    for (const shape of pending.values()) {
      const key = `${shape.cpu}/${shape.memory}/${shape.gpu}`
      const found = waiting.get(key)
      waiting.set(key, found === undefined ? shape : { ...found, weight: found.weight + 1 })
    }
    for (const node of nodes.values()) {
      Resource.addTo(total, node.allocatable)
      Resource.addTo(used, node.requested)
      if (node.pods > 0) inUse++
      const util = node.requested.milliCpu / node.allocatable.milliCpu
      utilSum += util
      utilSquares += util * util
      const freeCpu = node.allocatable.milliCpu - node.requested.milliCpu
      const freeMemory = node.allocatable.memory - node.requested.memory
      const freeGpu = (node.allocatable.scalar.get(gpu) ?? 0) - (node.requested.scalar.get(gpu) ?? 0)
      const freeMeasured = byGpu ? freeGpu : freeCpu
      if (freeMeasured <= 0) continue
      free += freeMeasured
      const unusable = (shape: Shape) =>
        shape.cpu <= freeCpu && shape.memory <= freeMemory && shape.gpu <= freeGpu ? 0 : shape.weight * freeMeasured
      for (const shape of shapes) expected += unusable(shape)
      for (const shape of waiting.values()) stranded += unusable(shape) / pending.size
    }
    const count = nodes.size
    const mean = count === 0 ? 0 : utilSum / count
    const allocation: Record<string, number> = {
      cpu: total.milliCpu === 0 ? 0 : used.milliCpu / total.milliCpu,
      memory: total.memory === 0 ? 0 : used.memory / total.memory
    }
    for (const name of extended) {
      const capacity = total.scalar.get(name) ?? 0
      allocation[name] = capacity === 0 ? 0 : (used.scalar.get(name) ?? 0) / capacity
    }
    series.push({
      t: now / 1000,
      allocation,
      fragmentation: free === 0 ? 0 : stranded / free,
      expectedFragmentation: free === 0 ? 0 : expected / free,
      balance: count === 0 ? 0 : Math.sqrt(Math.max(0, utilSquares / count - mean * mean)),
      nodesInUse: inUse,
      pending: pending.size
    })
    heat.push(heatmapPick().map((n) => n.requested.milliCpu / n.allocatable.milliCpu))
  }

  const finish = (now: number, run: { profile: string; seed: number; events: number }): RunMetrics => {
    const waitBound: Array<number> = []
    const waitRunning: Array<number> = []
    let unschedulableSeconds = 0
    let unschedulablePods = 0
    let running = 0
    let finished = 0
    const groups = new Map<string, { start: number; end: number; open: boolean }>()
    for (const record of pods.values()) {
      if (record.bound !== undefined) waitBound.push((record.bound - record.created) / 1000)
      if (record.running !== undefined) {
        running++
        waitRunning.push((record.running - record.created) / 1000)
      }
      if (record.finished !== undefined) finished++
      if (record.everUnschedulable) unschedulablePods++
      unschedulableSeconds +=
        (record.unschedulableFor + (record.unschedulableSince === undefined ? 0 : now - record.unschedulableSince)) /
        1000
      if (record.group !== undefined) {
        const g = groups.get(record.group) ?? { start: record.created, end: 0, open: false }
        g.start = Math.min(g.start, record.created)
        if (record.finished === undefined) g.open = true
        else g.end = Math.max(g.end, record.finished)
        groups.set(record.group, g)
      }
    }
    const completed = [...groups.values()].filter((g) => !g.open)
    const firstArrival = workload.arrivals[0]?.at ?? 0
    const lastFinish = completed.reduce((end, g) => Math.max(end, g.end), 0)
    const allocationKeys = Object.keys(series[0]?.allocation ?? { cpu: 0, memory: 0 })
    const lastArrival = (workload.arrivals.at(-1)?.at ?? 0) / 1000
    const window = series.filter((s) => s.t >= firstArrival / 1000 && s.t <= lastArrival)
    const over = (value: (s: ClusterSample) => number): MeanPeak => ({
      mean: meanPeak((window.length === 0 ? series : window).map(value)).mean,
      peak: meanPeak(series.map(value)).peak
    })
    const sortedWaits = Float64Array.from(waitBound).sort()
    return {
      workload: workload.name,
      profile: run.profile,
      seed: run.seed,
      simulatedSeconds: now / 1000,
      events: run.events,
      pods: {
        created: pods.size,
        bound: waitBound.length,
        running,
        finished,
        unschedulable: unschedulablePods,
        neverBound: pods.size - waitBound.length
      },
      waitBound: stats(waitBound),
      waitRunning: stats(waitRunning),
      unschedulableSeconds,
      allocation: Object.fromEntries(allocationKeys.map((key) => [key, over((s) => s.allocation[key] ?? 0)])),
      fragmentation: over((s) => s.fragmentation),
      expectedFragmentation: over((s) => s.expectedFragmentation),
      balance: over((s) => s.balance),
      nodesInUse: over((s) => s.nodesInUse),
      makespan: completed.length === 0 ? 0 : Math.max(0, lastFinish - firstArrival) / 1000,
      jobCompletion: stats(completed.map((g) => (g.end - g.start) / 1000)),
      series,
      waitQuantiles:
        sortedWaits.length === 0
          ? []
          : Array.from(
              { length: 101 },
              (_, i) =>
                sortedWaits[Math.min(sortedWaits.length - 1, Math.ceil((i / 100) * sortedWaits.length) - 1)] ??
                sortedWaits[0]!
            ),
      heatmap: { nodes: heatmapPick().map((n) => n.name), t: series.map((s) => s.t), cpu: heat }
    }
  }

  return { onEvent, sample, pending: () => pending.size, finish }
}
