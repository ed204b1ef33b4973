/**
 * The bench's figures over repeats: for each profile and metric, the mean over the runs (seeds),
 * its 95% confidence half-width (Student's t on n − 1 degrees of freedom) and the ratio of the mean
 * to the baseline profile's. Rows come metric by metric (in `metrics` order), the baseline profile
 * first within each, so every table made from them reads the same way for the same input.
 */
import type { RunMetrics, RunResult, RunTiming } from "../metrics/Metrics.js"

/** What a report is made from: every run of one workload, and the profile the others are compared to. */
export interface ReportInput {
  readonly workload: string
  readonly baseline: string
  readonly results: ReadonlyArray<RunResult>
}

/** One figure taken from every run. */
export interface Metric {
  /** The name tables show, e.g. `wait bound p99`. */
  readonly name: string
  readonly unit: string
  readonly lowerIsBetter: boolean
  /** True for simulated-time figures (the same for the same seed); false for wall-clock ones. */
  readonly deterministic: boolean
  /** The run's value; undefined when the run does not have it (an extension point it never timed). */
  readonly value: (run: RunResult) => number | undefined
}

/** One profile × metric over its runs. */
export interface Row {
  readonly profile: string
  readonly metric: string
  readonly unit: string
  readonly lowerIsBetter: boolean
  readonly deterministic: boolean
  /** Runs that had the figure. */
  readonly n: number
  readonly mean: number
  /** Half-width of the 95% confidence interval of the mean; 0 for a single run. */
  readonly ci95: number
  /** mean ÷ the baseline's mean; 1 when both are 0, undefined when only the baseline's is 0 or it has no runs. */
  readonly ratio: number | undefined
}

/** Two-sided 95% quantiles of Student's t for 1–30 degrees of freedom. */
const tSmall = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042
]
/** Beyond 30: a few more, each used up to the next (so the interval errs wide), then the normal's 1.96. */
const tLarge: ReadonlyArray<readonly [number, number]> = [
  [40, 2.021],
  [60, 2.0],
  [120, 1.98]
]

/** The two-sided 95% quantile of Student's t with `dof` degrees of freedom (at least 1). */
export const t95 = (dof: number): number => {
  if (dof <= tSmall.length) return tSmall[Math.max(1, dof) - 1]!
  let t = tSmall[tSmall.length - 1]!
  for (const [d, value] of tLarge) if (dof >= d) t = value
  return dof >= 1000 ? 1.96 : t
}

/** Mean and 95% confidence half-width of a sample; all 0 for an empty one. */
export const meanCi = (
  values: ReadonlyArray<number>
): { readonly n: number; readonly mean: number; readonly ci95: number } => {
  const n = values.length
  if (n === 0) return { n, mean: 0, ci95: 0 }
  const mean = values.reduce((sum, v) => sum + v, 0) / n
  if (n === 1) return { n, mean, ci95: 0 }
  const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (n - 1)
  return { n, mean, ci95: (t95(n - 1) * Math.sqrt(variance)) / Math.sqrt(n) }
}

const m = (
  name: string,
  unit: string,
  lowerIsBetter: boolean,
  value: (run: RunMetrics) => number | undefined
): Metric => ({ name, unit, lowerIsBetter, deterministic: true, value: (run) => value(run.metrics) })

const wall = (
  name: string,
  unit: string,
  lowerIsBetter: boolean,
  value: (run: RunTiming) => number | undefined
): Metric => ({
  name,
  unit,
  lowerIsBetter,
  deterministic: false,
  value: (run) => value(run.timing)
})

/** cpu and memory first, then extended resources by name. */
const resourceOrder = (a: string, b: string) => {
  const rank = (r: string) => (r === "cpu" ? 0 : r === "memory" ? 1 : 2)
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0)
}

/**
 * The metrics the runs have, in table order: waits, unschedulable, allocation per resource,
 * packing, batch figures (only when some run had batch jobs), then the wall-clock ones.
 */
export const metricsOf = (results: ReadonlyArray<RunResult>): ReadonlyArray<Metric> => {
  const resources = [...new Set(results.flatMap((r) => Object.keys(r.metrics.allocation)))].sort(resourceOrder)
  const points = [...new Set(results.flatMap((r) => Object.keys(r.timing.extensionPoints)))].sort()
  const batch = results.some((r) => r.metrics.jobCompletion.count > 0)
  return [
    m("wait bound mean", "s", true, (r) => r.waitBound.mean),
    m("wait bound p50", "s", true, (r) => r.waitBound.p50),
    m("wait bound p90", "s", true, (r) => r.waitBound.p90),
    m("wait bound p99", "s", true, (r) => r.waitBound.p99),
    m("wait bound max", "s", true, (r) => r.waitBound.max),
    m("wait running mean", "s", true, (r) => r.waitRunning.mean),
    m("wait running p99", "s", true, (r) => r.waitRunning.p99),
    m("unschedulable pods", "pods", true, (r) => r.pods.unschedulable),
    m("unschedulable time", "pod·s", true, (r) => r.unschedulableSeconds),
    ...resources.flatMap((resource) => [
      m(`allocation ${resource} mean`, "fraction", false, (r) => r.allocation[resource]?.mean),
      m(`allocation ${resource} peak`, "fraction", false, (r) => r.allocation[resource]?.peak)
    ]),
    m("fragmentation mean", "fraction", true, (r) => r.fragmentation.mean),
    m("fragmentation peak", "fraction", true, (r) => r.fragmentation.peak),
    m("expected fragmentation mean", "fraction", true, (r) => r.expectedFragmentation.mean),
    m("balance (stddev) mean", "fraction", true, (r) => r.balance.mean),
    m("nodes in use mean", "nodes", true, (r) => r.nodesInUse.mean),
    m("nodes in use peak", "nodes", true, (r) => r.nodesInUse.peak),
    ...(batch
      ? [
          m("makespan", "s", true, (r) => r.makespan),
          m("job completion mean", "s", true, (r) => r.jobCompletion.mean),
          m("job completion p99", "s", true, (r) => r.jobCompletion.p99)
        ]
      : []),
    wall("throughput", "pods/s", false, (r) => r.throughput),
    wall("wall time", "s", true, (r) => r.wallSeconds),
    ...points.map((point) => wall(`scheduler ${point}`, "µs/cycle", true, (r) => r.extensionPoints[point]))
  ]
}

/** The profiles of the runs: the baseline first, then in order of first appearance. */
export const profilesOf = (input: ReportInput): ReadonlyArray<string> => {
  const seen = [...new Set(input.results.map((r) => r.metrics.profile))]
  return seen.includes(input.baseline) ? [input.baseline, ...seen.filter((p) => p !== input.baseline)] : seen
}

/** The runs of one profile, by seed. */
export const runsOf = (input: ReportInput, profile: string): ReadonlyArray<RunResult> =>
  input.results.filter((r) => r.metrics.profile === profile).sort((a, b) => a.metrics.seed - b.metrics.seed)

const ratioOf = (mean: number, base: { n: number; mean: number } | undefined): number | undefined => {
  if (base === undefined || base.n === 0) return undefined
  if (base.mean === 0) return mean === 0 ? 1 : undefined
  return mean / base.mean
}

/** Every profile × metric, metric by metric, the baseline first within each. */
export const aggregate = (input: ReportInput): ReadonlyArray<Row> => {
  const profiles = profilesOf(input).map((profile) => ({ profile, runs: runsOf(input, profile) }))
  return metricsOf(input.results).flatMap((metric) => {
    const figures = profiles.map(({ profile, runs }) => ({
      profile,
      ...meanCi(runs.map(metric.value).filter((v): v is number => v !== undefined))
    }))
    const base = figures.find((f) => f.profile === input.baseline)
    return figures.map((f): Row => ({
      profile: f.profile,
      metric: metric.name,
      unit: metric.unit,
      lowerIsBetter: metric.lowerIsBetter,
      deterministic: metric.deterministic,
      n: f.n,
      mean: f.mean,
      ci95: f.ci95,
      ratio: ratioOf(f.mean, base)
    }))
  })
}
