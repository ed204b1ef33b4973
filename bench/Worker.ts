/** A benchmark worker thread: runs the jobs it is sent, one at a time, and posts progress and results back. */
import { parentPort } from "node:worker_threads"
import { type Job, runJob } from "./Job.js"
import { load } from "./workloads/Load.js"

export type Request = { readonly id: number; readonly job: Job }
export type Reply =
  | { readonly id: number; readonly progress: number }
  | { readonly id: number; readonly result: import("./metrics/Metrics.js").RunResult }
  | { readonly id: number; readonly error: string }

const port = parentPort
if (port === null) throw new Error("bench/Worker.ts runs as a worker thread")
port.on("message", ({ id, job }: Request) => {
  let last = -1
  runJob(job, load, (simulated, horizon) => {
    const progress = Math.floor((100 * simulated) / horizon)
    if (progress !== last) port.postMessage({ id, progress: (last = progress) / 100 } satisfies Reply)
  }).then(
    (result) => port.postMessage({ id, result } satisfies Reply),
    (error: unknown) =>
      port.postMessage({ id, error: error instanceof Error ? error.message : String(error) } satisfies Reply)
  )
})
