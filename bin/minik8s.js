#!/usr/bin/env node
// Runs the TypeScript CLI directly (./typescript.js compiles each file as it loads): no build step
// between `npm ci` and use.
import { spawnSync } from "node:child_process"

// A simulated run makes short-lived objects at a high rate: with a larger young generation the
// collector promotes (and later marks) far fewer of them, which makes `run` 15-20% faster. V8 takes
// the size only at start-up, so the simulating commands start Node again with it.
const youngGeneration = "--max-semi-space-size=64"
if (
  ["run", "fuzz", "bench"].includes(process.argv[2]) &&
  !process.execArgv.some((arg) => arg.startsWith("--max-semi-space-size"))
) {
  const child = spawnSync(process.execPath, [youngGeneration, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit"
  })
  if (child.signal !== null) process.kill(process.pid, child.signal)
  process.exit(child.status ?? 1)
}

// A reader that stops early (`minik8s get pods | head`) closes the pipe: end quietly, as Unix tools do.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(0)
  throw error
})

await import("./typescript.js")
await import("../cli/main.ts")
