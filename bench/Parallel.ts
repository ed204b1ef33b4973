/**
 * Runs many benchmark jobs (profiles × seeds) on worker threads, one run per thread at a time, and
 * answers the results in job order. A run is a pure function of its job, so the numbers are the
 * same as a single-threaded run's (a test checks it); only the wall-clock figures differ.
 */
import * as WorkerPool from "../runtimes/WorkerPool.js"
import { type Job, runJob } from "./Job.js"
import type { RunResult } from "./metrics/Metrics.js"
import { load } from "./workloads/Load.js"

export interface ParallelOptions {
  /** Worker threads; 1 runs every job in this thread, one after another. Default: the cores. */
  readonly workers?: number
  /** Told each job's share done (0–1) as it moves. */
  readonly onProgress?: (done: ReadonlyArray<number>) => void
}

export const runAll = async (
  jobs: ReadonlyArray<Job>,
  options: ParallelOptions = {}
): Promise<ReadonlyArray<RunResult>> => {
  const done = jobs.map(() => 0)
  const report = (index: number, share: number) => {
    done[index] = share
    options.onProgress?.(done)
  }
  const workers = Math.max(1, Math.min(options.workers ?? WorkerPool.defaultSize(), jobs.length))
  if (workers === 1) {
    const results: Array<RunResult> = []
    for (const [i, job] of jobs.entries()) {
      results[i] = await runJob(job, load, (simulated, horizon) => report(i, simulated / horizon))
      report(i, 1)
    }
    return results
  }
  const pool = WorkerPool.make<Job, RunResult>(new URL("./Worker.ts", import.meta.url), workers)
  try {
    return await Promise.all(
      jobs.map(async (job, i) => {
        const result = await pool.run(job, (share) => report(i, share))
        report(i, 1)
        return result
      })
    )
  } finally {
    await pool.close()
  }
}
