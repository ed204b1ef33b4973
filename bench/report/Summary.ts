/**
 * summary.json and timing.json. summary.json holds only simulated-time figures (every run's
 * RunMetrics and the deterministic aggregated rows), so the same workload, profiles and seeds give
 * the same bytes; what the wall clock measured goes to timing.json. Both are written canonically:
 * keys sorted, fractions to six significant digits, one line for anything short.
 */
import { aggregate, profilesOf, type ReportInput, type Row, runsOf } from "./Aggregate.js"

/** Fractions to six significant digits; integers as they are (counts must stay exact). */
const tidy = (x: number): number | null => {
  if (!Number.isFinite(x)) return null
  return Number.isInteger(x) ? x : Number(x.toPrecision(6))
}

/** A value with sorted keys, numbers tidied and undefined properties dropped (as JSON drops them). */
const canonical = (value: unknown): unknown => {
  if (typeof value === "number") return tidy(value)
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : canonical(v)))
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key]
      if (v !== undefined) out[key] = canonical(v)
    }
    return out
  }
  return value
}

/** Anything up to this long, and any array of plain values, is written on one line. */
const lineWidth = 100

const render = (value: unknown, indent: string): string => {
  const compact = JSON.stringify(value)
  if (value === null || typeof value !== "object") return compact
  const plain = Array.isArray(value) && value.every((v) => v === null || typeof v !== "object")
  if (plain || compact.length <= lineWidth) return compact
  const inner = `${indent}  `
  if (Array.isArray(value)) return `[\n${value.map((v) => inner + render(v, inner)).join(",\n")}\n${indent}]`
  const entries = Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${render(v, inner)}`)
  return `{\n${entries.join(",\n")}\n${indent}}`
}

/** JSON with sorted keys and tidied numbers, indented but with short values on one line. */
export const canonicalJson = (value: unknown): string => `${render(canonical(value), "")}\n`

/** Rows without the fields every row of its file shares. */
const rowJson = ({ deterministic: _, ...row }: Row) => ({ ...row, ratio: row.ratio ?? null })

/** The runs in report order: the baseline's first, each profile's by seed. */
const orderedRuns = (input: ReportInput) => profilesOf(input).flatMap((profile) => runsOf(input, profile))

/** summary.json: every run's metrics and the deterministic aggregated rows; nothing the wall clock measured. */
export const summaryJson = (input: ReportInput, rows: ReadonlyArray<Row> = aggregate(input)): string =>
  canonicalJson({
    workload: input.workload,
    baseline: input.baseline,
    profiles: profilesOf(input),
    rows: rows.filter((r) => r.deterministic).map(rowJson),
    runs: orderedRuns(input).map((r) => r.metrics)
  })

/** timing.json: every run's wall-clock figures and their aggregated rows. */
export const timingJson = (input: ReportInput, rows: ReadonlyArray<Row> = aggregate(input)): string =>
  canonicalJson({
    workload: input.workload,
    baseline: input.baseline,
    profiles: profilesOf(input),
    rows: rows.filter((r) => !r.deterministic).map(rowJson),
    runs: orderedRuns(input).map((r) => ({ profile: r.metrics.profile, seed: r.metrics.seed, ...r.timing }))
  })
