/**
 * Kubernetes' time formats: `metav1.Time` (RFC 3339, whole seconds) and `metav1.MicroTime`
 * (six fractional digits, used by Leases and Events), read from and written to epoch milliseconds.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"

/** An RFC 3339 time with seconds precision, as Kubernetes writes `metav1.Time`. */
export const rfc3339 = (millis: number): string =>
  new Date(Math.floor(millis / 1000) * 1000).toISOString().replace(".000Z", "Z")

/** `metav1.MicroTime`: RFC 3339 with six fractional digits (our clock has milliseconds). */
export const microTime = (millis: number): string => new Date(millis).toISOString().replace(/Z$/, "000Z")

/** The current time from Effect's Clock, as RFC 3339. */
export const now: Effect.Effect<string> = Effect.map(Clock.currentTimeMillis, rfc3339)

/** Milliseconds since the epoch of an RFC 3339 time; `undefined` for an absent or unreadable one (Go's zero time). */
export const timeMillis = (time: string | null | undefined): number | undefined => {
  if (time === undefined || time === null || time === "") return undefined
  const millis = Date.parse(time)
  return Number.isNaN(millis) ? undefined : millis
}
