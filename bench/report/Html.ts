/**
 * report.html: one self-contained page (no script, no fetch, no web font) with the metrics table
 * (a profile per column), the runs, and plots drawn by vega-lite into inline SVG on the server:
 * CPU allocation and fragmentation over time per profile and a per-node CPU utilisation heat map per
 * profile (each from the profile's first seed), and the CDF of wait-for-bound over all seeds.
 */
import type { RunResult } from "../metrics/Metrics.js"
import { svg } from "../../sim/scenario/Report.js"
import { aggregate, profilesOf, type ReportInput, type Row, runsOf } from "./Aggregate.js"
import { formatFigure, legend, times } from "./Table.js"

type Spec = Record<string, unknown>

const width = 740
const height = 220
/** The heat map averages neighbouring samples down to this many columns, so the SVG stays small. */
const maxHeatColumns = 120

/** The x axis of the time plots: the longest run in the unit that reads best. */
interface TimeAxis {
  readonly title: string
  readonly seconds: number
  readonly end: number
}

const timeAxis = (runs: ReadonlyArray<RunResult>): TimeAxis => {
  const last = Math.max(1, ...runs.map((r) => r.metrics.series.at(-1)?.t ?? 0))
  const [unit, seconds] = last <= 300 ? ["seconds", 1] : last <= 3 * 3600 ? ["minutes", 60] : ["hours", 3600]
  return { title: `time (${unit})`, seconds, end: last / seconds }
}

const x = (axis: TimeAxis) => ({
  field: "time",
  type: "quantitative",
  title: axis.title,
  scale: { domain: [0, axis.end], nice: false }
})

const fraction = (title: string) => ({
  type: "quantitative",
  title,
  scale: { domain: [0, 1] },
  axis: { format: "%" }
})

const profileColor = (profiles: ReadonlyArray<string>) => ({
  field: "profile",
  type: "nominal",
  title: "profile",
  sort: profiles,
  scale: { domain: profiles, scheme: profiles.length <= 10 ? "tableau10" : "category20" }
})

/** A line per profile of one figure of the first seed's samples. */
const overTime = (
  firsts: ReadonlyArray<RunResult>,
  profiles: ReadonlyArray<string>,
  axis: TimeAxis,
  title: string,
  value: (sample: RunResult["metrics"]["series"][number]) => number
): Spec => ({
  width,
  height,
  data: {
    values: firsts.flatMap((r) =>
      r.metrics.series.map((s) => ({ time: s.t / axis.seconds, profile: r.metrics.profile, value: value(s) }))
    )
  },
  mark: { type: "line", strokeWidth: 1.5 },
  encoding: { x: x(axis), y: { field: "value", ...fraction(title) }, color: profileColor(profiles) }
})

/** Wait-for-bound CDF per profile, pooling each seed's percentiles (every run weighs the same). */
const waitCdf = (input: ReportInput, profiles: ReadonlyArray<string>): Spec => ({
  width,
  height,
  data: {
    values: profiles.flatMap((profile) => {
      const waits = runsOf(input, profile)
        .flatMap((r) => r.metrics.waitQuantiles)
        .sort((a, b) => a - b)
      return waits.map((wait, i) => ({ profile, wait, share: waits.length === 1 ? 1 : i / (waits.length - 1) }))
    })
  },
  mark: { type: "line", interpolate: "step-after", strokeWidth: 1.5 },
  encoding: {
    x: {
      field: "wait",
      type: "quantitative",
      title: "wait for bound (s, symlog scale)",
      scale: { type: "symlog" },
      axis: { tickCount: 8 }
    },
    y: { field: "share", ...fraction("pods bound within") },
    color: profileColor(profiles)
  }
})

/** Per-node CPU utilisation over time of one run: a row per node, a column per (averaged) sample. */
const heatMap = (run: RunResult, axis: TimeAxis): Spec => {
  const { nodes, t, cpu } = run.metrics.heatmap
  const step = t.length > 1 ? t[1]! - t[0]! : 1
  const per = Math.max(1, Math.ceil(t.length / maxHeatColumns))
  const values: Array<{ time: number; end: number; node: string; utilisation: number }> = []
  for (let from = 0; from < t.length; from += per) {
    const to = Math.min(t.length, from + per)
    const end = (to < t.length ? t[to]! : t[t.length - 1]! + step) / axis.seconds
    nodes.forEach((node, n) => {
      let sum = 0
      for (let i = from; i < to; i++) sum += cpu[i]?.[n] ?? 0
      values.push({ time: t[from]! / axis.seconds, end, node, utilisation: sum / (to - from) })
    })
  }
  return {
    width,
    height: Math.min(400, Math.max(120, nodes.length * 4)),
    data: { values },
    // No aria-label per cell: it would double the size of the SVG.
    mark: { type: "rect", aria: false },
    encoding: {
      // The last sample's column reaches a step past the last sample.
      x: x({ ...axis, end: Math.max(axis.end, (t.at(-1) ?? 0) / axis.seconds + step / axis.seconds) }),
      x2: { field: "end" },
      y: {
        field: "node",
        type: "ordinal",
        sort: nodes,
        title: `${nodes.length} nodes`,
        axis: nodes.length <= 30 ? {} : { labels: false, ticks: false }
      },
      color: {
        field: "utilisation",
        type: "quantitative",
        title: "CPU requested",
        scale: { domain: [0, 1], scheme: "viridis" },
        legend: { format: "%" }
      }
    }
  }
}

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** A table whose columns from the third on are figures, aligned right. */
const htmlTable = (head: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string =>
  `<table>\n<tr>${head.map((h, i) => `<th${i < 2 ? "" : ' class="num"'}>${escape(h)}</th>`).join("")}</tr>\n${rows
    .map((cells) => `<tr>${cells.join("")}</tr>`)
    .join("\n")}\n</table>`

/** A ratio is marked better or worse when it is more than 1% off the baseline. */
const ratioClass = (row: Row): string => {
  if (row.ratio === undefined || Math.abs(row.ratio - 1) <= 0.01) return "same"
  return row.ratio < 1 === row.lowerIsBetter ? "better" : "worse"
}

const metricsTable = (input: ReportInput, rows: ReadonlyArray<Row>, profiles: ReadonlyArray<string>): string => {
  const metrics = [...new Set(rows.map((r) => r.metric))]
  return htmlTable(
    ["metric", "unit", ...profiles.map((p) => (p === input.baseline ? `${p} (baseline)` : p))],
    metrics.map((metric) => {
      const of = rows.filter((r) => r.metric === metric)
      return [
        `<td>${escape(metric)}</td>`,
        `<td>${escape(of[0]!.unit)}</td>`,
        ...profiles.map((p) => {
          const row = of.find((r) => r.profile === p)
          if (row === undefined) return "<td></td>"
          const ratio =
            p === input.baseline ? "" : ` <span class="${ratioClass(row)}">${escape(times(row.ratio))}</span>`
          return `<td class="num">${escape(formatFigure(row))}${ratio}</td>`
        })
      ]
    })
  )
}

const runsTable = (input: ReportInput, profiles: ReadonlyArray<string>): string =>
  htmlTable(
    ["profile", "seed", "pods", "bound", "never bound", "simulated", "events", "wall"],
    profiles.flatMap((profile) =>
      runsOf(input, profile).map(({ metrics: m, timing }) =>
        [
          profile,
          String(m.seed),
          String(m.pods.created),
          String(m.pods.bound),
          String(m.pods.neverBound),
          `${m.simulatedSeconds.toFixed(0)} s`,
          String(m.events),
          `${timing.wallSeconds.toFixed(1)} s`
        ].map((c, i) => `<td${i < 2 ? "" : ' class="num"'}>${escape(c)}</td>`)
      )
    )
  )

const style = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 2rem auto; max-width: 1000px; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: 0.25rem; }
h2 { font-size: 1.1rem; margin: 1.75rem 0 0.5rem; }
h3 { font-size: 0.95rem; margin: 1rem 0 0.25rem; font-weight: 600; }
p.legend { color: #555; margin-top: 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.2rem 0.6rem; border-bottom: 1px solid #e3e3e3; vertical-align: top; }
th { background: #f5f5f5; font-weight: 600; }
td:first-child { white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
span.better { color: #2e7d32; }
span.worse { color: #c62828; }
span.same { color: #777; }
svg { display: block; max-width: 100%; height: auto; }
/* Adjacent cells without anti-aliased seams between them. */
.heat svg path { shape-rendering: crispEdges; }
`

/** The whole page; the plots are rendered here, so this takes a moment for big runs. */
export const html = async (input: ReportInput, rows: ReadonlyArray<Row> = aggregate(input)): Promise<string> => {
  const profiles = profilesOf(input)
  const firsts = profiles.map((p) => runsOf(input, p)[0]!)
  const axis = timeAxis(firsts)
  const [allocation, cdf, fragmentation, ...heat] = await Promise.all(
    [
      overTime(firsts, profiles, axis, "CPU allocated", (s) => s.allocation["cpu"] ?? 0),
      waitCdf(input, profiles),
      overTime(firsts, profiles, axis, "fragmentation", (s) => s.fragmentation),
      ...firsts.map((run) => heatMap(run, axis))
    ].map(svg)
  )
  const seeds = (profile: string) => runsOf(input, profile).map((r) => r.metrics.seed)
  const first = `first seed of each profile (${profiles.map((p) => `${p}: ${seeds(p)[0]}`).join(", ")})`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escape(`bench ${input.workload}`)}</title>
<style>${style}</style>
</head>
<body>
<h1>bench ${escape(input.workload)}</h1>
<p class="legend">${escape(legend(input, rows))}</p>
<h2 id="metrics">Metrics</h2>
${metricsTable(input, rows, profiles)}
<h2 id="allocation">CPU allocation over time</h2>
<p class="legend">${escape(`Requested ÷ allocatable CPU over the cluster; ${first}.`)}</p>
${allocation}
<h2 id="wait">Wait for bound</h2>
<p class="legend">Share of pods bound within a wait (creation → bound), over every seed.</p>
${cdf}
<h2 id="fragmentation">Fragmentation over time</h2>
<p class="legend">${escape(`Share of free capacity that no pending pod can use (FGD's measure over the pods waiting then; 0 while none waits); ${first}.`)}</p>
${fragmentation}
<h2 id="utilisation">Per-node CPU utilisation</h2>
<p class="legend">${escape(`Requested ÷ allocatable CPU per node; ${first}.`)}</p>
${profiles.map((p, i) => `<h3>${escape(p)}</h3>\n<div class="heat">${heat[i]}</div>`).join("\n")}
<h2 id="runs">Runs</h2>
${runsTable(input, profiles)}
</body>
</html>
`
}
