import { describe, expect, it } from "@effect/vitest"
import { aggregate } from "./Aggregate.js"
import { runResult, threeProfiles } from "./RunFixtures.js"
import { csv, csvField, formatFigure, formatRatio, markdown, terminal, times } from "./Table.js"

const input = { workload: "fixture", baseline: "least-allocated", results: threeProfiles() }

/** RFC 4180 parsing, enough to read back what `csv` wrote. */
const parseCsv = (text: string): Array<Array<string>> => {
  const rows: Array<Array<string>> = []
  let row: Array<string> = []
  let field = ""
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"'
      i++
    } else if (c === '"') {
      quoted = !quoted
    } else if (!quoted && c === ",") {
      row.push(field)
      field = ""
    } else if (!quoted && c === "\r" && text[i + 1] === "\n") {
      row.push(field)
      rows.push(row)
      row = []
      field = ""
      i++
    } else {
      field += c
    }
  }
  return rows
}

/** A run of the named profile. */
const named = (profile: string) => {
  const run = runResult("random", 1)
  return { ...run, metrics: { ...run.metrics, profile } }
}

describe("formatting", () => {
  it("shows three significant digits of the mean, the CI to the same decimals", () => {
    expect(formatFigure({ mean: 0.73456, ci95: 0.01234, n: 3 })).toBe("0.735 ± 0.012")
    expect(formatFigure({ mean: 1234.5, ci95: 56.7, n: 3 })).toBe("1235 ± 57")
    expect(formatFigure({ mean: 12.345, ci95: 0, n: 2 })).toBe("12.3 ± 0.0")
    expect(formatFigure({ mean: 0, ci95: 0, n: 2 })).toBe("0 ± 0")
    expect(formatFigure({ mean: 4.5, ci95: 0, n: 1 })).toBe("4.50")
    expect(formatRatio(0.85321)).toBe("0.853")
    expect(formatRatio(undefined)).toBe("—")
    expect(times(2)).toBe("2.000×")
    expect(times(undefined)).toBe("—")
  })
})

describe("csv", () => {
  it("quotes fields with commas, quotes and line breaks (RFC 4180)", () => {
    expect(csvField("plain")).toBe("plain")
    expect(csvField("a,b")).toBe('"a,b"')
    expect(csvField('say "hi"')).toBe('"say ""hi"""')
    expect(csvField("two\nlines")).toBe('"two\nlines"')
    expect(csvField("cr\rhere")).toBe('"cr\rhere"')
  })

  it("has a row per profile × metric with unrounded numbers and CRLF line ends", () => {
    const text = csv(input)
    expect(text.endsWith("\r\n")).toBe(true)
    expect(text.replace(/\r\n/g, "")).not.toMatch(/\n/)
    const [head, ...rows] = parseCsv(text)
    expect(head).toEqual(["profile", "metric", "mean", "ci95", "n", "unit", "ratio", "lower_is_better"])
    const aggregated = aggregate(input)
    expect(rows).toHaveLength(aggregated.length)
    aggregated.forEach((r, i) => {
      expect(rows[i]).toEqual([
        r.profile,
        r.metric,
        String(r.mean),
        String(r.ci95),
        String(r.n),
        r.unit,
        r.ratio === undefined ? "" : String(r.ratio),
        String(r.lowerIsBetter)
      ])
      expect(Number(rows[i]![2])).toBe(r.mean)
    })
  })

  it("reads back a profile name that needs quoting", () => {
    const odd = 'my "best", profile\nreally'
    const rows = parseCsv(
      csv({ workload: "w", baseline: "least-allocated", results: [runResult("least-allocated", 1), named(odd)] })
    )
    expect(rows.every((r) => r.length === 8)).toBe(true)
    expect(rows.filter((r) => r[0] === odd)).toHaveLength((rows.length - 1) / 2)
  })
})

describe("markdown", () => {
  it("has the legend, the header and a row per profile × metric", () => {
    const lines = markdown(input).trimEnd().split("\n")
    expect(lines[0]).toMatch(/^Workload fixture, baseline least-allocated; mean ± 95% CI/)
    expect(lines[0]).toMatch(/Lower is better except allocation, throughput\.$/)
    expect(lines[2]).toBe("| profile | metric | mean ± CI | unit | ratio to baseline |")
    expect(lines.slice(4)).toHaveLength(aggregate(input).length)
    expect(lines[4]).toBe("| least-allocated | wait bound mean | 5.06 ± 0.62 | s | 1.000 |")
  })

  it("escapes pipes in cells", () => {
    expect(markdown({ workload: "w", baseline: "a|b", results: [named("a|b")] })).toContain(
      "| a\\|b | wait bound mean |"
    )
  })
})

describe("terminal", () => {
  it("puts a metric per row and a profile per column, ratios beside the others", () => {
    const lines = terminal(input).split("\n")
    expect(lines[0]).toMatch(/^metric\s+least-allocated \(baseline\)\s+most-allocated\s+random$/)
    const wait = lines.find((l) => l.startsWith("wait bound mean (s)"))!
    expect(wait).toMatch(/5\.06 ± 0\.62\s+2\.53 ± 0\.31 \(0\.501×\)\s+3\.80 ± 0\.47 \(0\.750×\)$/)
    expect(lines.some((l) => l.startsWith("allocation nvidia.com/gpu mean"))).toBe(true)
    expect(lines.some((l) => l.startsWith("scheduler "))).toBe(false)
    expect(lines.some((l) => l.startsWith("makespan"))).toBe(false)
    expect(lines.length - 2).toBeLessThanOrEqual(14)
    const batch = terminal({ ...input, results: threeProfiles({ batch: true }) })
    expect(batch).toMatch(/^makespan \(s\)/m)
  })
})
