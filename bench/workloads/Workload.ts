/**
 * A scheduling workload: a cluster of node groups and a stream of arrivals (bare pods, batch
 * groups, Deployments), in simulated time. Generators and trace importers produce one; `minik8s
 * bench` runs it under each profile through the whole control plane (sim/cluster), never around it.
 *
 * Amounts are plain numbers, as the scheduler sums them: CPU in millicores, memory in bytes, each
 * extended resource (`nvidia.com/gpu`) in its integer unit. Times are simulated milliseconds from
 * the start of the run.
 */
import type { Taint } from "../../core/api/Node.js"
import type { Toleration, TopologySpreadConstraint } from "../../core/api/SchedulingConstraints.js"

export interface NodeGroup {
  /** Node names are `${name}-1` … `${name}-${count}`. */
  readonly name: string
  readonly count: number
  /** Allocatable CPU, millicores. */
  readonly cpu: number
  /** Allocatable memory, bytes. */
  readonly memory: number
  /** Extended resources per node (`nvidia.com/gpu: 8`), integer units. */
  readonly extended?: Readonly<Record<string, number>>
  /** Pods the node admits; default 110, as the kubelet's. */
  readonly pods?: number
  readonly labels?: Readonly<Record<string, string>>
  readonly taints?: ReadonlyArray<Taint>
}

export interface Requests {
  /** Millicores. */
  readonly cpu: number
  /** Bytes. */
  readonly memory: number
  /** Extended resources (`nvidia.com/gpu: 1`), integer units. */
  readonly extended?: Readonly<Record<string, number>>
}

/** What every pod of an arrival asks for and where it may go. */
export interface PodShape {
  readonly requests: Requests
  /** `spec.priority`; default 0. */
  readonly priority?: number
  readonly labels?: Readonly<Record<string, string>>
  readonly nodeSelector?: Readonly<Record<string, string>>
  readonly tolerations?: ReadonlyArray<Toleration>
  /** `topologySpreadConstraints`; the label selector defaults to the arrival's own labels. */
  readonly spread?: ReadonlyArray<TopologySpreadConstraint>
}

/** A bare pod; with `group`, one task of a batch job (job completion time is per group). */
export interface PodArrival extends PodShape {
  readonly kind: "Pod"
  /** Unique within the workload (a DNS-1123 label). */
  readonly name: string
  readonly at: number
  /** How long its container runs once started (ms), then it exits 0 and the pod Succeeds; absent: until the end. */
  readonly duration?: number
  /** The batch job (or gang) it belongs to. */
  readonly group?: string
}

/** A service: a Deployment of `replicas` pods from `at`, deleted `lifetime` ms later (absent: never). */
export interface DeploymentArrival extends PodShape {
  readonly kind: "Deployment"
  readonly name: string
  readonly at: number
  readonly replicas: number
  readonly lifetime?: number
}

export type Arrival = PodArrival | DeploymentArrival

export interface Workload {
  readonly name: string
  readonly nodes: ReadonlyArray<NodeGroup>
  /** Sorted by `at`, then by name. */
  readonly arrivals: ReadonlyArray<Arrival>
  /** The run stops here (ms) even if pods still run; default: the last arrival + the longest duration + 10 min. */
  readonly horizon?: number
}

/** Pods an arrival makes. */
export const podsOf = (arrival: Arrival): number => (arrival.kind === "Pod" ? 1 : arrival.replicas)

/** The arrivals sorted as a Workload keeps them: by time, then name. */
export const sortArrivals = (arrivals: ReadonlyArray<Arrival>): ReadonlyArray<Arrival> =>
  [...arrivals].sort((a, b) => a.at - b.at || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))

/** When the run stops: the horizon, else the last arrival + the longest duration or lifetime + 10 min. */
export const horizonOf = (workload: Workload): number => {
  if (workload.horizon !== undefined) return workload.horizon
  let end = 0
  for (const a of workload.arrivals) {
    const length = a.kind === "Pod" ? (a.duration ?? 0) : (a.lifetime ?? 0)
    end = Math.max(end, a.at + length)
  }
  return end + 600_000
}
