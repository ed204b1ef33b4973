/**
 * A scenario as the runner sees it: the YAML contract of SCENARIOS.md, validated, with every
 * duration in milliseconds, every `{i}` node name expanded and every `{file: …}` manifest read.
 * `Parse.ts` builds it; nothing else reads YAML.
 */
import type { Taint } from "../../core/api/Node.js"

/** A range of milliseconds a value is drawn from, uniformly (`1ms-5ms`; a single value is min = max). */
export interface Range {
  readonly min: number
  readonly max: number
}

export interface NodeGroup {
  /** The node names of the group, `{i}` expanded (`node-1`, `node-2`, …). */
  readonly names: ReadonlyArray<string>
  readonly cpu: string
  readonly memory: string
  readonly pods: number
  /** Extended resources in the node's capacity (`nvidia.com/gpu: "8"`). */
  readonly resources?: Readonly<Record<string, string>>
  readonly labels: Readonly<Record<string, string>>
  readonly taints: ReadonlyArray<Taint>
  readonly unschedulable: boolean
}

export interface CustomProfile {
  readonly filter: ReadonlyArray<string>
  readonly score: ReadonlyArray<{ readonly name: string; readonly weight: number; readonly strategy?: string }>
}

export interface Timing {
  readonly heartbeatInterval: number
  readonly nodeMonitorGracePeriod: number
  /** Default tolerationSeconds of the not-ready/unreachable NoExecute tolerations, in ms. */
  readonly evictionTimeout: number
  readonly apiLatency: Range
  readonly containerStart: Range
  readonly imagePull: Range
}

export const defaultTiming: Timing = {
  heartbeatInterval: 10_000,
  nodeMonitorGracePeriod: 40_000,
  evictionTimeout: 30_000,
  apiLatency: { min: 1, max: 5 },
  containerStart: { min: 200, max: 2_000 },
  imagePull: { min: 1_000, max: 5_000 }
}

export interface ClusterSpec {
  readonly nodes: ReadonlyArray<NodeGroup>
  /** A shipped profile's name or a custom set of plugins. */
  readonly scheduler: { readonly profile: string | CustomProfile }
  readonly timing: Timing
}

/** `kind/name` or `namespace/kind/name`, kind lower-case singular (`deployment`, `pod`, `node` …). */
export interface ObjectRef {
  readonly kind: string
  readonly namespace: string
  readonly name: string
}

export type Component = "apiserver" | "scheduler" | "controller-manager" | "store"
/** A partition's end: a component or a node's name. */
export type Endpoint = string

export type Fault =
  | { readonly _tag: "crashNode"; readonly node: string }
  | { readonly _tag: "restartNode"; readonly node: string }
  | { readonly _tag: "stopKubelet"; readonly node: string }
  | { readonly _tag: "startKubelet"; readonly node: string }
  | { readonly _tag: "partition"; readonly a: Endpoint; readonly b: Endpoint; readonly for: number }
  | {
      readonly _tag: "crashContainer"
      /** A pod's name, or a label selector (anything with `=`, `!=`, ` in `, …) picking pods. */
      readonly pod: string
      readonly container: string
      readonly exitCode: number
    }
  | { readonly _tag: "storeUnavailable"; readonly for: number }
  | { readonly _tag: "compactStore" }
  | { readonly _tag: "slowNetwork"; readonly latency: Range; readonly for: number }
  | { readonly _tag: "restartComponent"; readonly component: "scheduler" | "controller-manager" | "apiserver" }
  /** Every open watch of `component` (a node's name, `scheduler`, `controller-manager`) ends; its informers re-open them. */
  | { readonly _tag: "cutWatches"; readonly component: Endpoint }
  /** Watch lines reach `component` `by` ms late, in order, for `for` ms: a lagging informer, so stale reads; only its watches of `kind` when given. */
  | {
      readonly _tag: "delayWatches"
      readonly component: Endpoint
      readonly kind?: string
      readonly by: number
      readonly for: number
    }
  /** The `nth` write of `component` from now on (to objects of `kind`, lower-case singular, when given) is applied but its reply is lost. */
  | { readonly _tag: "ambiguousCommit"; readonly component: Endpoint; readonly kind?: string; readonly nth: number }
  /** `component` crashes (and starts again, empty) right after its `nth` write from now on is applied; the reply is lost. */
  | { readonly _tag: "crashAtWrite"; readonly component: Endpoint; readonly kind?: string; readonly nth: number }
  /** The node's clock (what its kubelet reads) runs `offset` ms ahead (negative: behind) from now on. */
  | { readonly _tag: "clockSkew"; readonly node: string; readonly offset: number }

/** Every fault's key, as scenario files write it (the `_tag` of its `Fault`), in the order errors list them. */
export const faultNames = [
  "crashNode",
  "restartNode",
  "stopKubelet",
  "startKubelet",
  "partition",
  "crashContainer",
  "storeUnavailable",
  "compactStore",
  "slowNetwork",
  "restartComponent",
  "cutWatches",
  "delayWatches",
  "ambiguousCommit",
  "crashAtWrite",
  "clockSkew"
] as const satisfies ReadonlyArray<Fault["_tag"]>
export type FaultName = (typeof faultNames)[number]

/** The fields a check compares, as written (numbers, booleans, strings). */
export type Fields = Readonly<Record<string, string | number | boolean>>

export type Check =
  | { readonly _tag: "object"; readonly ref: ObjectRef; readonly fields: Fields }
  | {
      readonly _tag: "pods"
      readonly selector?: string
      readonly phase?: string
      readonly ready?: boolean
      readonly onNode?: string
      readonly notOnNode?: string
      readonly image?: string
      /** Exactly this many; else `min`/`max`; none of them: at least one. */
      readonly count?: number
      readonly min?: number
      readonly max?: number
    }
  | { readonly _tag: "unschedulable"; readonly count: number }
  | { readonly _tag: "exists"; readonly ref: ObjectRef }
  | { readonly _tag: "absent"; readonly ref: ObjectRef }

export interface CheckAt {
  readonly check: Check
  /** The check as written (`deployment/web`, `pods`, `exists: deployment/web`), for messages. */
  readonly label: string
  /** Where it is written, for messages: the line in the scenario file. */
  readonly line: number
}

export type Action =
  | { readonly _tag: "apply"; readonly manifests: ReadonlyArray<Record<string, unknown>> }
  | { readonly _tag: "delete"; readonly ref: ObjectRef; readonly propagation: "Background" | "Foreground" | "Orphan" }
  | {
      readonly _tag: "scale"
      readonly targets: ReadonlyArray<{ readonly ref: ObjectRef; readonly replicas: number }>
    }
  | {
      readonly _tag: "setImage"
      readonly targets: ReadonlyArray<{ readonly ref: ObjectRef; readonly container: string; readonly image: string }>
    }
  | { readonly _tag: "cordon"; readonly node: string }
  | { readonly _tag: "uncordon"; readonly node: string }
  | { readonly _tag: "addNodes"; readonly group: NodeGroup }
  | { readonly _tag: "fault"; readonly fault: Fault }
  | { readonly _tag: "expect"; readonly checks: ReadonlyArray<CheckAt> }

export type StepTiming =
  | { readonly _tag: "at"; readonly millis: number }
  | { readonly _tag: "after"; readonly millis: number }
  | { readonly _tag: "within"; readonly millis: number }

export interface Step {
  /** 1-based, in file order. */
  readonly index: number
  readonly line: number
  readonly timing: StepTiming
  readonly action: Action
}

export const invariantNames = [
  "noDoubleBinding",
  "capacityRespected",
  "placementRespected",
  "resourceVersionMonotonic",
  "noOrphans",
  "replicasBounded",
  "noLostWrites",
  "phaseMonotonic",
  "noContainerAfterDelete",
  "noDuplicateContainers",
  "replicaSetBounded",
  "endpointsReady",
  "nodeMonitorGrace",
  "converged",
  "quiet"
] as const
export type InvariantName = (typeof invariantNames)[number]
/** The liveness invariants, judged at the end of a run; every other one is a safety invariant. */
export const livenessInvariants: ReadonlyArray<InvariantName> = ["converged", "quiet"]
/** What `default` stands for: every safety invariant. */
export const safetyInvariants: ReadonlyArray<InvariantName> = invariantNames.filter(
  (name) => !livenessInvariants.includes(name)
)

/** A state trigger: the `count`-th time (from the fault's `at`) an object of `kind` (named `name`, when given) is created, updated or deleted. */
export interface Trigger {
  readonly event: "created" | "updated" | "deleted"
  /** Lower-case singular, as in `kind/name` (`replicaset`). */
  readonly kind: string
  readonly namespace: string
  readonly name?: string
  readonly count: number
}

/** One entry of `spec.faults`: a fault on its own track, at a time or, armed at that time, on a state trigger. */
export interface ScheduledFault {
  /** Where it is written: its line in the scenario file. */
  readonly line: number
  /** Virtual ms from the start: when it happens, or when its trigger is armed. */
  readonly at: number
  readonly when?: Trigger
  readonly fault: Fault
}

export interface Scenario {
  /** The file it came from, as given on the command line. */
  readonly file: string
  readonly name: string
  readonly description: string
  readonly seed: number
  readonly duration: number
  readonly cluster: ClusterSpec
  readonly steps: ReadonlyArray<Step>
  /** `spec.faults`: faults on a track of their own, apart from the steps (what `minik8s fuzz` prints). */
  readonly faults: ReadonlyArray<ScheduledFault>
  readonly invariants: ReadonlyArray<InvariantName>
}
