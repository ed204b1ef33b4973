/**
 * `minik8s bench --workload FILE|GENERATOR --profiles a,b,c`: runs the workload under each profile
 * (and `--repeat` seeds) in simulation through the whole control plane, on worker threads, and
 * prints a table of the metrics (mean ± 95% CI over the seeds, ratio to the baseline profile);
 * `--report DIR` also writes table.md, table.csv, summary.json, timing.json and report.html.
 * `--export workload|scenario` prints the workload as a workload file or a scenario instead.
 * Progress goes to stderr on a terminal. A bad flag or workload exits 2 with one line.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { resolve } from "node:path"
import { pathToFileURL } from "node:url"
import * as Profiles from "../core/scheduler/Profile.js"
import { parseDuration } from "../sim/scenario/Duration.js"
import type { Job, Plugins } from "../bench/Job.js"
import { runAll } from "../bench/Parallel.js"
import { defaultSize } from "../runtimes/WorkerPool.js"
import * as Report from "../bench/report/Report.js"
import * as Table from "../bench/report/Table.js"
import { load } from "../bench/workloads/Load.js"
import { podsOf } from "../bench/workloads/Workload.js"
import * as WorkloadFile from "../bench/workloads/WorkloadFile.js"

export interface BenchFlags {
  readonly workload: string
  readonly format: string | undefined
  readonly profiles: string
  readonly baseline: string | undefined
  readonly repeat: number
  readonly seed: number
  readonly workers: number | undefined
  readonly report: string | undefined
  readonly plugins: string | undefined
  readonly heartbeat: string | undefined
  readonly syncFrequency: string | undefined
  readonly relist: string | undefined
  readonly watchPeriod: string | undefined
  /** Print the workload (as a workload file, or as a scenario under the first profile) instead of running it. */
  readonly export: "workload" | "scenario" | undefined
}

const count = (n: number) => n.toLocaleString("en-US")

export const bench = (flags: BenchFlags): Effect.Effect<number> =>
  Effect.gen(function* () {
    const invalid = (line: string) => Effect.as(Console.error(line), 2)
    if (flags.repeat < 1) return yield* invalid("--repeat: must be at least 1")
    if (flags.workers !== undefined && flags.workers < 1) return yield* invalid("--workers: must be at least 1")
    // Node periods not given are the bench's defaults (Experiment.nodePeriods).
    const periods: Partial<Record<"heartbeatInterval" | "syncFrequency" | "relistPeriod" | "watchPeriod", number>> = {}
    for (const [key, flag, written] of [
      ["heartbeatInterval", "heartbeat", flags.heartbeat],
      ["syncFrequency", "sync-frequency", flags.syncFrequency],
      ["relistPeriod", "relist", flags.relist],
      ["watchPeriod", "watch-period", flags.watchPeriod]
    ] as const) {
      if (written === undefined) continue
      const period = parseDuration(written)
      if (Either.isLeft(period)) return yield* invalid(`--${flag}: ${period.left}`)
      if (period.right < 1_000) return yield* invalid(`--${flag}: must be at least 1s`)
      periods[key] = period.right
    }

    const pluginsUrl = flags.plugins === undefined ? undefined : pathToFileURL(resolve(flags.plugins)).href
    const plugins = yield* Effect.tryPromise({
      try: async (): Promise<Plugins> => (pluginsUrl === undefined ? {} : await import(pluginsUrl)),
      catch: (error) => `--plugins ${flags.plugins}: ${error instanceof Error ? error.message : String(error)}`
    }).pipe(Effect.either)
    if (Either.isLeft(plugins)) return yield* invalid(plugins.left)
    const profiles = [
      ...new Set(
        flags.profiles
          .split(",")
          .map((p) => p.trim())
          .filter((p) => p !== "")
      )
    ]
    if (profiles.length === 0) return yield* invalid("--profiles: name at least one profile")
    const known = [...Object.keys(plugins.right.profiles ?? {}), ...Object.keys(Profiles.profiles)]
    for (const p of profiles)
      if (!known.includes(p)) return yield* invalid(`--profiles: unknown profile "${p}" (known: ${known.join(", ")})`)
    const baseline = flags.baseline ?? profiles[0]!
    if (!profiles.includes(baseline))
      return yield* invalid(`--baseline: "${baseline}" is not one of --profiles (${profiles.join(", ")})`)

    const base: Omit<Job, "profile" | "seed"> = {
      workload: flags.workload,
      ...(flags.format === undefined ? {} : { format: flags.format }),
      ...periods,
      ...(pluginsUrl === undefined ? {} : { plugins: pluginsUrl })
    }
    // Loaded here too, so a bad workload is one line before any thread starts.
    const workload = yield* Effect.either(
      Effect.tryPromise(() => load({ ...base, profile: baseline, seed: flags.seed }))
    )
    if (Either.isLeft(workload)) {
      const cause = workload.left.error
      return yield* invalid(cause instanceof Error ? cause.message : String(cause))
    }
    const w = workload.right
    if (flags.export === "workload") return yield* Effect.as(Console.log(WorkloadFile.write(w).trimEnd()), 0)
    if (flags.export === "scenario")
      return yield* Effect.as(Console.log(WorkloadFile.toScenario(w, profiles[0]!).trimEnd()), 0)
    const seeds = Array.from({ length: flags.repeat }, (_, i) => flags.seed + i)
    const jobs: Array<Job> = seeds.flatMap((seed) => profiles.map((profile) => ({ ...base, profile, seed })))
    const workers = Math.min(flags.workers ?? defaultSize(), jobs.length)
    const nodes = w.nodes.reduce((n, g) => n + g.count, 0)
    const pods = w.arrivals.reduce((n, a) => n + podsOf(a), 0)
    yield* Console.log(
      `bench ${w.name}: ${count(nodes)} nodes, ${count(pods)} pods; ${profiles.length} profiles × ${seeds.length} seed${seeds.length === 1 ? "" : "s"} ` +
        `(from ${flags.seed}) on ${workers} worker${workers === 1 ? "" : "s"}`
    )

    const terminal = process.stderr.isTTY === true
    const started = performance.now()
    const results = yield* Effect.either(
      Effect.tryPromise(() =>
        runAll(jobs, {
          workers,
          ...(terminal
            ? {
                onProgress: (done) => {
                  const finished = done.filter((d) => d >= 1).length
                  const share = done.reduce((sum, d) => sum + d, 0) / done.length
                  process.stderr.write(
                    `\r  ${finished}/${done.length} runs, ${Math.floor(share * 100)}%, ${((performance.now() - started) / 1000).toFixed(0)}s   `
                  )
                }
              }
            : {})
        })
      )
    )
    if (terminal) process.stderr.write("\r\x1b[K")
    if (Either.isLeft(results)) {
      const cause = results.left.error
      yield* Console.error(`bench: ${cause instanceof Error ? cause.message : String(cause)}`)
      return 1
    }
    const wall = (performance.now() - started) / 1000
    const input = { workload: w.name, baseline, results: results.right }
    yield* Console.log(Table.terminal(input))
    yield* Console.log(`${jobs.length} runs in ${wall.toFixed(1)}s wall`)
    if (flags.report !== undefined) {
      const dir = flags.report
      yield* Effect.promise(() => Report.writeReport(dir, input))
      yield* Console.log(`report: ${resolve(dir, "report.html")}`)
    }
    return 0
  })
