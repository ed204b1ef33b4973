/**
 * Where a simulated run's work goes: Effect operations by the fiber's log annotations (component,
 * controller, informer resource, lease), for one scenario or one `minik8s bench` run. Operations,
 * unlike wall time, are the same on every machine, so this is the measure to cut.
 *
 *   node --import ./bin/typescript.js bench/ops.ts scenarios/quickstart.yaml [extra simulated seconds, default 0]
 *   node --import ./bin/typescript.js bench/ops.ts --workload heavy-tailed:nodes=100,pods=5000 [profile, default least-allocated]
 */
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import { readFileSync } from "node:fs"
import { parse } from "../sim/scenario/Parse.js"
import * as Run from "../sim/scenario/Run.js"
import * as Experiment from "./Experiment.js"
import { generate } from "./workloads/Generators.js"

// Piped into `head`: a closed pipe ends the listing, not in an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => process.exit(error.code === "EPIPE" ? 0 : 1))
const keys = ["component", "controller", "resource", "lease"]
const counts = new Map<string, number>()
const onOperation = (fiber: Fiber.RuntimeFiber<unknown, unknown>) => {
  const annotations = fiber.getFiberRef(FiberRef.currentLogAnnotations)
  const key = keys
    .map((key) => Option.getOrElse(HashMap.get(annotations, key), () => ""))
    .filter((value) => value !== "")
    .map((value) => String(value).replace(/node-\d+|-\d+$/g, "node-N"))
    .join(" ")
  counts.set(key, (counts.get(key) ?? 0) + 1)
}

const [first = "scenarios/quickstart.yaml", second] = process.argv.slice(2)
let title: string
if (first === "--workload") {
  const spec = second ?? "heavy-tailed:nodes=100,pods=5000"
  const profile = process.argv[4] ?? "least-allocated"
  const workload = Either.getOrThrowWith(generate(spec, 1), (error) => new Error(error))
  const result = await Experiment.run(workload, { profile, seed: 1, onOperation })
  title = `${spec} under ${profile}: ${result.metrics.events} events, ${result.timing.wallSeconds.toFixed(1)} s wall`
} else {
  const scenario = Either.getOrThrowWith(
    parse(readFileSync(first, "utf8"), first, () => ""),
    (error) => error
  )
  const summary = await Run.run(
    { ...scenario, duration: scenario.duration + Number(second ?? 0) * 1000 },
    { onOperation }
  )
  title = `${first}: ${summary.events} events`
}
const total = [...counts.values()].reduce((a, b) => a + b, 0)
console.log(`${title}, ${total} operations`)
for (const [key, n] of [...counts].sort((a, b) => b[1] - a[1]))
  console.log(`${String(n).padStart(9)} ${((100 * n) / total).toFixed(1).padStart(5)}%  ${key || "(none)"}`)
