/**
 * Where a simulated run's work goes: Effect operations by the fiber's log annotations (component,
 * controller, informer resource, lease), for one scenario. Operations, unlike wall time, are the
 * same on every machine, so this is the measure to cut.
 *
 *   npx tsx bench/ops.ts scenarios/quickstart.yaml [extra simulated seconds, default 0]
 */
import * as Either from "effect/Either"
import * as FiberRef from "effect/FiberRef"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import { readFileSync } from "node:fs"
import { parse } from "../sim/scenario/Parse.js"
import * as Run from "../sim/scenario/Run.js"

const file = process.argv[2] ?? "scenarios/quickstart.yaml"
const extra = Number(process.argv[3] ?? 0) * 1000
const scenario = Either.getOrThrowWith(
  parse(readFileSync(file, "utf8"), file, () => ""),
  (error) => error
)
// Piped into `head`: a closed pipe ends the listing, not in an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => process.exit(error.code === "EPIPE" ? 0 : 1))
const keys = ["component", "controller", "resource", "lease"]
const counts = new Map<string, number>()
const summary = await Run.run(
  { ...scenario, duration: scenario.duration + extra },
  {
    onOperation: (fiber) => {
      const annotations = fiber.getFiberRef(FiberRef.currentLogAnnotations)
      const key = keys
        .map((key) => Option.getOrElse(HashMap.get(annotations, key), () => ""))
        .filter((value) => value !== "")
        .map((value) => String(value).replace(/node-\d+/g, "node-N"))
        .join(" ")
      counts.set(key, (counts.get(key) ?? 0) + 1)
    }
  }
)
const total = summary.operations
console.log(`${file}: ${total} operations, ${summary.events} events`)
for (const [key, n] of [...counts].sort((a, b) => b[1] - a[1]))
  console.log(`${String(n).padStart(9)} ${((100 * n) / total).toFixed(1).padStart(5)}%  ${key || "(none)"}`)
