/**
 * Fuzz throughput (issue 6): `minik8s fuzz` runs per wall-second on the quickstart scenario with up
 * to 5 faults of every kind, against the baseline of plain runs of the same scenario (as long as a
 * fuzz run: its length plus the longest fault plus the heal phase) measured in the same process; on
 * one thread, and on the cores (`--workers`).
 */
import * as Either from "effect/Either"
import { readFileSync } from "node:fs"
import { performance } from "node:perf_hooks"
import { faultKinds } from "../sim/faults/Arbitrary.js"
import { defaultInvariants, fuzz, type FuzzOptions } from "../sim/fuzz/Fuzz.js"
import { parse } from "../sim/scenario/Parse.js"
import * as Run from "../sim/scenario/Run.js"
import { defaultSize } from "../runtimes/WorkerPool.js"
import { progress, type Row } from "./harness.js"

export interface FuzzSize {
  readonly runs: number
  /** Threads for the threaded figure; default the cores. */
  readonly workers?: number
}

export const quick: FuzzSize = { runs: 20 }
export const smoke: FuzzSize = { runs: 2 }

const file = "scenarios/quickstart.yaml"

export const fuzzRows = async (size: FuzzSize): Promise<Row[]> => {
  const scenario = Either.getOrThrowWith(
    parse(readFileSync(file, "utf8"), file, () => ""),
    (e) => e
  )
  const options: FuzzOptions = {
    runs: size.runs,
    seed: 42,
    kinds: faultKinds,
    maxFaults: 5,
    interleave: "fifo",
    invariants: defaultInvariants,
    heal: 120_000,
    longest: 60_000,
    onProgress: ({ runs, of }) => progress(`fuzz quickstart: run ${runs}/${of}`)
  }
  const plain = { ...scenario, duration: scenario.duration + options.longest + options.heal }
  await Run.run(plain) // warm-up: the JIT compiles the control plane before anything is timed
  const baselineRuns = Math.max(1, Math.ceil(size.runs / 4))
  const started = performance.now()
  for (let i = 0; i < baselineRuns; i++) await Run.run(plain, { seed: i + 1 })
  const baseline = baselineRuns / ((performance.now() - started) / 1000)
  const session = async (workers: number): Promise<Row> => {
    const started = performance.now()
    const result = await fuzz(scenario, { ...options, workers })
    const rate = result.runs / ((performance.now() - started) / 1000)
    return {
      suite,
      name: `fuzz, up to 5 faults, ${result.workers} thread${result.workers === 1 ? "" : "s"} (${result.runs} runs, ${result.faultsInjected} faults fired)`,
      value: rate,
      unit: "runs/s",
      ratio: rate / baseline,
      note:
        result.failure === undefined
          ? result.workers === 1
            ? "one thread, as the plain runs"
            : "threads start cold: each loads and compiles the code"
          : `failed: ${result.failure.violation.invariant}`
    }
  }
  const suite = "fuzz quickstart (13 min a run)"
  const rows: Array<Row> = [{ suite, name: "plain run, no faults", value: baseline, unit: "runs/s", ratio: 1 }]
  rows.push(await session(1))
  rows.push(await session(size.workers ?? defaultSize()))
  progress("")
  return rows
}
