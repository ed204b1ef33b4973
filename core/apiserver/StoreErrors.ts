/**
 * How Store failures read to API clients (Kubernetes' `storeerr.Interpret*Error`): a missing key
 * is NotFound, a taken key AlreadyExists, a lost compare-and-swap Conflict, a compacted revision
 * Expired, a revision not yet written a Timeout (ResourceVersionTooLarge) and an unreachable store
 * ServiceUnavailable.
 */
import { alreadyExists, conflict, Expired, notFound, ServiceUnavailable, Timeout } from "../api/errors.js"
import type {
  FutureRevision,
  KeyExists,
  KeyNotFound,
  Revision,
  RevisionConflict,
  StoreUnavailable,
  TooOld
} from "../store/Store.js"

/** Every error a Store operation can fail with. */
export type StoreError = KeyNotFound | KeyExists | RevisionConflict | TooOld | FutureRevision | StoreUnavailable

/** The message of a lost compare-and-swap, word for word as Kubernetes sends it. */
export const modifiedMessage =
  "the object has been modified; please apply your changes to the latest version and try again"

/** The API error for a Store error about the object `name` of `resource`. */
export const interpret = (resource: { group: string; plural: string }, name: string, error: StoreError) => {
  switch (error._tag) {
    case "KeyNotFound":
      return notFound(resource, name)
    case "KeyExists":
      return alreadyExists(resource, name)
    case "RevisionConflict":
      return conflict(resource, name, modifiedMessage)
    case "TooOld":
      return tooOld(error)
    case "FutureRevision":
      return tooLarge(error.requested, error.current)
    case "StoreUnavailable":
      return unavailable(error)
  }
}

/** 410 Expired for a compacted revision. */
export const tooOld = (error: TooOld): Expired =>
  new Expired({ message: `too old resource version: ${error.requested} (${error.compacted})` })

/** 504 for a read or watch at a revision the store has not reached (after Kubernetes' bounded wait). */
export const tooLarge = (requested: Revision, current: Revision): Timeout =>
  new Timeout({
    message: `Too large resource version: ${requested}, current: ${current}`,
    details: {
      causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version" }],
      retryAfterSeconds: 1
    }
  })

/** 503 for a store that cannot answer. */
export const unavailable = (error: StoreUnavailable): ServiceUnavailable =>
  new ServiceUnavailable({ message: `the storage is unavailable: ${error.message}` })

const storeTags = new Set([
  "KeyNotFound",
  "KeyExists",
  "RevisionConflict",
  "TooOld",
  "FutureRevision",
  "StoreUnavailable"
])

/** Whether an error came from the Store (and still needs `interpret`). */
export const isStoreError = (e: unknown): e is StoreError =>
  typeof e === "object" && e !== null && storeTags.has((e as { _tag?: string })._tag ?? "")
