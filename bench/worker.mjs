// A benchmark worker thread's entry: loads TypeScript through tsx (its hooks are per thread), then the worker.
import { register } from "tsx/esm/api"

register()
await import("./Worker.ts")
