/**
 * A run's trace: JSONL, one event a line, `{"t":<virtual ms since start>,"c":"<component>","e":"<event>",…}`
 * with the data keys after those three in sorted order, so the same run writes the same bytes on any
 * machine. The SHA-256 of every line (each with its "\n") is kept as lines come; the lines themselves
 * go only to the sink, since big runs write millions of them.
 */
import { createHash, type Hash } from "node:crypto"

/** A data value of a trace event: written as `JSON.stringify` writes it. */
export type TraceValue = string | number | boolean

/** The data of a trace event; `t`, `c` and `e` are taken by the line itself. */
export type TraceData = Readonly<Record<string, TraceValue>>

const reserved = new Set(["t", "c", "e"])

/** The keys of `data` in sorted order; most callers already list them so, and sorting allocates. */
const sortedKeys = (data: TraceData): ReadonlyArray<string> => {
  const keys = Object.keys(data)
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return keys.sort()
  return keys
}

export class Trace {
  private readonly hash: Hash = createHash("sha256")
  private count = 0

  /** `sink` gets each line with its "\n": a file made of them hashes to `sha256()`. */
  constructor(private readonly sink?: (line: string) => void) {}

  /** Records an event at `t` virtual ms since the start of the run. */
  record(t: number, component: string, event: string, data?: TraceData): void {
    let line = `{"t":${JSON.stringify(t)},"c":${JSON.stringify(component)},"e":${JSON.stringify(event)}`
    if (data !== undefined) {
      for (const key of sortedKeys(data)) {
        if (reserved.has(key)) throw new Error(`trace data key "${key}" is reserved (event ${event})`)
        line += `,${JSON.stringify(key)}:${JSON.stringify(data[key])}`
      }
    }
    line += "}\n"
    this.hash.update(line)
    this.count++
    this.sink?.(line)
  }

  /** Hex SHA-256 of the lines so far; recording may go on after. */
  sha256(): string {
    return this.hash.copy().digest("hex")
  }

  /** How many lines were recorded. */
  lines(): number {
    return this.count
  }
}
