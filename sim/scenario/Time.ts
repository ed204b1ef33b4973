/**
 * Simulated time as the runner prints it (SCENARIOS.md): `0s`, `500ms`, `1.5s`, `3m01s`, `10m`,
 * `1h02m03.5s`. Units after the first are padded to two digits so a timeline's times line up.
 */

/** Milliseconds (rounded to whole ms) in the timeline's style; zero units at the end are left out. */
export const formatTime = (ms: number): string => {
  const total = Math.round(Math.abs(ms))
  const sign = ms < 0 && total > 0 ? "-" : ""
  if (total === 0) return "0s"
  if (total < 1_000) return `${sign}${total}ms`
  const hours = Math.floor(total / 3_600_000)
  const minutes = Math.floor((total % 3_600_000) / 60_000)
  const millis = total % 60_000
  let text = hours > 0 ? `${hours}h` : ""
  if (minutes > 0 || (hours > 0 && millis > 0)) text += `${pad(minutes, text)}m`
  if (millis > 0) text += `${pad(Math.floor(millis / 1_000), text)}${fraction(millis % 1_000)}s`
  return sign + text
}

/** A unit's number, two digits when a larger unit comes before it. */
const pad = (n: number, before: string): string => (before === "" ? `${n}` : `${n}`.padStart(2, "0"))

/** `.5`, `.25`, `.125` or nothing: the millisecond part of the seconds without trailing zeros. */
const fraction = (ms: number): string => (ms === 0 ? "" : `.${`${ms}`.padStart(3, "0").replace(/0+$/, "")}`)
