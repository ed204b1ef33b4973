/**
 * `metadata.resourceVersion` is the Store's modRevision of the object, written onto every object
 * read and never stored; lists carry the revision they were read at.
 */
import * as Either from "effect/Either"
import { BadRequest } from "../api/errors.js"
import type { KubeObject } from "../api/meta.js"
import type { Entry, Revision } from "../store/Store.js"

// Entries are frozen and read many times (every get, list and watcher), so each is stamped once.
const stamped = new WeakMap<Entry, KubeObject>()

/**
 * The object of an entry with `metadata.resourceVersion` set to `revision` (default: its modRevision).
 * The result is frozen and may be shared: copy before changing it.
 */
export const stamp = (entry: Entry, revision: Revision = entry.modRevision): KubeObject => {
  if (revision !== entry.modRevision) return withResourceVersion(entry.value as unknown as KubeObject, revision)
  let obj = stamped.get(entry)
  if (obj === undefined) {
    const copy = withResourceVersion(entry.value as unknown as KubeObject, revision)
    Object.freeze(copy.metadata)
    obj = Object.freeze(copy)
    stamped.set(entry, obj)
  }
  return obj
}

/** A copy of `obj` carrying `revision` as its resourceVersion. */
export const withResourceVersion = (obj: KubeObject, revision: Revision): KubeObject => ({
  ...obj,
  metadata: { ...obj.metadata, resourceVersion: String(revision) }
})

/** A copy of `obj` without resourceVersion and selfLink, as objects are stored. */
export const unstamped = (obj: KubeObject): KubeObject => {
  const { resourceVersion: _rv, selfLink: _self, ...metadata } = obj.metadata
  return { ...obj, metadata }
}

/** Parses a resourceVersion as a revision: decimal digits only. */
export const parse = (value: string): Either.Either<Revision, BadRequest> => {
  const revision = /^[0-9]{1,15}$/.test(value) ? Number(value) : NaN
  return Number.isSafeInteger(revision)
    ? Either.right(revision)
    : Either.left(new BadRequest({ message: `invalid resource version: ${JSON.stringify(value)}` }))
}
