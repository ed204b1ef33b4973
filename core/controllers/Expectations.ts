/**
 * Controller expectations (Kubernetes' `UIDTrackingControllerExpectations`): the creates and
 * deletes a controller has issued for one of its objects and not yet seen come back through its
 * informer. While some are pending the controller does not act again on that object, so a lagging
 * cache never makes it create or delete twice. Expectations expire after five minutes on the Clock,
 * in case an observation is lost.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

/** How long expectations hold before the controller acts anyway (ExpectationsTimeout). */
export const expectationsTimeout: Duration.Duration = Duration.minutes(5)

/** What one controller key still waits for. */
export interface Pending {
  readonly add: number
  readonly del: number
  /** When the expectations were set (Clock millis). */
  readonly setAt: number
}

export interface ControllerExpectations {
  /** True when nothing is pending for the key, or what is pending has expired (SatisfiedExpectations). */
  readonly satisfied: (key: string) => Effect.Effect<boolean>
  /** Milliseconds until the key's unfulfilled expectations expire; `undefined` when none are pending. */
  readonly expiresIn: (key: string) => Effect.Effect<number | undefined>
  /** Expects `adds` creations from now on, forgetting earlier expectations of the key. */
  readonly expectCreations: (key: string, adds: number) => Effect.Effect<void>
  /** Expects the deletion of each of `objectKeys` (`namespace/name`), forgetting earlier expectations of the key. */
  readonly expectDeletions: (key: string, objectKeys: ReadonlyArray<string>) => Effect.Effect<void>
  /** One expected creation was seen (or will never happen: the create failed or was skipped). */
  readonly creationObserved: (key: string) => Effect.Effect<void>
  /** The deletion of `objectKey` was seen; deletions the key did not expect are ignored. */
  readonly deletionObserved: (key: string, objectKey: string) => Effect.Effect<void>
  /** Forgets the key (its owner is gone). */
  readonly deleteExpectations: (key: string) => Effect.Effect<void>
  /** What is pending for the key, if anything was ever set. */
  readonly get: (key: string) => Pending | undefined
}

interface Entry {
  add: number
  del: number
  setAt: number
  readonly deleting: Set<string>
}

const fulfilled = (entry: Entry) => entry.add <= 0 && entry.del <= 0

/** A fresh expectations table, one per controller. */
export const make: Effect.Effect<ControllerExpectations> = Effect.sync(() => {
  const entries = new Map<string, Entry>()
  const timeout = Duration.toMillis(expectationsTimeout)

  const set = (key: string, add: number, deleting: ReadonlyArray<string>) =>
    Effect.map(Clock.currentTimeMillis, (now) => {
      const unique = new Set(deleting)
      entries.set(key, { add, del: unique.size, setAt: now, deleting: unique })
    })

  const expiresIn = (key: string) =>
    Effect.map(Clock.currentTimeMillis, (now) => {
      const entry = entries.get(key)
      return entry === undefined || fulfilled(entry) ? undefined : entry.setAt + timeout - now
    })

  return {
    satisfied: (key) => Effect.map(expiresIn(key), (left) => left === undefined || left < 0),
    expiresIn,
    expectCreations: (key, adds) => set(key, adds, []),
    expectDeletions: (key, objectKeys) => set(key, 0, objectKeys),
    creationObserved: (key) =>
      Effect.sync(() => {
        const entry = entries.get(key)
        if (entry !== undefined) entry.add--
      }),
    deletionObserved: (key, objectKey) =>
      Effect.sync(() => {
        const entry = entries.get(key)
        if (entry !== undefined && entry.deleting.delete(objectKey)) entry.del--
      }),
    deleteExpectations: (key) =>
      Effect.sync(() => {
        entries.delete(key)
      }),
    get: (key) => {
      const entry = entries.get(key)
      return entry === undefined ? undefined : { add: entry.add, del: entry.del, setAt: entry.setAt }
    }
  }
})
