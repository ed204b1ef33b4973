/**
 * Durations and ranges as scenario files write them: Go's `time.ParseDuration` syntax (`500ms`,
 * `30s`, `1m30s`), whole milliseconds, never negative; a range is `1ms-5ms` or one duration.
 */
import * as Either from "effect/Either"
import * as GoDuration from "../../core/api/duration.js"
import type { Range } from "./Scenario.js"

/** `1m30s` → 90000; the error says what is wrong with the text. */
export const parseDuration = (text: string): Either.Either<number, string> => {
  if (/^[+-]?[0-9.]+$/.test(text) && text !== "0") return Either.left(`missing unit in duration "${text}"`)
  return Either.flatMap(
    Either.mapLeft(GoDuration.parseDuration(text), (message) => message.replace(/^time: /, "")),
    // Whole nanoseconds: decimals such as `30.001s` must not fail on a float's last digit.
    (parsed) => {
      const ms = Math.round(parsed * 1e6) / 1e6
      return ms < 0
        ? Either.left(`duration "${text}" must not be negative`)
        : Number.isInteger(ms)
          ? Either.right(ms)
          : Either.left(`duration "${text}" is not a whole number of milliseconds`)
    }
  )
}

/** `1ms-5ms` → {min: 1, max: 5}; `3s` → {min: 3000, max: 3000}. */
export const parseRange = (text: string): Either.Either<Range, string> => {
  const bounds = /^\s*([^-\s]+)\s*-\s*([^-\s]+)\s*$/.exec(text)
  if (bounds === null) return Either.map(parseDuration(text), (ms) => ({ min: ms, max: ms }))
  return Either.flatMap(Either.all([parseDuration(bounds[1]), parseDuration(bounds[2])]), ([min, max]) =>
    min <= max ? Either.right({ min, max }) : Either.left(`range "${text}" starts after it ends`)
  )
}
