/**
 * `--report DIR`: summary.json (the summary with its series) and report.html, one self-contained page
 * (no script, no fetch) with the outcome, the failures, the steps and three plots drawn by vega-lite
 * into inline SVG: pods per node, pending pods and node readiness over time.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import type { PlatformError } from "@effect/platform/Error"
import * as Effect from "effect/Effect"
import { join } from "node:path"
import * as vega from "vega"
import * as vl from "vega-lite"
import { closingLine, toJson, type Sample, type StepResult, type Summary } from "./Summary.js"
import { formatTime } from "./Time.js"

/** Writes summary.json and report.html into `dir`, creating it when missing. */
export const write = (dir: string, summary: Summary): Effect.Effect<void, PlatformError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const page = yield* Effect.promise(() => html(summary))
    yield* fs.makeDirectory(dir, { recursive: true })
    yield* fs.writeFileString(join(dir, "summary.json"), summaryJson(summary))
    yield* fs.writeFileString(join(dir, "report.html"), page)
  })

/** Pretty JSON, but one line per sample: a 1,000-node series stays a readable file. */
const summaryJson = (summary: Summary): string => {
  const samples = summary.series.map((sample) => `    ${JSON.stringify(sample)}`).join(",\n")
  const series = summary.series.length === 0 ? "[]" : `[\n${samples}\n  ]`
  return `${toJson(summary).slice(0, -2)},\n  "series": ${series}\n}\n`
}

/** Above this many nodes, pods per node is drawn as a distribution instead of a band per node. */
const maxNodeBands = 20

/** The plot area's width: with a legend beside it the picture still fits the page, so x axes line up. */
const width = 740
const height = 200

const html = async (summary: Summary): Promise<string> => {
  const axis = timeAxis(summary)
  const plots = await Promise.all(
    [podsPerNode(summary.series, axis), pending(summary.series, axis), readiness(summary.series, axis)].map((spec) =>
      svg(withStepMarks(spec, summary.steps, axis))
    )
  )
  const outcome = summary.passed ? "PASS" : "FAIL"
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escape(`scenario ${summary.scenario}: ${outcome}`)}</title>
<style>${style}</style>
</head>
<body>
<h1>scenario ${escape(summary.scenario)} <span class="${outcome.toLowerCase()}">${outcome}</span></h1>
<p class="closing">${escape(closingLine(summary))}</p>
${failures(summary)}
${violations(summary)}
<h2>Steps</h2>
${table(
  ["time", "step", "result"],
  summary.steps.map((step) => ({
    cells: [formatTime(step.time * 1_000), `#${step.index} ${step.action}`, step.result],
    className: step.result
  }))
)}
<h2>Pods per node</h2>
${plots[0]}
<h2>Pending pods</h2>
${plots[1]}
<h2>Node readiness</h2>
${plots[2]}
</body>
</html>
`
}

const style = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 2rem auto; max-width: 960px; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: 0.25rem; }
h2 { font-size: 1.1rem; margin: 1.75rem 0 0.5rem; }
.closing { font-family: ui-monospace, monospace; font-size: 12px; color: #555; overflow-wrap: anywhere; margin-top: 0; }
span.pass, span.fail { color: #fff; border-radius: 4px; padding: 0.05em 0.45em; font-size: 0.8em; vertical-align: middle; }
span.pass { background: #2e7d32; }
span.fail { background: #c62828; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.25rem 0.6rem; border-bottom: 1px solid #e3e3e3; vertical-align: top; }
th { background: #f5f5f5; font-weight: 600; }
td:first-child { white-space: nowrap; font-variant-numeric: tabular-nums; }
tr.failed td { background: #fdecea; }
tr.failed td:last-child { color: #c62828; font-weight: 600; }
tr.passed td:last-child { color: #2e7d32; }
p.none { color: #666; }
svg { display: block; max-width: 100%; height: auto; }
`

const failures = (summary: Summary): string =>
  `<h2>Failures</h2>\n${table(
    ["time", "step", "check", "message"],
    summary.failures.map((f) => ({ cells: [f.time, `#${f.step}`, f.check, f.message], className: "failed" }))
  )}`

const violations = (summary: Summary): string =>
  `<h2>Invariant violations</h2>\n${table(
    ["time", "invariant", "message"],
    summary.invariantViolations.map((v) => ({ cells: [v.time, v.invariant, v.message], className: "failed" }))
  )}`

const table = (
  head: ReadonlyArray<string>,
  rows: ReadonlyArray<{ cells: ReadonlyArray<string>; className: string }>
) =>
  rows.length === 0
    ? `<p class="none">None.</p>`
    : `<table>\n<tr>${head.map((h) => `<th>${escape(h)}</th>`).join("")}</tr>\n${rows
        .map((row) => `<tr class="${row.className}">${row.cells.map((c) => `<td>${escape(c)}</td>`).join("")}</tr>`)
        .join("\n")}\n</table>`

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** The x axis of every plot: the run's length in the unit that reads best. */
interface TimeAxis {
  readonly title: string
  readonly seconds: number
  readonly end: number
}

const timeAxis = (summary: Summary): TimeAxis => {
  const last = summary.steps.reduce(
    (end, step) => Math.max(end, step.time),
    Math.max(summary.simulatedSeconds, summary.series.at(-1)?.t ?? 0)
  )
  const [title, seconds] = last <= 300 ? ["seconds", 1] : last <= 3 * 3600 ? ["minutes", 60] : ["hours", 3600]
  return { title: `time (${title})`, seconds, end: last / seconds }
}

type Spec = Record<string, unknown>

const x = (axis: TimeAxis) => ({
  field: "time",
  type: "quantitative",
  title: axis.title,
  scale: { domain: [0, axis.end], nice: false },
  axis: { tickCount: 12 }
})

// Counts: whole ticks; an all-zero series gets the axis 0–1, so it reads 0 rather than 0.000000.
const count = (title: string, allZero = false) => ({
  type: "quantitative",
  title,
  axis: { tickMinStep: 1, format: "d" },
  ...(allZero ? { scale: { domain: [0, 1] } } : {})
})

const nodeOrder = new Intl.Collator("en", { numeric: true }).compare

/** A stacked band per node for a few nodes; for many, the median, quartiles and range across nodes. */
const podsPerNode = (series: ReadonlyArray<Sample>, axis: TimeAxis): Spec => {
  const nodes = [...new Set(series.flatMap((s) => Object.keys(s.podsPerNode)))].sort(nodeOrder)
  if (nodes.length <= maxNodeBands) {
    return {
      data: {
        values: series.flatMap((s) =>
          nodes.map((node, order) => ({ time: s.t / axis.seconds, node, order, pods: s.podsPerNode[node] ?? 0 }))
        )
      },
      mark: { type: "area", interpolate: "step-after", line: { strokeWidth: 1 }, opacity: 0.85 },
      encoding: {
        x: x(axis),
        y: { field: "pods", ...count("pods"), stack: "zero" },
        color: {
          field: "node",
          type: "nominal",
          sort: nodes,
          title: "node",
          scale: { scheme: nodes.length <= 10 ? "tableau10" : "category20" }
        },
        order: { field: "order" }
      }
    }
  }
  const values = series.map((s) => {
    const pods = Object.values(s.podsPerNode).sort((a, b) => a - b)
    return {
      time: s.t / axis.seconds,
      min: pods[0] ?? 0,
      q1: quantile(pods, 0.25),
      median: quantile(pods, 0.5),
      q3: quantile(pods, 0.75),
      max: pods[pods.length - 1] ?? 0
    }
  })
  const band = (low: string, high: string, opacity: number) => ({
    mark: { type: "area", interpolate: "step-after", color: "#4c78a8", opacity },
    encoding: { x: x(axis), y: { field: low, ...count("pods per node") }, y2: { field: high } }
  })
  return {
    title: {
      text: `${nodes.length} nodes: median, quartiles and range of pods per node`,
      fontSize: 12,
      fontWeight: "normal"
    },
    data: { values },
    layer: [
      band("min", "max", 0.2),
      band("q1", "q3", 0.4),
      {
        mark: { type: "line", interpolate: "step-after", color: "#1f3f66", strokeWidth: 2 },
        encoding: { x: x(axis), y: { field: "median", type: "quantitative" } }
      }
    ]
  }
}

/** Linear interpolation between closest ranks of sorted values. */
const quantile = (sorted: ReadonlyArray<number>, q: number): number => {
  if (sorted.length === 0) return 0
  const at = (sorted.length - 1) * q
  const low = Math.floor(at)
  const high = Math.min(low + 1, sorted.length - 1)
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low)
}

const pending = (series: ReadonlyArray<Sample>, axis: TimeAxis): Spec => ({
  data: { values: series.map((s) => ({ time: s.t / axis.seconds, pending: s.pending })) },
  mark: { type: "area", interpolate: "step-after", color: "#f58518", opacity: 0.5, line: { color: "#f58518" } },
  encoding: {
    x: x(axis),
    y: {
      field: "pending",
      ...count(
        "pending pods",
        series.every((s) => s.pending === 0)
      )
    }
  }
})

const readiness = (series: ReadonlyArray<Sample>, axis: TimeAxis): Spec => ({
  data: {
    values: series.flatMap((s) => [
      { time: s.t / axis.seconds, state: "Ready", nodes: s.readyNodes, order: 0 },
      { time: s.t / axis.seconds, state: "NotReady", nodes: s.notReadyNodes, order: 1 }
    ])
  },
  mark: { type: "area", interpolate: "step-after" },
  encoding: {
    x: x(axis),
    y: { field: "nodes", ...count("nodes"), stack: "zero" },
    color: {
      field: "state",
      type: "nominal",
      title: "node",
      scale: { domain: ["Ready", "NotReady"], range: ["#54a24b", "#e45756"] }
    },
    order: { field: "order" }
  }
})

/** A dashed rule at every action step (faults, applies …), labelled with its number. */
const withStepMarks = (spec: Spec, steps: ReadonlyArray<StepResult>, axis: TimeAxis): Spec => {
  const { title, ...plot } = spec
  const values = steps
    .filter((step) => step.result === "done")
    .map((step) => ({ time: step.time / axis.seconds, label: `#${step.index}` }))
  return {
    ...(title === undefined ? {} : { title }),
    width,
    height,
    layer: [
      plot,
      {
        data: { values },
        mark: { type: "rule", color: "#333", strokeDash: [4, 3], opacity: 0.6 },
        encoding: { x: { field: "time", type: "quantitative" } }
      },
      {
        data: { values },
        mark: { type: "text", align: "center", baseline: "bottom", dy: -3, fontSize: 10, color: "#444" },
        encoding: { x: { field: "time", type: "quantitative" }, y: { value: 0 }, text: { field: "label" } }
      }
    ]
  }
}

/** Renders a vega-lite spec to an SVG string on the server (vega's headless view: no DOM, no script). */
export const svg = (spec: Spec): Promise<string> => {
  const compiled = vl.compile({
    config: { font: "system-ui, sans-serif", axisY: { minExtent: 50 } },
    ...spec
  } as vl.TopLevelSpec).spec
  return new vega.View(vega.parse(compiled), { renderer: "none" }).toSVG()
}
