/**
 * One run of `minik8s bench` as data a worker thread can be sent: where the workload comes from
 * (it is loaded where the run happens, so a big workload is never copied between threads), the
 * profile, the seed and the options of the run.
 */
import type { Profile } from "../core/scheduler/Profile.js"
import type { Registry } from "../core/scheduler/registry.js"
import * as Experiment from "./Experiment.js"
import type { RunResult } from "./metrics/Metrics.js"
import type { Workload } from "./workloads/Workload.js"

export interface Job {
  /** `--workload`: a file, or a generator spec (`heavy-tailed:nodes=100`). */
  readonly workload: string
  /** `--format` of a trace file, when it cannot be told from its name. */
  readonly format?: string
  readonly profile: string
  readonly seed: number
  readonly heartbeatInterval?: number
  readonly syncFrequency?: number
  readonly relistPeriod?: number
  readonly watchPeriod?: number
  /** `--plugins FILE`: a module exporting `registry` and/or `profiles` (user plugins and profiles). */
  readonly plugins?: string
}

export interface Plugins {
  readonly registry?: Registry
  readonly profiles?: Readonly<Record<string, Profile>>
}

/** Loads a workload for a job; answers a readable error message on bad input. */
export type LoadWorkload = (job: Job) => Promise<Workload>

/** Runs a job in this thread. */
export const runJob = async (
  job: Job,
  load: LoadWorkload,
  onProgress?: (simulated: number, horizon: number) => void
): Promise<RunResult> => {
  const workload = await load(job)
  const plugins: Plugins = job.plugins === undefined ? {} : await import(job.plugins)
  const custom = plugins.profiles?.[job.profile]
  return Experiment.run(workload, {
    profile: custom ?? job.profile,
    ...(plugins.registry === undefined ? {} : { registry: plugins.registry }),
    seed: job.seed,
    ...(job.heartbeatInterval === undefined ? {} : { heartbeatInterval: job.heartbeatInterval }),
    ...(job.syncFrequency === undefined ? {} : { syncFrequency: job.syncFrequency }),
    ...(job.relistPeriod === undefined ? {} : { relistPeriod: job.relistPeriod }),
    ...(job.watchPeriod === undefined ? {} : { watchPeriod: job.watchPeriod }),
    ...(onProgress === undefined ? {} : { onProgress })
  })
}
