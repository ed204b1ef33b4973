/**
 * The scheduler framework's plugin contract (kube-scheduler's `framework/interface.go`): statuses,
 * the per-cycle state, and a plugin as an object of optional extension-point functions. Filter and
 * score run for every node of every pod, so they are plain synchronous functions; the points that
 * talk to the API (reserve, bind, post-filter) are Effects.
 */
import type * as Effect from "effect/Effect"
import type { Pod } from "../../api/Pod.js"
import type { NodeInfo } from "./NodeInfo.js"

export type Code =
  | "Success"
  /** The pod does not fit this node now; may fit after the cluster changes (or preemption). */
  | "Unschedulable"
  /** The pod can never fit this node as it is (a node selector mismatch); preemption will not help. */
  | "UnschedulableAndUnresolvable"
  | "Error"
  /** Pre-filter / pre-score found nothing for this plugin to do: its filter / score is skipped. */
  | "Skip"

export interface Status {
  readonly code: Code
  /** Why, in the words of Kubernetes' messages ("Insufficient cpu", "node(s) didn't match Pod's node affinity/selector"). */
  readonly reasons: ReadonlyArray<string>
  /** The plugin that returned it (set by the framework). */
  readonly plugin?: string
}

export const success: Status = { code: "Success", reasons: [] }
export const skip: Status = { code: "Skip", reasons: [] }
export const unschedulable = (...reasons: ReadonlyArray<string>): Status => ({ code: "Unschedulable", reasons })
export const unresolvable = (...reasons: ReadonlyArray<string>): Status => ({
  code: "UnschedulableAndUnresolvable",
  reasons
})
export const error = (reason: string): Status => ({ code: "Error", reasons: [reason] })
export const isSuccess = (s: Status): boolean => s.code === "Success"

/** Highest score a plugin's score may give after normalisation (Kubernetes' MaxNodeScore). */
export const maxNodeScore = 100

/**
 * Data one plugin's earlier extension point leaves for its later ones within one scheduling cycle
 * (pre-filter → filter, pre-score → score), plus the cycle's random numbers.
 */
export class CycleState {
  private readonly data = new Map<string, unknown>()
  /** Uniform in [0, 1), seeded per cycle from Effect's Random: plugins must not use Math.random. */
  readonly random: () => number
  /** Plugins whose pre-filter returned Skip: their filter is not run this cycle. */
  readonly skipFilter = new Set<string>()
  /** Plugins whose pre-score returned Skip: their score is not run this cycle. */
  readonly skipScore = new Set<string>()

  constructor(random: () => number) {
    this.random = random
  }

  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined
  }

  write(key: string, value: unknown): void {
    this.data.set(key, value)
  }
}

/** A small, fast, seedable uniform generator in [0, 1) (mulberry32), for `CycleState.random`. */
export const seededRandom = (seed: number): (() => number) => {
  // The state is kept as a signed 32-bit integer (same bits), which the engine stores without boxing.
  let a = seed | 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Every NodeInfo as of the start of this cycle (the scheduler cache's snapshot). */
export interface Snapshot {
  readonly nodes: ReadonlyArray<NodeInfo>
  readonly get: (nodeName: string) => NodeInfo | undefined
  /** The nodes that hold at least one pod with pod (anti-)affinity terms, for InterPodAffinity. */
  readonly nodesWithAffinityPods: ReadonlyArray<NodeInfo>
  readonly nodesWithRequiredAntiAffinityPods: ReadonlyArray<NodeInfo>
  /** The nodes that report holding images (`status.images`), for ImageLocality. */
  readonly nodesWithImages: ReadonlyArray<NodeInfo>
}

export interface PreFilterResult {
  readonly status: Status
  /** When set, only these nodes are worth filtering (NodeName, required node affinity on hostname). */
  readonly nodeNames?: ReadonlySet<string>
}

export interface ScoredNode {
  readonly name: string
  score: number
}

/** A cluster change that may make a pod this plugin rejected schedulable again (queueing hints). */
export interface ClusterEvent {
  readonly resource: "Node" | "Pod"
  readonly action: "Add" | "Update" | "Delete"
}

export interface PostFilterResult {
  readonly status: Status
  /** The node the pod should get once victims are gone (preemption). */
  readonly nominatedNodeName?: string
}

/**
 * A scheduler plugin: a name and the extension points it implements. Users write one as a
 * TypeScript object (see core/scheduler/README.md) and add its factory to the registry.
 */
export interface Plugin {
  readonly name: string
  readonly preFilter?: (state: CycleState, pod: Pod, snapshot: Snapshot) => PreFilterResult
  readonly filter?: (state: CycleState, pod: Pod, node: NodeInfo) => Status
  /** Runs when no node passed the filters; may make room (preemption) or just explain. */
  readonly postFilter?: (
    state: CycleState,
    pod: Pod,
    filtered: ReadonlyMap<string, Status>
  ) => Effect.Effect<PostFilterResult>
  readonly preScore?: (state: CycleState, pod: Pod, nodes: ReadonlyArray<NodeInfo>, snapshot: Snapshot) => Status
  /** 0..maxNodeScore, or any non-negative number when `normalizeScore` rescales it. */
  readonly score?: (state: CycleState, pod: Pod, node: NodeInfo) => number
  /** Rescales this plugin's scores of all feasible nodes in place, to 0..maxNodeScore. */
  readonly normalizeScore?: (state: CycleState, pod: Pod, scores: Array<ScoredNode>) => void
  readonly reserve?: (state: CycleState, pod: Pod, nodeName: string) => Effect.Effect<Status>
  readonly unreserve?: (state: CycleState, pod: Pod, nodeName: string) => Effect.Effect<void>
  /** Skip means "not mine, ask the next binder". */
  readonly bind?: (state: CycleState, pod: Pod, nodeName: string) => Effect.Effect<Status>
  /** Which cluster changes can undo this plugin's rejection; omitted: any node or pod change. */
  readonly events?: ReadonlyArray<ClusterEvent>
}

/** What a plugin may use of the scheduler beyond its arguments. */
export interface Handle {
  /** POST `pods/{name}/binding`. */
  readonly bind: (pod: Pod, nodeName: string) => Effect.Effect<Status>
}

/** Builds a plugin from its arguments (the extra keys of its entry in a profile). */
export type PluginFactory = (args: Readonly<Record<string, unknown>>, handle: Handle) => Plugin
