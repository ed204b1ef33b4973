/**
 * The micro-benchmark harness: runs `benchmark` suites whose first case is the baseline, and latency
 * series, and reports every figure as a ratio against the baseline measured in the same run.
 */
import Benchmark from "benchmark"
import { performance } from "node:perf_hooks"

export interface BenchCase {
  readonly name: string
  /** Synchronous case, or an async one (then it is run deferred). */
  readonly fn: (() => void) | (() => Promise<void>)
  readonly async?: boolean
}

/** A suite: the first case is the baseline every other case is compared with. */
export interface BenchSuite {
  readonly name: string
  readonly cases: ReadonlyArray<BenchCase>
  readonly setup?: () => Promise<void>
  readonly teardown?: () => Promise<void>
}

export interface Row {
  readonly suite: string
  readonly name: string
  readonly value: number
  readonly unit: string
  /** value ÷ baseline value (for ops/s: > 1 is faster than the baseline). */
  readonly ratio: number
  readonly note?: string
}

/** Writes a progress line to stderr when it is a terminal (an empty line clears it); silent when piped. */
export const progress = (line: string) => {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line}`)
}

/** How long to sample each case (seconds); `minSamples`/`minTime` lowered only make smoke runs shorter. */
export interface RunOptions {
  readonly maxTime?: number
  readonly minSamples?: number
  readonly minTime?: number
}

/** Calls the case for `seconds` untimed, so the first case is not measured before the JIT has compiled it. */
const warmUp = async (c: BenchCase, seconds: number): Promise<void> => {
  const end = performance.now() + seconds * 1000
  while (performance.now() < end) await c.fn()
}

/** Runs one suite; answers a row per case in ops/s, with its ratio to the baseline. */
export const runSuite = async (suite: BenchSuite, options: RunOptions = {}): Promise<Row[]> => {
  const timing = {
    maxTime: options.maxTime ?? 2,
    ...(options.minSamples === undefined ? {} : { minSamples: options.minSamples }),
    ...(options.minTime === undefined ? {} : { minTime: options.minTime })
  }
  await suite.setup?.()
  try {
    const rows: Row[] = []
    let baseline = 0
    for (const c of suite.cases) {
      progress(`${suite.name}: ${c.name} …`)
      await warmUp(c, timing.maxTime / 4)
      const hz = await new Promise<number>((resolve, reject) => {
        const bench = c.async
          ? new Benchmark(c.name, {
              ...timing,
              defer: true,
              fn: (deferred: { resolve: () => void }) => {
                ;(c.fn as () => Promise<void>)().then(
                  () => deferred.resolve(),
                  (e) => reject(e)
                )
              }
            })
          : new Benchmark(c.name, c.fn as () => void, timing)
        bench.on("complete", () => (bench.error ? reject(bench.error) : resolve(bench.hz)))
        bench.run({ async: true })
      })
      if (rows.length === 0) baseline = hz
      rows.push({ suite: suite.name, name: c.name, value: hz, unit: "ops/s", ratio: hz / baseline })
    }
    progress("")
    return rows
  } finally {
    await suite.teardown?.()
  }
}

export interface Latency {
  readonly count: number
  readonly opsPerSec: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly max: number
}

/** Runs `fn` `count` times one after another and answers latency percentiles in milliseconds. */
export const measureLatency = async (count: number, fn: (i: number) => Promise<void>): Promise<Latency> => {
  const samples: number[] = []
  const start = performance.now()
  for (let i = 0; i < count; i++) {
    const t0 = performance.now()
    await fn(i)
    samples.push(performance.now() - t0)
  }
  const total = performance.now() - start
  samples.sort((a, b) => a - b)
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!
  return {
    count,
    opsPerSec: (count / total) * 1000,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: samples[samples.length - 1]!
  }
}

/**
 * Latency series as rows: p50, p90, p99 and max in ms, and the sequential rate in ops/s, each compared
 * with the first series' same figure (so for ms, a ratio > 1 is slower than the baseline).
 */
export const latencyRows = (
  suite: string,
  series: ReadonlyArray<{ readonly name: string; readonly latency: Latency }>
): Row[] => {
  const baseline = series[0]!.latency
  return series.flatMap(({ name, latency }) => [
    ...(["p50", "p90", "p99", "max"] as const).map((stat): Row => ({
      suite,
      name: `${name} ${stat}`,
      value: latency[stat],
      unit: "ms",
      ratio: latency[stat] / baseline[stat]
    })),
    {
      suite,
      name: `${name} sequential`,
      value: latency.opsPerSec,
      unit: "ops/s",
      ratio: latency.opsPerSec / baseline.opsPerSec
    }
  ])
}

const number = (n: number) =>
  n >= 100 ? Math.round(n).toLocaleString("en-US") : n >= 1 ? n.toFixed(2) : n.toPrecision(3)

/** The rows as a Markdown table. */
export const formatRows = (rows: ReadonlyArray<Row>): string => {
  const lines = ["| suite | case | value | unit | ratio to baseline |", "|---|---|---:|---|---:|"]
  for (const r of rows) {
    lines.push(
      `| ${r.suite} | ${r.name}${r.note ? ` (${r.note})` : ""} | ${number(r.value)} | ${r.unit} | ${r.ratio === 1 ? "baseline" : r.ratio.toFixed(3) + "x"} |`
    )
  }
  return lines.join("\n")
}
