/**
 * A replay token: everything a fuzz failure needs to run again exactly, as one copyable word —
 * fast-check's seed and shrink path, the options that shape the drawn schedules, and the scenario's
 * name and digest (so a token is not replayed against a changed file unnoticed).
 */
import * as Either from "effect/Either"
import type { FaultKind } from "../faults/Arbitrary.js"

export interface Token {
  readonly scenario: string
  /** The first 12 hex digits of the parsed scenario's SHA-256. */
  readonly digest: string
  readonly seed: number
  readonly path: string
  /** The fault kinds drawn; absent: all of them. */
  readonly kinds?: ReadonlyArray<FaultKind>
  readonly maxFaults: number
  readonly interleave: "fifo" | "random"
  /** The invariants checked; absent: fuzz's default (all). */
  readonly invariants?: ReadonlyArray<string>
  readonly heal: number
  readonly longest: number
  /** Bugs planted by the test that found it (the catalogue); empty for a real failure. */
  readonly bugs: ReadonlyArray<string>
}

const prefix = "mk1."

export const encode = (token: Token): string =>
  prefix + Buffer.from(JSON.stringify(token), "utf8").toString("base64url")

const isStrings = (value: unknown): value is ReadonlyArray<string> =>
  Array.isArray(value) && value.every((v) => typeof v === "string")

/** The token, or why the text is not one. */
export const decode = (text: string): Either.Either<Token, string> => {
  if (!text.startsWith(prefix)) return Either.left(`not a replay token: it should start with "${prefix}"`)
  let value: Record<string, unknown>
  try {
    value = JSON.parse(Buffer.from(text.slice(prefix.length), "base64url").toString("utf8"))
  } catch {
    return Either.left("not a replay token: it does not decode (was it cut when copied?)")
  }
  const ok =
    typeof value === "object" &&
    value !== null &&
    typeof value["scenario"] === "string" &&
    typeof value["digest"] === "string" &&
    typeof value["seed"] === "number" &&
    typeof value["path"] === "string" &&
    (value["kinds"] === undefined || isStrings(value["kinds"])) &&
    typeof value["maxFaults"] === "number" &&
    (value["interleave"] === "fifo" || value["interleave"] === "random") &&
    (value["invariants"] === undefined || isStrings(value["invariants"])) &&
    typeof value["heal"] === "number" &&
    typeof value["longest"] === "number" &&
    isStrings(value["bugs"])
  return ok ? Either.right(value as unknown as Token) : Either.left("not a replay token: fields are missing")
}
