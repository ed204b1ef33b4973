/**
 * Kubernetes resource quantities (`resource.Quantity`): "500m", "2", "128Mi", "1e3". Values are
 * held exactly as a bigint count of nano units and keep the notation they were written in, so
 * `format` prints them back the way Kubernetes does.
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"

/** How a quantity prints: "1k" (DecimalSI), "1Ki" (BinarySI) or "1e3" (DecimalExponent). */
export type QuantityFormat = "DecimalSI" | "BinarySI" | "DecimalExponent"

const TypeId: unique symbol = Symbol.for("minik8s/Quantity")

/** An exact quantity; build one with `parse`. */
export interface Quantity {
  readonly [TypeId]: typeof TypeId
  /** The value in units of 10^-9. */
  readonly nanos: bigint
  readonly format: QuantityFormat
}

const NANO = 1_000_000_000n
// Kubernetes caps every quantity at the largest int64 value.
const MAX = (2n ** 63n - 1n) * NANO

const decimalSuffixes: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 }
const binarySuffixes: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 }
const binaryNames = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
const decimalNames: Record<number, string> = {
  [-9]: "n",
  [-6]: "u",
  [-3]: "m",
  0: "",
  3: "k",
  6: "M",
  9: "G",
  12: "T",
  15: "P",
  18: "E"
}

const make = (nanos: bigint, format: QuantityFormat): Quantity => ({ [TypeId]: TypeId, nanos, format })

const syntax = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"

// Manifests repeat the same few quantities ("100m", "128Mi"), and admission reads each several times.
const parsed = new Map<string, Either.Either<Quantity, string>>()
const cacheSize = 1024

/** Parses "500m", "1.5Gi", "1e3", "-2", ".5", or a JSON number; the error names the bad value. */
export const parse = (input: string | number): Either.Either<Quantity, string> => {
  if (typeof input !== "string") return parseUncached(input)
  const cached = parsed.get(input)
  if (cached !== undefined) return cached
  const result = parseUncached(input)
  if (parsed.size >= cacheSize) parsed.clear()
  parsed.set(input, result)
  return result
}

const parseUncached = (input: string | number): Either.Either<Quantity, string> => {
  if (typeof input === "number" && !Number.isFinite(input)) return Either.left(`invalid quantity ${input}: ${syntax}`)
  const s = String(input).trim()
  const bad = (why: string) => Either.left(`invalid quantity "${s}": ${why}`)
  if (s === "") return bad("quantities must not be empty")
  const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)$/.exec(s)
  if (m === null || (m[2] === "" && (m[3] ?? "") === "")) return bad(syntax)
  const [, sign, whole, fraction = "", suffix] = m
  const digits = BigInt(whole + fraction || "0")
  let nanos: bigint
  let format: QuantityFormat
  if (suffix in binarySuffixes) {
    format = "BinarySI"
    nanos = scale(digits * 2n ** BigInt(binarySuffixes[suffix]), 9 - fraction.length)
  } else if (suffix in decimalSuffixes || /^[eE][+-]?[0-9]+$/.test(suffix)) {
    format = suffix in decimalSuffixes ? "DecimalSI" : "DecimalExponent"
    const exponent = suffix in decimalSuffixes ? decimalSuffixes[suffix] : Number(suffix.slice(1))
    nanos = scale(digits, exponent + 9 - fraction.length)
  } else if (/^[eEinumkKMGTP]*[+-]?[0-9]*$/.test(suffix)) {
    return bad("unable to parse quantity's suffix")
  } else {
    return bad(syntax)
  }
  return Either.right(make(sign === "-" ? -nanos : nanos, format))
}

/** `digits * 10^exponent`, rounded up to a whole nano (as Kubernetes does) and capped. */
const scale = (digits: bigint, exponent: number): bigint => {
  if (digits === 0n) return 0n
  const length = digits.toString().length
  if (exponent >= 0) return length + exponent > 29 ? MAX : min(digits * 10n ** BigInt(exponent), MAX)
  if (-exponent > length) return 1n
  const divisor = 10n ** BigInt(-exponent)
  return min((digits + divisor - 1n) / divisor, MAX)
}

const min = (a: bigint, b: bigint) => (a < b ? a : b)

/** `parse` for values known to be valid; throws otherwise. */
export const unsafeParse = (input: string | number): Quantity =>
  Either.getOrElse(parse(input), (message) => {
    throw new Error(message)
  })

// Parsed quantities are shared (see `parse`), so each is formatted once.
const formatted = new WeakMap<Quantity, string>()

/** The canonical form Kubernetes prints: "500m", "2", "128Mi", "1536", "1e3". */
export const format = (q: Quantity): string => {
  let s = formatted.get(q)
  if (s === undefined) {
    s = formatUncached(q)
    formatted.set(q, s)
  }
  return s
}

const formatUncached = (q: Quantity): string => {
  const abs = q.nanos < 0n ? -q.nanos : q.nanos
  if (q.format === "BinarySI" && abs >= 1024n * NANO && abs % NANO === 0n) {
    let units = q.nanos / NANO
    let power = 0
    while (power < 6 && units % 1024n === 0n) {
      units /= 1024n
      power++
    }
    return `${units}${binaryNames[power]}`
  }
  if (q.nanos === 0n) return "0"
  let mantissa = q.nanos
  let exponent = -9
  while (exponent < 18 && mantissa % 1000n === 0n) {
    mantissa /= 1000n
    exponent += 3
  }
  if (q.format === "DecimalExponent") return exponent === 0 ? `${mantissa}` : `${mantissa}e${exponent}`
  return `${mantissa}${decimalNames[exponent]}`
}

/** The zero quantity. */
export const zero: Quantity = make(0n, "DecimalSI")

/** `a + b`, in a's notation (b's when a is zero, as Kubernetes does). */
export const add = (a: Quantity, b: Quantity): Quantity => make(a.nanos + b.nanos, a.nanos === 0n ? b.format : a.format)

/** `a - b`, in a's notation (b's when a is zero). */
export const subtract = (a: Quantity, b: Quantity): Quantity =>
  make(a.nanos - b.nanos, a.nanos === 0n ? b.format : a.format)

/** -1, 0 or 1 as a is less than, equal to or greater than b. */
export const compare = (a: Quantity, b: Quantity): -1 | 0 | 1 => (a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0)

const ceilDiv = (n: bigint, d: bigint): bigint => (n >= 0n ? (n + d - 1n) / d : -(-n / d))

/** The value in thousandths, rounded up (CPU in millicores). */
export const milliValue = (q: Quantity): number => Number(ceilDiv(q.nanos, 1_000_000n))

/** The value in whole units, rounded up (bytes, counts). */
export const value = (q: Quantity): number => Number(ceilDiv(q.nanos, NANO))

/**
 * A quantity as written in a manifest: a string ("500m") or a JSON number (`cpu: 1`),
 * checked but kept as given.
 */
export const QuantityString = Schema.Union(Schema.String, Schema.Number).pipe(
  Schema.filter((u) => Either.match(parse(u), { onLeft: (message) => message, onRight: () => true }), {
    identifier: "io.k8s.apimachinery.pkg.api.resource.Quantity",
    title: "quantity",
    description: "A fixed-point number with an optional suffix, e.g. 500m, 2, 128Mi.",
    jsonSchema: { oneOf: [{ type: "string" }, { type: "number" }] }
  })
)
export type QuantityString = typeof QuantityString.Type
