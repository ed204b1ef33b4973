/**
 * Per-plugin cost per node: every shipped Filter and Score plugin called on each node of a cluster
 * whose NodeInfos come from the scheduler cache with pods on them, after the plugin's PreFilter /
 * PreScore ran as the framework runs them, for a pod that uses every plugin's feature (required and
 * preferred node affinity, tolerations, a host port, spread constraints, pod anti-affinity and
 * preferred pod affinity, an image some nodes hold). Reported as calls per second with ns per node,
 * against a loop reading each NodeInfo's requested resources; PodTopologySpread's and
 * InterPodAffinity's pre-points, which scan the whole snapshot once per cycle, are reported per
 * snapshot node too.
 */
import type { Node, Taint } from "../core/api/Node.js"
import type { Pod } from "../core/api/Pod.js"
import { Cache } from "../core/scheduler/Cache.js"
import type { NodeInfo } from "../core/scheduler/framework/NodeInfo.js"
import * as Plugin from "../core/scheduler/framework/Plugin.js"
import { defaultRegistry } from "../core/scheduler/registry.js"
import { type BenchCase, type Row, runSuite, type RunOptions } from "./harness.js"
import { benchNode, benchPod } from "./scheduler.bench.js"

export interface PluginBenchSize {
  readonly nodes: number
  readonly podsPerNode: number
}

/** The default size: 1,000 nodes with 20 pods each. */
export const normal: PluginBenchSize = { nodes: 1_000, podsPerNode: 20 }

/** A short size for `--quick`: 100 nodes with 20 pods each. */
export const quick: PluginBenchSize = { nodes: 100, podsPerNode: 20 }

const hostname = "kubernetes.io/hostname"
const zone = "topology.kubernetes.io/zone"
const webImage = "registry.example/web:1"

/** benchNode with taints on some nodes (tolerated, untolerated, PreferNoSchedule) and images on a third. */
const node = (i: number): Node => {
  const base = benchNode(i)
  const taints: Array<Taint> = []
  if (i % 10 === 0) taints.push({ key: "dedicated", value: "batch", effect: "NoSchedule" })
  if (i % 10 === 5) taints.push({ key: "dedicated", value: "gpu", effect: "NoSchedule" })
  if (i % 4 === 1) taints.push({ key: "spot", effect: "PreferNoSchedule" })
  const images = [
    { names: [`${webImage}`], sizeBytes: 500 * 2 ** 20 },
    { names: ["busybox:latest"], sizeBytes: 5 * 2 ** 20 }
  ]
  return {
    ...base,
    spec: taints.length === 0 ? {} : { taints },
    status: { ...base.status, ...(i % 3 === 0 ? { images } : {}) }
  }
}

const web = { matchLabels: { app: "web" } }

/**
 * The `j`-th pod on node `i`: benchPod, with a web replica first on every fourth node, a pod whose
 * required anti-affinity repels web pods on every seventh, pods preferring web pods' zones, and pods
 * holding host port 8080 on every eleventh node.
 */
const existingPod = (i: number, j: number, podsPerNode: number): Pod => {
  const k = i * podsPerNode + j
  const base = benchPod(k)
  const spec = { ...base.spec, nodeName: `node-${i}` }
  if (j === 0 && i % 4 === 0) return { ...base, metadata: { ...base.metadata, labels: { app: "web" } }, spec }
  if (j === 1 && i % 7 === 0)
    return {
      ...base,
      metadata: { ...base.metadata, labels: { app: "db" } },
      spec: {
        ...spec,
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: web, topologyKey: hostname }]
          }
        }
      }
    }
  if (j === 2 && i % 5 === 0)
    return {
      ...base,
      spec: {
        ...spec,
        affinity: {
          podAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 20, podAffinityTerm: { labelSelector: web, topologyKey: zone } }
            ]
          }
        }
      }
    }
  if (j === 3 && i % 11 === 0)
    return {
      ...base,
      spec: {
        ...spec,
        containers: (spec.containers ?? []).map((c) => ({ ...c, ports: [{ containerPort: 8080, hostPort: 8080 }] }))
      }
    }
  return { ...base, spec }
}

/** The pod being scheduled: a web replica that uses every plugin's feature. */
export const incomingPod: Pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "web-new",
    namespace: "default",
    uid: "uid-web-new",
    labels: { app: "web" },
    ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web", uid: "uid-rs-web", controller: true }]
  },
  spec: {
    schedulerName: "default-scheduler",
    priority: 0,
    containers: [
      {
        name: "web",
        image: webImage,
        ports: [{ containerPort: 8080, hostPort: 8080 }],
        resources: { requests: { cpu: "500m", memory: "1Gi" } }
      }
    ],
    tolerations: [
      ...(benchPod(0).spec?.tolerations ?? []),
      { key: "dedicated", operator: "Equal", value: "batch", effect: "NoSchedule" }
    ],
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: zone, operator: "In", values: ["a", "b"] }] }]
        },
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 10, preference: { matchExpressions: [{ key: zone, operator: "In", values: ["a"] }] } }
        ]
      },
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: web, topologyKey: hostname }]
      },
      podAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 50, podAffinityTerm: { labelSelector: { matchLabels: { app: "app-3" } }, topologyKey: zone } }
        ]
      }
    },
    topologySpreadConstraints: [
      { maxSkew: 2, topologyKey: zone, whenUnsatisfiable: "DoNotSchedule", labelSelector: web },
      { maxSkew: 1, topologyKey: hostname, whenUnsatisfiable: "ScheduleAnyway", labelSelector: web }
    ]
  }
}

/** The scheduler cache's snapshot of `size.nodes` nodes with `size.podsPerNode` bound pods each. */
export const cluster = (size: PluginBenchSize): Plugin.Snapshot => {
  const cache = new Cache()
  for (let i = 0; i < size.nodes; i++) {
    cache.addNode(node(i))
    for (let j = 0; j < size.podsPerNode; j++) cache.addPod(existingPod(i, j, size.podsPerNode))
  }
  return cache.snapshot()
}

const handle: Plugin.Handle = {
  bind: () => {
    throw new Error("no binding in a plugin benchmark")
  }
}

const newState = () => new Plugin.CycleState(Plugin.seededRandom(42))

/** Every registry plugin with this extension point, built with default arguments, plus extra variants. */
const pluginsWith = (point: "filter" | "score") =>
  Object.entries(defaultRegistry).flatMap(([name, make]) => {
    const plugin = make({}, handle)
    if (plugin[point] === undefined) return []
    return point === "score" && name === "NodeResourcesFit"
      ? ["LeastAllocated", "MostAllocated", "RequestedToCapacityRatio"].map((strategy) => ({
          label: `${name} (${strategy})`,
          plugin: make({ strategy }, handle)
        }))
      : [{ label: name, plugin }]
  })

/** Runs a plugin's pre-filter and filter over every node, as a cycle does before pre-score (TaintToleration looks). */
const preFilterAndFilter = (plugin: Plugin.Plugin, state: Plugin.CycleState, pod: Pod, snapshot: Plugin.Snapshot) => {
  if (plugin.preFilter?.(state, pod, snapshot).status.code === "Skip" || plugin.filter === undefined) return
  for (const n of snapshot.nodes) plugin.filter(state, pod, n)
}

/** The nodes that pass every shipped filter, as the framework finds them for `pod`. */
const feasibleNodes = (pod: Pod, snapshot: Plugin.Snapshot): ReadonlyArray<NodeInfo> => {
  const state = newState()
  const filters = pluginsWith("filter")
    .map(({ plugin }) => plugin)
    .filter((plugin) => plugin.preFilter?.(state, pod, snapshot).status.code !== "Skip")
  return snapshot.nodes.filter((n) => filters.every((plugin) => plugin.filter!(state, pod, n).code === "Success"))
}

// Written by every case so the engine cannot drop the calls it measures.
let sink = 0

/** A synchronous case over some nodes; `note` says when the framework would not call it for this pod. */
interface PerNodeCase extends BenchCase {
  readonly fn: () => void
  readonly note?: string
}

/** The baseline: reads each NodeInfo's requested cpu and memory. */
const readRequested = (nodes: ReadonlyArray<NodeInfo>): PerNodeCase => ({
  name: "read NodeInfo.requested (cpu + memory)",
  fn: () => {
    let sum = 0
    for (let i = 0; i < nodes.length; i++) sum += nodes[i].requested.milliCpu + nodes[i].requested.memory
    sink += sum
  }
})

const filterCases = (pod: Pod, snapshot: Plugin.Snapshot): Array<PerNodeCase> =>
  pluginsWith("filter").map(({ label, plugin }) => {
    const state = newState()
    const skipped = plugin.preFilter?.(state, pod, snapshot).status.code === "Skip"
    const filter = plugin.filter!
    const nodes = snapshot.nodes
    return {
      name: `${label} Filter`,
      fn: () => {
        let rejected = 0
        for (let i = 0; i < nodes.length; i++) if (filter(state, pod, nodes[i]).code !== "Success") rejected++
        sink += rejected
      },
      ...(skipped ? { note: "its pre-filter skips it for this pod: the cost if it ran" } : {})
    }
  })

const scoreCases = (pod: Pod, snapshot: Plugin.Snapshot, feasible: ReadonlyArray<NodeInfo>): Array<PerNodeCase> =>
  pluginsWith("score").map(({ label, plugin }) => {
    const state = newState()
    preFilterAndFilter(plugin, state, pod, snapshot)
    const skipped = plugin.preScore?.(state, pod, feasible, snapshot).code === "Skip"
    const score = plugin.score!
    return {
      name: `${label} Score`,
      fn: () => {
        let sum = 0
        for (let i = 0; i < feasible.length; i++) sum += score(state, pod, feasible[i])
        sink += sum
      },
      ...(skipped ? { note: "its pre-score skips it for this pod: the cost if it ran" } : {})
    }
  })

/** PodTopologySpread's and InterPodAffinity's pre-points: one call per cycle, over the whole snapshot. */
const prePointCases = (pod: Pod, snapshot: Plugin.Snapshot, feasible: ReadonlyArray<NodeInfo>): Array<PerNodeCase> =>
  ["PodTopologySpread", "InterPodAffinity"].flatMap((name) => {
    const plugin = defaultRegistry[name]!({}, handle)
    return [
      {
        name: `${name} PreFilter`,
        fn: () => void (sink += plugin.preFilter!(newState(), pod, snapshot).status.reasons.length)
      },
      {
        name: `${name} PreScore (${feasible.length} feasible)`,
        fn: () => void (sink += plugin.preScore!(newState(), pod, feasible, snapshot).reasons.length)
      }
    ]
  })

/** Runs the cases as one suite; each op covers `perOp` nodes, so rows are per node. */
const perNodeRows = async (
  suite: string,
  cases: ReadonlyArray<PerNodeCase>,
  perOp: number,
  options: RunOptions
): Promise<Row[]> => {
  // Every case first, so each is measured with its call site seeing every plugin, as the framework's
  // filter and score loops do, not with the first case measured before the others made it megamorphic.
  for (const c of cases) for (let n = 0; n < 100; n++) c.fn()
  const rows = await runSuite({ name: suite, cases }, options)
  return rows.map((row, i) => {
    const callsPerSecond = row.value * perOp
    const ns = 1e9 / callsPerSecond
    const perNode = `${ns >= 100 ? Math.round(ns).toLocaleString("en-US") : ns.toPrecision(3)} ns/node`
    const note = [perNode, cases[i]!.note].filter(Boolean).join("; ")
    return { ...row, value: callsPerSecond, unit: "calls/s", note }
  })
}

/** Filter, Score and the snapshot-wide pre-points of every shipped plugin, per node, each suite against reading NodeInfo.requested. */
export const pluginRows = async (size: PluginBenchSize, options: RunOptions = {}): Promise<Row[]> => {
  const snapshot = cluster(size)
  const feasible = feasibleNodes(incomingPod, snapshot)
  if (feasible.length < 2) throw new Error(`only ${feasible.length} feasible nodes: the score cases need two`)
  const nodes = snapshot.nodes.length
  const of = `${nodes} nodes × ${size.podsPerNode} pods`
  return [
    ...(await perNodeRows(
      `plugin Filter per node (${of})`,
      [readRequested(snapshot.nodes), ...filterCases(incomingPod, snapshot)],
      nodes,
      options
    )),
    ...(await perNodeRows(
      `plugin Score per feasible node (${feasible.length} of ${of})`,
      [readRequested(feasible), ...scoreCases(incomingPod, snapshot, feasible)],
      feasible.length,
      options
    )),
    ...(await perNodeRows(
      `plugin pre-points per snapshot node, one call per cycle (${of})`,
      [readRequested(snapshot.nodes), ...prePointCases(incomingPod, snapshot, feasible)],
      nodes,
      options
    ))
  ]
}
