/**
 * Scheduler profiles (`KubeSchedulerProfile`): a named set of plugins per extension point, score
 * weights and plugin arguments. A pod picks a profile by `spec.schedulerName`; a scheduler may also
 * run one profile for every pod (the scheduler loop decides, see Scheduler.ts).
 *
 * Every shipped profile keeps Kubernetes' default filters (correctness: resources, taints, node and
 * pod affinity, spread constraints, ports) and the scores of what pods ask for softly (preferred
 * node / pod affinity, PreferNoSchedule taints, ScheduleAnyway spreading); they differ in the
 * policy that ranks the remaining ties. `default` is Kubernetes' own default profile.
 */
export interface PluginRef {
  readonly name: string
  /** Score weight, default 1. */
  readonly weight?: number
  /** Any other key is an argument of the plugin. */
  readonly [arg: string]: unknown
}

export interface Profile {
  /** Pods pick a profile by `spec.schedulerName`. */
  readonly schedulerName: string
  /** Share of the nodes to find feasible before scoring; 0 or omitted = Kubernetes' adaptive default. */
  readonly percentageOfNodesToScore?: number
  readonly plugins: {
    /** Omitted: every filter plugin that has preFilter. */
    readonly preFilter?: ReadonlyArray<string>
    readonly filter: ReadonlyArray<string>
    readonly postFilter?: ReadonlyArray<string>
    /** Omitted: every score plugin that has preScore. */
    readonly preScore?: ReadonlyArray<string>
    /** Weight default 1; other keys = plugin args. */
    readonly score: ReadonlyArray<PluginRef>
    /** Omitted: every named plugin that has reserve. */
    readonly reserve?: ReadonlyArray<string>
    /** Omitted: ["DefaultBinder"]. */
    readonly bind?: ReadonlyArray<string>
  }
  /** Args per plugin name (merged under the score entry's extra keys). */
  readonly pluginArgs?: Readonly<Record<string, Readonly<Record<string, unknown>>>>
}

/** Kubernetes' default filters, in its order (the first that rejects a node names the reason). */
export const defaultFilters: ReadonlyArray<string> = [
  "NodeUnschedulable",
  "NodeName",
  "TaintToleration",
  "NodeAffinity",
  "NodePorts",
  "NodeResourcesFit",
  "PodTopologySpread",
  "InterPodAffinity"
]

/** Scores of what the pod prefers, with Kubernetes' default weights; kept by every profile. */
const preferences: ReadonlyArray<PluginRef> = [
  { name: "TaintToleration", weight: 3 },
  { name: "NodeAffinity", weight: 2 },
  { name: "PodTopologySpread", weight: 2 },
  { name: "InterPodAffinity", weight: 2 }
]

const policy = (name: string, score: ReadonlyArray<PluginRef>, extra: Partial<Profile> = {}): Profile => ({
  schedulerName: name,
  plugins: { filter: defaultFilters, score: [...preferences, ...score] },
  ...extra
})

/** The shipped profiles, by name. */
export const profiles: Readonly<Record<string, Profile>> = {
  /** Kubernetes' default plugin set and weights (NodeResourcesFit scores LeastAllocated). */
  default: {
    schedulerName: "default-scheduler",
    plugins: {
      filter: defaultFilters,
      score: [
        { name: "TaintToleration", weight: 3 },
        { name: "NodeAffinity", weight: 2 },
        { name: "NodeResourcesFit", weight: 1 },
        { name: "PodTopologySpread", weight: 2 },
        { name: "InterPodAffinity", weight: 2 },
        { name: "NodeResourcesBalancedAllocation", weight: 1 },
        { name: "ImageLocality", weight: 1 }
      ]
    }
  },
  /** Spreads load: the node with the most free CPU and memory. */
  "least-allocated": policy("least-allocated", [{ name: "NodeResourcesFit", strategy: "LeastAllocated" }]),
  /** Bin packing: the fullest node that still fits, leaving whole nodes free. */
  "most-allocated": policy("most-allocated", [{ name: "NodeResourcesFit", strategy: "MostAllocated" }]),
  /** The node whose CPU and memory utilisations stay closest to each other. */
  balanced: policy("balanced", [{ name: "NodeResourcesBalancedAllocation" }]),
  /** Spreads each workload's pods over nodes (by controller owner), then the least allocated node. */
  spread: policy("spread", [{ name: "NodeResourcesFit", strategy: "LeastAllocated" }], {
    pluginArgs: {
      PodTopologySpread: {
        defaultConstraints: [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway" }]
      }
    }
  }),
  /** A uniformly random feasible node. */
  random: policy("random", [{ name: "Random" }]),
  /** The first feasible node in node order (every node is filtered). */
  "first-fit": policy("first-fit", [{ name: "FirstFit" }], { percentageOfNodesToScore: 100 }),
  /** The next feasible node after the previous pod's, in node order. */
  "round-robin": policy("round-robin", [{ name: "RoundRobin" }], { percentageOfNodesToScore: 100 }),
  /** The node whose dominant (scarcest) resource share after placement is lowest. */
  drf: policy("drf", [{ name: "DominantResourceFairness" }])
}

/** A shipped profile by its name (`default`, `most-allocated` …) or its schedulerName (`default-scheduler`). */
export const byName = (name: string): Profile | undefined =>
  Object.hasOwn(profiles, name) ? profiles[name] : Object.values(profiles).find((p) => p.schedulerName === name)
