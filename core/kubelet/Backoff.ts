/**
 * Per-key exponential backoff as the kubelet keeps it for container restarts (CrashLoopBackOff)
 * and image pulls (ImagePullBackOff), client-go's `flowcontrol.Backoff`: each failure doubles the
 * key's window from `initial` up to `max`; a key quiet for twice `max` starts over. Times are epoch
 * milliseconds passed in by the caller (from Effect's Clock), so the logic is plain and testable.
 */

export interface Backoff {
  /** The key's current window in milliseconds (0 when it has none). */
  readonly window: (key: string) => number
  /**
   * Records a failure that happened at `eventTime`: the window doubles (or starts at `initial`
   * when the key is new or the previous failure is older than twice `max`), counted from `now`.
   */
  readonly next: (key: string, eventTime: number, now: number) => void
  /** Milliseconds left in the window counted from `eventTime` (a container's finish); 0 when none. */
  readonly remainingSince: (key: string, eventTime: number, now: number) => number
  /** Milliseconds left in the window counted from the last `next` (a failed pull); 0 when none. */
  readonly remainingSinceUpdate: (key: string, now: number) => number
  /** Forgets the key. */
  readonly reset: (key: string) => void
  /** Forgets every key whose last failure is older than twice `max` (call it now and then). */
  readonly gc: (now: number) => void
}

interface Entry {
  window: number
  lastUpdate: number
}

/** A backoff starting at `initialMillis`, doubling up to `maxMillis`. */
export const make = (initialMillis: number, maxMillis: number): Backoff => {
  const entries = new Map<string, Entry>()
  // A key is considered stable again once it has gone twice the maximum without a failure.
  const expired = (eventTime: number, entry: Entry) => eventTime - entry.lastUpdate > 2 * maxMillis
  const live = (key: string, eventTime: number) => {
    const entry = entries.get(key)
    return entry === undefined || expired(eventTime, entry) ? undefined : entry
  }
  return {
    window: (key) => entries.get(key)?.window ?? 0,
    next: (key, eventTime, now) => {
      const entry = live(key, eventTime)
      entries.set(key, {
        window: entry === undefined ? initialMillis : Math.min(entry.window * 2, maxMillis),
        lastUpdate: now
      })
    },
    remainingSince: (key, eventTime, now) => {
      const entry = live(key, eventTime)
      return entry === undefined ? 0 : Math.max(0, eventTime + entry.window - now)
    },
    remainingSinceUpdate: (key, now) => {
      const entry = live(key, now)
      return entry === undefined ? 0 : Math.max(0, entry.lastUpdate + entry.window - now)
    },
    reset: (key) => {
      entries.delete(key)
    },
    gc: (now) => {
      for (const [key, entry] of entries) if (expired(now, entry)) entries.delete(key)
    }
  }
}
