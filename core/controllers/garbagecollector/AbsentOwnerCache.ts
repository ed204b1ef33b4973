/**
 * Owners verified absent (a 404, or an object of another uid under the owner's name), so that
 * every dependent of a deleted owner does not GET it again (Kubernetes' `absentOwnerCache`, an LRU).
 */
import { type Identity, identityKey } from "./Identity.js"

export interface AbsentOwnerCache {
  readonly has: (owner: Identity) => boolean
  readonly add: (owner: Identity) => void
}

/** An LRU of at most `capacity` identities (Kubernetes keeps 500). */
export const make = (capacity = 500): AbsentOwnerCache => {
  // A Map iterates in insertion order: re-inserting on use makes the first key the least recently used.
  const entries = new Map<string, true>()
  return {
    has: (owner) => {
      const key = identityKey(owner)
      if (!entries.has(key)) return false
      entries.delete(key)
      entries.set(key, true)
      return true
    },
    add: (owner) => {
      const key = identityKey(owner)
      entries.delete(key)
      entries.set(key, true)
      if (entries.size > capacity) entries.delete(entries.keys().next().value!)
    }
  }
}
