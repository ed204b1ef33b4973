// A WorkerPool thread's entry: registers the TypeScript loader (its hooks are per thread), then the pool's module.
import { workerData } from "node:worker_threads"

await import("../bin/typescript.js")
await import(workerData.module)
