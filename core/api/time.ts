/**
 * Kubernetes' time formats: `metav1.Time` (RFC 3339, whole seconds) and `metav1.MicroTime`
 * (six fractional digits, used by Leases and Events), read from and written to epoch milliseconds.
 */
import * as Effect from "effect/Effect"

// The last time each format wrote: a cluster stamps many objects within one second (or millisecond),
// and formatting goes through a Date and a replace each time.
let lastSecond = NaN
let lastRfc3339 = ""
let lastMillis = NaN
let lastMicroTime = ""

/** An RFC 3339 time with seconds precision, as Kubernetes writes `metav1.Time`. */
export const rfc3339 = (millis: number): string => {
  const second = Math.floor(millis / 1000)
  if (second !== lastSecond) {
    lastRfc3339 = new Date(second * 1000).toISOString().replace(".000Z", "Z")
    lastSecond = second
  }
  return lastRfc3339
}

/** `metav1.MicroTime`: RFC 3339 with six fractional digits (our clock has milliseconds). */
export const microTime = (millis: number): string => {
  if (millis !== lastMillis) {
    lastMicroTime = new Date(millis).toISOString().replace(/Z$/, "000Z")
    lastMillis = millis
  }
  return lastMicroTime
}

/** The current time from Effect's Clock, as RFC 3339. */
export const now: Effect.Effect<string> = Effect.clockWith((clock) =>
  Effect.succeed(rfc3339(clock.unsafeCurrentTimeMillis()))
)

/** Milliseconds since the epoch of an RFC 3339 time; `undefined` for an absent or unreadable one (Go's zero time). */
export const timeMillis = (time: string | null | undefined): number | undefined => {
  if (time === undefined || time === null || time === "") return undefined
  const millis = Date.parse(time)
  return Number.isNaN(millis) ? undefined : millis
}
