/**
 * Reading trace files row by row with positions: CSV (with or without a header row) and JSON lines.
 * Importers read each cell or value by its column's name through a checked accessor; the first bad
 * one is thrown as an ImportError naming `file:line:column` and the column, and `reading` turns it
 * into the Either the importer returns.
 *
 * Numbers must be plain decimals and never negative (every quantity in these traces is a size, a
 * count or a time); an empty CSV cell or a JSON `null`/absent value reads as `undefined` from the
 * `optional…` accessors, which the importers count as incomplete rows rather than errors.
 */
import * as Either from "effect/Either"
import { ImportError } from "./ImportError.js"

/** Runs an import: an ImportError thrown inside is its answer; anything else is a bug and stays a throw. */
export const reading = <A>(read: () => A): Either.Either<A, ImportError> => {
  try {
    return Either.right(read())
  } catch (error) {
    if (error instanceof ImportError) return Either.left(error)
    throw error
  }
}

/** The non-blank lines of a file with their 1-based numbers. */
const lines = (text: string): Array<{ readonly line: number; readonly text: string }> =>
  text.split(/\r?\n/).flatMap((t, i) => (t.trim() === "" ? [] : [{ line: i + 1, text: t }]))

const decimal = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

/** A cell's text as a non-negative number; `fail` reports it where it is written. */
const toNumber = (text: string, fail: (message: string) => never): number => {
  if (!decimal.test(text)) return fail(`not a number: ${JSON.stringify(text)}`)
  const n = Number(text)
  if (n < 0) return fail(`must not be negative: ${text}`)
  return n
}

const toInteger = (n: number, fail: (message: string) => never): number =>
  Number.isInteger(n) ? n : fail(`not a whole number: ${n}`)

/** One CSV row; its cells are read by column name. */
export class CsvRow {
  constructor(
    readonly file: string,
    readonly line: number,
    private readonly cells: ReadonlyArray<string>,
    /** The 1-based column each cell starts at. */
    private readonly starts: ReadonlyArray<number>,
    private readonly index: ReadonlyMap<string, number>
  ) {}

  /** Fails naming this row, the column's position and its name. */
  fail(name: string, message: string): never {
    throw new ImportError({
      file: this.file,
      line: this.line,
      column: this.starts[this.index.get(name)!]!,
      field: name,
      message
    })
  }

  /** The cell as written; undefined when empty. */
  optionalText(name: string): string | undefined {
    const cell = this.cells[this.index.get(name)!]!
    return cell === "" ? undefined : cell
  }

  text(name: string): string {
    return this.optionalText(name) ?? this.fail(name, "must not be empty")
  }

  optionalNumber(name: string): number | undefined {
    const cell = this.optionalText(name)
    return cell === undefined ? undefined : toNumber(cell, (m) => this.fail(name, m))
  }

  number(name: string): number {
    return this.optionalNumber(name) ?? this.fail(name, "must not be empty")
  }

  optionalInteger(name: string): number | undefined {
    const n = this.optionalNumber(name)
    return n === undefined ? undefined : toInteger(n, (m) => this.fail(name, m))
  }

  integer(name: string): number {
    return this.optionalInteger(name) ?? this.fail(name, "must not be empty")
  }

  oneOf<const A extends string>(name: string, values: ReadonlyArray<A>): A {
    const cell = this.text(name)
    return (values as ReadonlyArray<string>).includes(cell)
      ? (cell as A)
      : this.fail(name, `unknown value ${JSON.stringify(cell)} (expected one of ${values.join(", ")})`)
  }
}

const row = (file: string, line: number, text: string, names: ReadonlyArray<string>, index: Map<string, number>) => {
  const cells = text.split(",")
  const starts: Array<number> = []
  let at = 1
  for (const cell of cells) {
    starts.push(at)
    at += cell.length + 1
  }
  if (cells.length !== names.length) {
    const missing = cells.length < names.length
    throw new ImportError({
      file,
      line,
      column: missing ? text.length + 1 : starts[names.length]!,
      field: missing ? names[cells.length]! : "",
      message: `expected ${names.length} columns, found ${cells.length}`
    })
  }
  return new CsvRow(file, line, cells, starts, index)
}

/** The rows of a CSV file without a header, whose columns are `names` in that order. */
export const csvRows = (text: string, file: string, names: ReadonlyArray<string>): Array<CsvRow> => {
  const index = new Map(names.map((n, i) => [n, i]))
  return lines(text).map((l) => row(file, l.line, l.text, names, index))
}

/** The rows of a CSV file whose first line names its columns; each of `required` must be there (in any order). */
export const csvRowsWithHeader = (text: string, file: string, required: ReadonlyArray<string>): Array<CsvRow> => {
  const [header, ...rest] = lines(text)
  if (header === undefined) return []
  const names = header.text.split(",")
  const index = new Map(names.map((n, i) => [n, i]))
  for (const name of required)
    if (!index.has(name))
      throw new ImportError({
        file,
        line: header.line,
        column: header.text.length + 1,
        field: name,
        message: `missing from the header (${header.text})`
      })
  return rest.map((l) => row(file, l.line, l.text, names, index))
}

/** One JSON line (an object); its values are read by field path (`resource_request.cpus`). */
export class JsonRow {
  constructor(
    readonly file: string,
    readonly line: number,
    private readonly text: string,
    private readonly value: Readonly<Record<string, unknown>>
  ) {}

  /** The 1-based column where the value at `path` starts (the line start when it is absent). */
  private column(path: ReadonlyArray<string>): number {
    let at = 0
    for (const key of path) {
      const found = this.text.indexOf(JSON.stringify(key), at)
      if (found < 0) return 1
      at = found + JSON.stringify(key).length
    }
    const colon = this.text.indexOf(":", at)
    if (colon < 0) return 1
    let start = colon + 1
    while (this.text[start] === " " || this.text[start] === "\t") start++
    return start + 1
  }

  fail(path: string, message: string): never {
    const keys = path.split(".")
    throw new ImportError({ file: this.file, line: this.line, column: this.column(keys), field: path, message })
  }

  private get(path: string): unknown {
    let v: unknown = this.value
    for (const key of path.split(".")) {
      if (typeof v !== "object" || v === null) return undefined
      v = (v as Record<string, unknown>)[key]
    }
    return v ?? undefined
  }

  /** A number, or a string holding one (BigQuery writes INT64 as strings); null or absent: undefined. */
  optionalNumber(path: string): number | undefined {
    const v = this.get(path)
    if (v === undefined) return undefined
    if (typeof v === "number") return v < 0 ? this.fail(path, `must not be negative: ${v}`) : v
    if (typeof v === "string") return toNumber(v, (m) => this.fail(path, m))
    return this.fail(path, `not a number: ${JSON.stringify(v)}`)
  }

  optionalInteger(path: string): number | undefined {
    const n = this.optionalNumber(path)
    return n === undefined ? undefined : toInteger(n, (m) => this.fail(path, m))
  }

  integer(path: string): number {
    return this.optionalInteger(path) ?? this.fail(path, "missing")
  }

  /** A whole-number id kept as written, since int64 ids can exceed what a double holds exactly. */
  id(path: string): string {
    const v = this.get(path)
    if (typeof v === "string" && /^\d+$/.test(v)) return v
    if (typeof v === "number" && Number.isInteger(v) && v >= 0) return String(v)
    return this.fail(path, v === undefined ? "missing" : `not a whole non-negative number: ${JSON.stringify(v)}`)
  }

  /** A protobuf enum written as its number (or a string of it) or its name; `names[i]` is the name of value i. */
  optionalCode(path: string, names: ReadonlyArray<string>): number | undefined {
    const v = this.get(path)
    if (v === undefined) return undefined
    const code = typeof v === "string" && !/^\d+$/.test(v) ? names.indexOf(v) : Number(v)
    return Number.isInteger(code) && code >= 0 && code < names.length
      ? code
      : this.fail(
          path,
          `unknown value ${JSON.stringify(v)} (expected one of ${names.join(", ")} or 0–${names.length - 1})`
        )
  }

  code(path: string, names: ReadonlyArray<string>): number {
    return this.optionalCode(path, names) ?? this.fail(path, "missing")
  }
}

/** The rows of a JSON-lines file (one object per line, as BigQuery exports a table). */
export const jsonRows = (text: string, file: string): Array<JsonRow> =>
  lines(text).map(({ line, text: t }) => {
    let value: unknown
    try {
      value = JSON.parse(t)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      const position = /position (\d+)/.exec(message)
      const column = position === null ? 1 : Number(position[1]) + 1
      throw new ImportError({ file, line, column, field: "", message: `not valid JSON: ${message}` })
    }
    if (typeof value !== "object" || value === null || Array.isArray(value))
      throw new ImportError({ file, line, column: 1, field: "", message: "expected one JSON object per line" })
    return new JsonRow(file, line, t, value as Record<string, unknown>)
  })
