/**
 * How far behind the world each component's watches run: for every MODIFIED or DELETED line a
 * component receives, the virtual time since the world applied that revision (an ADDED line may
 * replay an old object after a re-list, so it says nothing). Faults make it grow — a slow network
 * (every line, and every write, takes longer), a lagging informer — and checkers that allow a
 * controller time to react widen their allowance by it.
 */
import type { ApiRequest, WatchLine } from "../../core/apiserver/ApiRequest.js"
import type { WorldEvent } from "../scenario/World.js"

/** How long a revision's time is kept, and a measured lag counts as recent. */
export const windowMillis = 120_000

export interface WatchLag {
  /** Feeds a world event applied at virtual time `now`. */
  readonly applied: (event: WorldEvent, now: number) => void
  /** For an InvariantHooks' onWatchLine: measures each line `component` receives. */
  readonly onWatchLine: (component: string, request: ApiRequest) => (line: WatchLine) => void
  /** The largest lag of `component`'s watches measured in the last `windowMillis`; 0 when none was. */
  readonly recent: (component: string) => number
}

/** Lags measured, oldest first, each larger than every later one (a sliding-window maximum). */
type Peaks = Array<{ readonly at: number; readonly lag: number }>

const revisionOf = (line: WatchLine): number | undefined => {
  const rv = (line.object as { readonly metadata?: { readonly resourceVersion?: unknown } } | null)?.metadata
    ?.resourceVersion
  return typeof rv === "string" && /^[0-9]+$/.test(rv) ? Number(rv) : undefined
}

/** Lags measured against `now` (virtual epoch millis). */
export const make = (now: () => number): WatchLag => {
  // The world's revisions and when it applied them, both increasing; those from `first` on are within
  // the window. Expired ones are dropped in bulk, not one `shift` each: a big cluster applies tens of
  // thousands of revisions in a window, and shifting an array that long moves all of it.
  let revisions: Array<number> = []
  let times: Array<number> = []
  let first = 0
  const peaks = new Map<string, Peaks>()

  // When the world applied `revision` (or the latest revision before it); undefined when too old.
  const appliedAt = (revision: number): number | undefined => {
    let lo = first
    let hi = revisions.length - 1
    if (hi < lo || revisions[lo]! > revision) return undefined
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (revisions[mid]! <= revision) lo = mid
      else hi = mid - 1
    }
    return times[lo]
  }

  const measured = (component: string, lag: number) => {
    const at = now()
    let list = peaks.get(component)
    if (list === undefined) {
      list = []
      peaks.set(component, list)
    }
    while (list.length > 0 && list[list.length - 1].lag <= lag) list.pop()
    list.push({ at, lag })
  }

  return {
    applied: (event, at) => {
      if (revisions.length > first && revisions[revisions.length - 1]! >= event.revision) return
      revisions.push(event.revision)
      times.push(at)
      while (first < times.length && times[first]! < at - windowMillis) first++
      if (first > 1024 && first * 2 > times.length) {
        revisions = revisions.slice(first)
        times = times.slice(first)
        first = 0
      }
    },
    onWatchLine: (component) => (line) => {
      if (line.type !== "MODIFIED" && line.type !== "DELETED") return
      const revision = revisionOf(line)
      const at = revision === undefined ? undefined : appliedAt(revision)
      if (at !== undefined) measured(component, Math.max(0, now() - at))
    },
    recent: (component) => {
      const list = peaks.get(component)
      if (list === undefined) return 0
      while (list.length > 0 && list[0].at < now() - windowMillis) list.shift()
      return list[0]?.lag ?? 0
    }
  }
}
