/**
 * Test fixtures for the scheduler framework and plugins: Nodes, Pods and NodeInfos built from a
 * few fields, a seeded CycleState, and helpers that run one plugin's points the way the framework does.
 */
import type { Node, Taint } from "../../api/Node.js"
import type { Affinity, ContainerPort, Pod, Toleration, TopologySpreadConstraint } from "../../api/Pod.js"
import { NodeInfo, podInfo } from "../framework/NodeInfo.js"
import * as Plugin from "../framework/Plugin.js"
import * as Snapshot from "../framework/Snapshot.js"

export interface NodeOptions {
  readonly cpu?: string
  readonly memory?: string
  readonly pods?: number
  /** Extended resources and others, as in `status.allocatable`. */
  readonly resources?: Readonly<Record<string, string>>
  readonly labels?: Readonly<Record<string, string>>
  readonly taints?: ReadonlyArray<Taint>
  readonly unschedulable?: boolean
  readonly images?: ReadonlyArray<{ readonly names: ReadonlyArray<string>; readonly sizeBytes: number }>
}

export const node = (name: string, o: NodeOptions = {}): Node => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name, labels: { "kubernetes.io/hostname": name, ...o.labels } },
  spec: {
    ...(o.taints === undefined ? {} : { taints: o.taints }),
    ...(o.unschedulable === undefined ? {} : { unschedulable: o.unschedulable })
  },
  status: {
    allocatable: { cpu: o.cpu ?? "4", memory: o.memory ?? "8Gi", pods: String(o.pods ?? 110), ...o.resources },
    ...(o.images === undefined ? {} : { images: o.images })
  }
})

export interface PodOptions {
  readonly namespace?: string
  readonly cpu?: string
  readonly memory?: string
  /** Other requests (extended resources, ephemeral-storage). */
  readonly requests?: Readonly<Record<string, string>>
  readonly labels?: Readonly<Record<string, string>>
  readonly nodeName?: string
  readonly nodeSelector?: Readonly<Record<string, string>>
  readonly tolerations?: ReadonlyArray<Toleration>
  readonly affinity?: Affinity
  readonly spread?: ReadonlyArray<TopologySpreadConstraint>
  readonly ports?: ReadonlyArray<ContainerPort>
  readonly image?: string
  /** uid of a controller ownerReference (a ReplicaSet). */
  readonly owner?: string
}

export const pod = (name: string, o: PodOptions = {}): Pod => {
  const requests = {
    ...(o.cpu === undefined ? {} : { cpu: o.cpu }),
    ...(o.memory === undefined ? {} : { memory: o.memory }),
    ...o.requests
  }
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: o.namespace ?? "default",
      uid: `uid-${name}`,
      ...(o.labels === undefined ? {} : { labels: o.labels }),
      ...(o.owner === undefined
        ? {}
        : {
            ownerReferences: [
              { apiVersion: "apps/v1", kind: "ReplicaSet", name: o.owner, uid: o.owner, controller: true }
            ]
          })
    },
    spec: {
      containers: [
        {
          name: "main",
          image: o.image ?? "registry.example/app:1",
          ...(Object.keys(requests).length === 0 ? {} : { resources: { requests } }),
          ...(o.ports === undefined ? {} : { ports: o.ports })
        }
      ],
      ...(o.nodeName === undefined ? {} : { nodeName: o.nodeName }),
      ...(o.nodeSelector === undefined ? {} : { nodeSelector: o.nodeSelector }),
      ...(o.tolerations === undefined ? {} : { tolerations: o.tolerations }),
      ...(o.affinity === undefined ? {} : { affinity: o.affinity }),
      ...(o.spread === undefined ? {} : { topologySpreadConstraints: o.spread })
    }
  }
}

/** A NodeInfo holding the node and these (bound) pods. */
export const nodeInfo = (n: Node, pods: ReadonlyArray<Pod> = []): NodeInfo => {
  const info = new NodeInfo(n.metadata.name ?? "", n)
  for (const p of pods)
    info.addPod(podInfo({ ...p, spec: { ...p.spec, containers: p.spec?.containers ?? [], nodeName: info.name } }))
  return info
}

/** Places a pod on a NodeInfo, as the scheduler cache does after a binding. */
export const bindTo = (info: NodeInfo, p: Pod): void =>
  info.addPod(podInfo({ ...p, spec: { ...p.spec, containers: p.spec?.containers ?? [], nodeName: info.name } }))

export const cycleState = (seed = 1): Plugin.CycleState => new Plugin.CycleState(Plugin.seededRandom(seed))

const noHandle: Plugin.Handle = {
  bind: () => {
    throw new Error("no binding in this test")
  }
}

/** Builds a plugin from its factory and arguments. */
export const plugin = (
  make: Plugin.PluginFactory,
  args: Readonly<Record<string, unknown>> = {},
  handle: Plugin.Handle = noHandle
): Plugin.Plugin => make(args, handle)

/** Pre-filter then filter of one plugin on `target`, as in a cycle over `nodes`. */
export const filter = (
  pl: Plugin.Plugin,
  p: Pod,
  nodes: ReadonlyArray<NodeInfo>,
  target: NodeInfo = nodes[0]
): Plugin.Status => {
  const state = cycleState()
  const pre = pl.preFilter?.(state, p, Snapshot.make(nodes))
  if (pre !== undefined && pre.status.code === "Skip") return Plugin.success
  if (pre !== undefined && pre.status.code !== "Success") return pre.status
  return pl.filter!(state, p, target)
}

/** Pre-filter and filter over every node: node name → status. */
export const filterAll = (pl: Plugin.Plugin, p: Pod, nodes: ReadonlyArray<NodeInfo>): Record<string, Plugin.Status> =>
  Object.fromEntries(nodes.map((n) => [n.name, filter(pl, p, nodes, n)]))

/** Pre-score, score and normalise of one plugin over `nodes` (all feasible): node name → score. */
export const scores = (
  pl: Plugin.Plugin,
  p: Pod,
  nodes: ReadonlyArray<NodeInfo>,
  state: Plugin.CycleState = cycleState()
): Record<string, number> => {
  const pre = pl.preScore?.(state, p, nodes, Snapshot.make(nodes))
  if (pre !== undefined && pre.code === "Skip") return Object.fromEntries(nodes.map((n) => [n.name, 0]))
  const list = nodes.map((n) => ({ name: n.name, score: pl.score!(state, p, n) }))
  pl.normalizeScore?.(state, p, list)
  return Object.fromEntries(list.map((s) => [s.name, s.score]))
}
