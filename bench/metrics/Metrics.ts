/**
 * What one run of a workload under one profile measured. `RunMetrics` holds only figures of
 * simulated time, so the same workload, profile and seed give the same numbers on any machine
 * (summary.json is made of them); `RunTiming` holds what the wall clock measured (throughput,
 * the scheduler's own latency), which varies run to run and is reported beside them.
 */

/** Summary statistics of a sample; all 0 for an empty sample. */
export interface Stats {
  readonly count: number
  readonly mean: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly max: number
}

/** Mean over the arrival window (first to last arrival) and peak over the whole run, of a series. */
export interface MeanPeak {
  readonly mean: number
  readonly peak: number
}

/** One sample of the cluster, every `sampleEvery` simulated seconds. */
export interface ClusterSample {
  /** Simulated seconds from the start. */
  readonly t: number
  /** Requested ÷ allocatable over all nodes, 0–1, per resource (`cpu`, `memory`, `nvidia.com/gpu` …). */
  readonly allocation: Readonly<Record<string, number>>
  /** Share of free capacity no pending pod can use (FGD's measure over the pending pods; 0 when none waits), 0–1. */
  readonly fragmentation: number
  /** FGD's expected fragmentation over the workload's shapes, weighted by how often each arrives, 0–1. */
  readonly expectedFragmentation: number
  /** Standard deviation of per-node CPU utilisation, 0–1. */
  readonly balance: number
  /** Nodes running at least one pod. */
  readonly nodesInUse: number
  /** Pods created and not yet bound. */
  readonly pending: number
}

export interface RunMetrics {
  readonly workload: string
  readonly profile: string
  readonly seed: number
  readonly simulatedSeconds: number
  /** Simulation events processed (timers and tasks): the same for the same run. */
  readonly events: number
  readonly pods: {
    readonly created: number
    readonly bound: number
    readonly running: number
    /** Pods that reached Succeeded or Failed (a stopped service pod too). */
    readonly finished: number
    /** Pods the scheduler ever found unschedulable. */
    readonly unschedulable: number
    /** Pods never bound by the end. */
    readonly neverBound: number
  }
  /** Creation → bound, simulated seconds (pods that were bound). */
  readonly waitBound: Stats
  /** Creation → Running, simulated seconds (pods that ran). */
  readonly waitRunning: Stats
  /** Simulated seconds pods spent marked Unschedulable (summed over pods). */
  readonly unschedulableSeconds: number
  /** Per resource: requested ÷ allocatable over the cluster. */
  readonly allocation: Readonly<Record<string, MeanPeak>>
  readonly fragmentation: MeanPeak
  readonly expectedFragmentation: MeanPeak
  readonly balance: MeanPeak
  readonly nodesInUse: MeanPeak
  /** Batch workloads: first arrival → last batch pod finished, simulated seconds (0 without batch pods). */
  readonly makespan: number
  /** Batch job completion time per group: first task created → last task finished, simulated seconds. */
  readonly jobCompletion: Stats
  readonly series: ReadonlyArray<ClusterSample>
  /** Wait-for-bound quantiles 0, 0.01, …, 1 (for the CDF plot), simulated seconds. */
  readonly waitQuantiles: ReadonlyArray<number>
  /** Per-node CPU utilisation over time: node names (at most 100, evenly picked) and one row per sample time. */
  readonly heatmap: {
    readonly nodes: ReadonlyArray<string>
    readonly t: ReadonlyArray<number>
    readonly cpu: ReadonlyArray<ReadonlyArray<number>>
  }
}

/** Wall-clock figures of the same run: they vary between runs and machines. */
export interface RunTiming {
  readonly wallSeconds: number
  /** Scheduling decisions (bound or unschedulable) per wall-second. */
  readonly throughput: number
  /** The scheduler's own time per extension point, microseconds per cycle (mean). */
  readonly extensionPoints: Readonly<Record<string, number>>
  readonly peakRssBytes: number
}

export interface RunResult {
  readonly metrics: RunMetrics
  readonly timing: RunTiming
}

/** Mean, percentiles (nearest rank) and max of `values`; sorts a copy. */
export const stats = (values: ReadonlyArray<number>): Stats => {
  if (values.length === 0) return { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 }
  const sorted = Float64Array.from(values).sort()
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!
  let sum = 0
  for (const v of sorted) sum += v
  return {
    count: sorted.length,
    mean: sum / sorted.length,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: sorted[sorted.length - 1]!
  }
}
