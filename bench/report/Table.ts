/**
 * The bench's tables: Markdown and CSV with one row per profile × metric (mean ± 95% CI, unit, ratio
 * to the baseline), and a compact terminal table for `minik8s bench` (a metric per row, a profile
 * per column) of the figures a reader looks at first.
 */
import { aggregate, profilesOf, type ReportInput, type Row } from "./Aggregate.js"

/** Decimals that show `x` to three significant digits (none from 100 up, at most six). */
const decimalsFor = (x: number): number =>
  x === 0 || !Number.isFinite(x) ? 0 : Math.min(6, Math.max(0, 2 - Math.floor(Math.log10(Math.abs(x)))))

/** `mean ± ci` to three significant digits of the mean (of the CI when the mean is 0), one run: the mean alone. */
export const formatFigure = (row: Pick<Row, "mean" | "ci95" | "n">): string => {
  const decimals = decimalsFor(row.mean === 0 ? row.ci95 : row.mean)
  const mean = row.mean.toFixed(decimals)
  return row.n <= 1 ? mean : `${mean} ± ${row.ci95.toFixed(decimals)}`
}

/** The ratio to the baseline, or `—` when there is none. */
export const formatRatio = (ratio: number | undefined): string =>
  ratio === undefined ? "—" : ratio < 1000 ? ratio.toFixed(3) : ratio.toExponential(2)

/** The ratio as a factor (`0.853×`), or `—`. */
export const times = (ratio: number | undefined): string => (ratio === undefined ? "—" : `${formatRatio(ratio)}×`)

/** One line saying how to read the tables. */
export const legend = (input: ReportInput, rows: ReadonlyArray<Row>): string => {
  // By the metric's first word: "allocation" stands for every resource's mean and peak.
  const higher = [...new Set(rows.filter((r) => !r.lowerIsBetter).map((r) => r.metric.split(" ")[0]!))]
  const runs = Math.max(0, ...rows.map((r) => r.n))
  return (
    `Workload ${input.workload}, baseline ${input.baseline}; mean ± 95% CI (Student's t) over up to ${runs} ` +
    `run${runs === 1 ? "" : "s"} per profile. Lower is better except ${higher.join(", ")}.`
  )
}

const markdownCell = (text: string) => text.replace(/\|/g, "\\|")

/** A Markdown table: profile | metric | mean ± CI | unit | ratio to baseline, after a one-line legend. */
export const markdown = (input: ReportInput, rows: ReadonlyArray<Row> = aggregate(input)): string => {
  const lines = rows.map(
    (r) => `| ${[r.profile, r.metric, formatFigure(r), r.unit, formatRatio(r.ratio)].map(markdownCell).join(" | ")} |`
  )
  return [
    legend(input, rows),
    "",
    "| profile | metric | mean ± CI | unit | ratio to baseline |",
    "| --- | --- | ---: | --- | ---: |",
    ...lines,
    ""
  ].join("\n")
}

/** An RFC 4180 field: quoted when it holds a comma, a quote or a line break, quotes doubled. */
export const csvField = (text: string): string => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text)

/**
 * CSV (RFC 4180, CRLF line ends) with the Markdown table's columns, mean and CI apart and numbers
 * unrounded: profile, metric, mean, ci95, n, unit, ratio (empty when none), lower_is_better.
 */
export const csv = (input: ReportInput, rows: ReadonlyArray<Row> = aggregate(input)): string =>
  [
    ["profile", "metric", "mean", "ci95", "n", "unit", "ratio", "lower_is_better"],
    ...rows.map((r) => [
      r.profile,
      r.metric,
      String(r.mean),
      String(r.ci95),
      String(r.n),
      r.unit,
      r.ratio === undefined ? "" : String(r.ratio),
      String(r.lowerIsBetter)
    ])
  ]
    .map((fields) => fields.map(csvField).join(","))
    .join("\r\n") + "\r\n"

/** What the terminal shows: waits, unschedulable, packing, batch figures when present, throughput. */
const terminalMetrics = (metric: string): boolean =>
  [
    "wait bound mean",
    "wait bound p99",
    "wait running p99",
    "unschedulable pods",
    "unschedulable time",
    "fragmentation mean",
    "balance (stddev) mean",
    "nodes in use mean",
    "nodes in use peak",
    "makespan",
    "job completion mean",
    "throughput"
  ].includes(metric) || /^allocation .* mean$/.test(metric)

/** A compact table for the terminal: a metric per row, a profile per column, ratios beside the others. */
export const terminal = (input: ReportInput, rows: ReadonlyArray<Row> = aggregate(input)): string => {
  const profiles = profilesOf(input)
  const metrics = [...new Set(rows.map((r) => r.metric))].filter(terminalMetrics)
  const cell = (r: Row | undefined) =>
    r === undefined ? "" : r.profile === input.baseline ? formatFigure(r) : `${formatFigure(r)} (${times(r.ratio)})`
  const table = [
    ["metric", ...profiles.map((p) => (p === input.baseline ? `${p} (baseline)` : p))],
    ...metrics.map((metric) => {
      const of = rows.filter((r) => r.metric === metric)
      return [`${metric} (${of[0]!.unit})`, ...profiles.map((p) => cell(of.find((r) => r.profile === p)))]
    })
  ]
  const widths = table[0]!.map((_, i) => Math.max(...table.map((line) => line[i]!.length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join("  ")
      .trimEnd()
  return [line(table[0]!), widths.map((w) => "─".repeat(w)).join("  "), ...table.slice(1).map(line)].join("\n")
}
