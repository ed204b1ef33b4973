/**
 * Runs many benchmark jobs (profiles × seeds) on worker threads, one run per thread at a time, and
 * answers the results in job order. A run is a pure function of its job, so the numbers are the
 * same as a single-threaded run's (a test checks it); only the wall-clock figures differ.
 */
import { availableParallelism } from "node:os"
import { Worker } from "node:worker_threads"
import { type Job, runJob } from "./Job.js"
import type { RunResult } from "./metrics/Metrics.js"
import type { Reply } from "./Worker.js"
import { load } from "./workloads/Load.js"

export interface ParallelOptions {
  /** Worker threads; 1 runs every job in this thread, one after another. Default: the cores. */
  readonly workers?: number
  /** Told each job's share done (0–1) as it moves. */
  readonly onProgress?: (done: ReadonlyArray<number>) => void
}

/** The worker count `--workers` defaults to. */
export const defaultWorkers = () => availableParallelism()

export const runAll = async (
  jobs: ReadonlyArray<Job>,
  options: ParallelOptions = {}
): Promise<ReadonlyArray<RunResult>> => {
  const done = jobs.map(() => 0)
  const report = (index: number, share: number) => {
    done[index] = share
    options.onProgress?.(done)
  }
  const workers = Math.max(1, Math.min(options.workers ?? defaultWorkers(), jobs.length))
  const results: Array<RunResult> = new Array(jobs.length)
  if (workers === 1) {
    for (const [i, job] of jobs.entries()) {
      results[i] = await runJob(job, load, (simulated, horizon) => report(i, simulated / horizon))
      report(i, 1)
    }
    return results
  }
  let next = 0
  const threads = Array.from({ length: workers }, () => new Worker(new URL("./worker.mjs", import.meta.url)))
  try {
    await Promise.all(
      threads.map(
        (thread) =>
          new Promise<void>((resolve, reject) => {
            const give = () => {
              if (next >= jobs.length) return resolve()
              const id = next++
              thread.postMessage({ id, job: jobs[id]! })
            }
            thread.on("message", (reply: Reply) => {
              if ("progress" in reply) return report(reply.id, reply.progress)
              if ("error" in reply) return reject(new Error(reply.error))
              results[reply.id] = reply.result
              report(reply.id, 1)
              give()
            })
            thread.on("error", reject)
            thread.on("exit", (code) => {
              if (code !== 0) reject(new Error(`a benchmark worker stopped with code ${code}`))
            })
            give()
          })
      )
    )
    return results
  } finally {
    await Promise.all(threads.map((thread) => thread.terminate()))
  }
}
