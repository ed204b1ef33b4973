/**
 * Durations as Kubernetes and Go write them: `humanDuration` is the AGE column of kubectl
 * (apimachinery's `duration.HumanDuration`), `parseDuration`/`formatDuration` are Go's
 * `time.ParseDuration` and `Duration.String`. All work in milliseconds.
 */
import * as Either from "effect/Either"

/** "45s", "5m12s", "3h", "2d" — the coarse age kubectl prints. */
export const humanDuration = (ms: number): string => {
  const seconds = Math.trunc(ms / 1000)
  // Up to two seconds in the future counts as now, to tolerate clock skew.
  if (seconds < -1) return "<invalid>"
  if (seconds < 0) return "0s"
  if (seconds < 120) return `${seconds}s`
  const minutes = Math.trunc(seconds / 60)
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`
  if (minutes < 180) return `${minutes}m`
  const hours = Math.trunc(minutes / 60)
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`
  if (hours < 48) return `${hours}h`
  if (hours < 24 * 8) return hours % 24 === 0 ? `${hours / 24}d` : `${Math.trunc(hours / 24)}d${hours % 24}h`
  const days = Math.trunc(hours / 24)
  if (hours < 24 * 365 * 2) return `${days}d`
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${days / 365}y` : `${Math.trunc(days / 365)}y${days % 365}d`
  return `${Math.trunc(days / 365)}y`
}

/** The age of an RFC 3339 timestamp at `now`, or "<unknown>" when there is none. */
export const age = (timestamp: string | null | undefined, now: string): string => {
  if (timestamp === undefined || timestamp === null || timestamp === "") return "<unknown>"
  const then = Date.parse(timestamp)
  const at = Date.parse(now)
  return Number.isNaN(then) || Number.isNaN(at) ? "<unknown>" : humanDuration(at - then)
}

const unitNanos: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9
}

/** Go's `time.ParseDuration`: "1m30s", "300ms", "-1.5h", "0"; milliseconds, or an error naming the input. */
export const parseDuration = (s: string): Either.Either<number, string> => {
  const bad = Either.left(`time: invalid duration "${s}"`)
  const m = /^([+-]?)(.*)$/.exec(s)!
  const body = m[2]
  if (body === "0") return Either.right(0)
  if (body === "") return bad
  let nanos = 0
  let rest = body
  while (rest !== "") {
    const term = /^([0-9]*(?:\.[0-9]*)?)([a-zµμ]+)/.exec(rest)
    if (term === null || term[1] === "" || term[1] === ".") return bad
    const unit = unitNanos[term[2]]
    if (unit === undefined) return Either.left(`time: unknown unit "${term[2]}" in duration "${s}"`)
    nanos += Number(term[1]) * unit
    rest = rest.slice(term[0].length)
  }
  const ms = nanos / 1e6
  return Either.right(m[1] === "-" ? -ms : ms)
}

/** Go's `Duration.String`: "1h0m0s", "1m30s", "1.5s", "300ms", "0s". */
export const formatDuration = (ms: number): string => {
  const sign = ms < 0 ? "-" : ""
  const nanos = Math.round(Math.abs(ms) * 1e6)
  if (nanos === 0) return "0s"
  if (nanos < 1e9) {
    const [unit, size] = nanos < 1e3 ? ["ns", 1] : nanos < 1e6 ? ["µs", 1e3] : ["ms", 1e6]
    return `${sign}${decimal(nanos, size)}${unit}`
  }
  const hours = Math.floor(nanos / 3600e9)
  const minutes = Math.floor((nanos % 3600e9) / 60e9)
  const seconds = `${decimal(nanos % 60e9, 1e9)}s`
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}`
  if (minutes > 0) return `${sign}${minutes}m${seconds}`
  return `${sign}${seconds}`
}

/** `n / size` printed without trailing zeros (size is a power of ten). */
const decimal = (n: number, size: number): string => {
  const whole = Math.floor(n / size)
  const fraction = n % size
  if (fraction === 0) return `${whole}`
  const digits = String(size).length - 1
  return `${whole}.${String(fraction).padStart(digits, "0").replace(/0+$/, "")}`
}
