// A WorkerPool thread's entry: loads TypeScript through tsx (its hooks are per thread), then the pool's module.
import { workerData } from "node:worker_threads"
import { register } from "tsx/esm/api"

register()
await import(workerData.module)
