/**
 * When a leader-elected component could act, from the renewals of its Lease in `kube-system`
 * (every `retryPeriod`, 2 s): a longer gap is a blackout — it could not write (cut off, the store
 * down, a network too slow) or lost its leadership — and its work queues, backing off all that
 * while, may take about as long again to retry after it.
 */
import type { WorldEvent } from "../scenario/World.js"

/** A gap between renewals longer than this is a blackout (client-go's retryPeriod is 2 s). */
export const gapMillis = 3_000

/** How many recent blackouts are kept. */
const kept = 16

export interface LeaderRenewals {
  /** Feeds one world event applied at virtual time `now`. */
  readonly see: (event: WorldEvent, now: number) => void
  /** Whether the component is in a blackout now; false while it never renewed (no leader election). */
  readonly blocked: (now: number) => boolean
  /**
   * From when a component that knew something at `known` has had a fair chance to act on it:
   * `known`, or, after a blackout that ended since, its end plus how long it held the action back.
   */
  readonly chanceFrom: (known: number) => number
}

/** The renewals of the Lease `kube-system/{lockName}`. */
export const make = (lockName: string): LeaderRenewals => {
  let last: number | undefined
  const blackouts: Array<{ readonly start: number; readonly end: number }> = []
  return {
    see: (event, now) => {
      const { metadata } = event.object
      if (event.kind !== "Lease" || metadata.namespace !== "kube-system" || metadata.name !== lockName) return
      if (event.type === "DELETED") return
      if (last !== undefined && now - last > gapMillis) {
        blackouts.push({ start: last, end: now })
        if (blackouts.length > kept) blackouts.shift()
      }
      last = now
    },
    blocked: (now) => last !== undefined && now - last > gapMillis,
    chanceFrom: (known) => {
      let from = known
      for (const { start, end } of blackouts) if (end > known) from = Math.max(from, end + end - Math.max(start, known))
      return from
    }
  }
}
