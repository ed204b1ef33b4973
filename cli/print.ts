/**
 * How `minik8s get` prints: a server-side `Table` laid out as kubectl does (upper-case headers, columns
 * padded by three spaces, wide columns only with `-o wide`), or objects as JSON / YAML / names.
 */
import * as YAML from "yaml"

export interface TableColumn {
  readonly name: string
  readonly priority?: number
}
export interface TableRow {
  readonly cells: ReadonlyArray<unknown>
  readonly object?: { readonly metadata?: { readonly namespace?: string } }
}
export interface Table {
  readonly columnDefinitions: ReadonlyArray<TableColumn>
  readonly rows: ReadonlyArray<TableRow>
}

export type OutputFormat = "table" | "wide" | "json" | "yaml" | "name"

/** The rows of a Table as aligned text lines, with the header first when `header` is set. */
export const tableLines = (table: Table, options: { wide: boolean; header: boolean; namespace?: string }): string[] => {
  const shown = table.columnDefinitions
    .map((column, index) => ({ column, index }))
    .filter(({ column }) => options.wide || (column.priority ?? 0) === 0)
  const grid: string[][] = []
  if (options.header) {
    grid.push([
      ...(options.namespace === undefined ? [] : ["NAMESPACE"]),
      ...shown.map(({ column }) => column.name.toUpperCase())
    ])
  }
  for (const row of table.rows) {
    grid.push([
      ...(options.namespace === undefined ? [] : [options.namespace]),
      ...shown.map(({ index }) => cellText(row.cells[index]))
    ])
  }
  return alignColumns(grid)
}

/** Pads every column but the last to its widest cell plus three spaces. */
export const alignColumns = (grid: ReadonlyArray<ReadonlyArray<string>>): string[] => {
  const widths: number[] = []
  for (const row of grid) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)))
  return grid.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]! + 3)))
      .join("")
      .trimEnd()
  )
}

const cellText = (cell: unknown): string =>
  cell === null || cell === undefined ? "<none>" : typeof cell === "string" ? cell : JSON.stringify(cell)

export const formatObject = (object: unknown, format: "json" | "yaml"): string =>
  format === "json" ? JSON.stringify(object, null, 4) : YAML.stringify(object, { lineWidth: 0 }).trimEnd()
