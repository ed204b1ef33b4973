/** A benchmark worker thread (bench/Parallel.ts's pool): runs each job it is sent and answers its result. */
import { serve } from "../runtimes/WorkerPool.js"
import { type Job, runJob } from "./Job.js"
import type { RunResult } from "./metrics/Metrics.js"
import { load } from "./workloads/Load.js"

serve<Job, RunResult>(() => (job, progress) => runJob(job, load, (simulated, horizon) => progress(simulated / horizon)))
