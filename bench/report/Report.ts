/**
 * `minik8s bench --report DIR`: summary.json (deterministic figures), timing.json (wall-clock
 * figures), table.md, table.csv and report.html, all from one aggregation of the runs.
 */
import { mkdir, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { aggregate, type ReportInput } from "./Aggregate.js"
import { html } from "./Html.js"
import { summaryJson, timingJson } from "./Summary.js"
import { csv, markdown } from "./Table.js"

/** Writes the report's five files into `dir`, creating it when missing. */
export const writeReport = async (dir: string, input: ReportInput): Promise<void> => {
  const rows = aggregate(input)
  const page = await html(input, rows)
  await mkdir(dir, { recursive: true })
  await Promise.all([
    writeFile(join(dir, "summary.json"), summaryJson(input, rows)),
    writeFile(join(dir, "timing.json"), timingJson(input, rows)),
    writeFile(join(dir, "table.md"), markdown(input, rows)),
    writeFile(join(dir, "table.csv"), csv(input, rows)),
    writeFile(join(dir, "report.html"), page)
  ])
}
