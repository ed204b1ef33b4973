/**
 * The one error a trace importer returns: what is wrong and where — the file, the line and column
 * of the cell (or JSON value), and the column's name — so a researcher can open the row and fix it.
 */
import * as Data from "effect/Data"

/** A malformed trace file; `toString()` is the one line the CLI prints. */
export class ImportError extends Data.TaggedError("ImportError")<{
  readonly file: string
  /** 1-based; 0 when the problem is the file as a whole (unreadable, unknown format). */
  readonly line: number
  readonly column: number
  /** The column's (or JSON field's) name; empty when no single column is at fault. */
  readonly field: string
  readonly message: string
}> {
  override toString(): string {
    const at = this.line === 0 ? this.file : `${this.file}:${this.line}:${this.column}`
    return `${at}: ${this.field === "" ? "" : `${this.field}: `}${this.message}`
  }
}
