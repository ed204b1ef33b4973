/**
 * The informer's cache (client-go's `cache.Indexer`): objects by key in first-seen order, plus
 * named indexes kept up to date on every change at the cost of the changed object's index values.
 */
import type { IndexFunc } from "../Informer.js"

export interface Indexer<A> {
  readonly get: (key: string) => A | undefined
  /** Every object, in the order its key was first stored. */
  readonly list: () => ReadonlyArray<A>
  readonly keys: () => ReadonlyArray<string>
  readonly byIndex: (index: string, value: string) => ReadonlyArray<A>
  /** The values the named index files objects under now (client-go's `ListIndexFuncValues`). */
  readonly indexValues: (index: string) => ReadonlyArray<string>
  readonly addIndexer: (name: string, index: IndexFunc<A>) => void
  /** Stores `obj` under `key`; returns what was there. */
  readonly put: (key: string, obj: A) => A | undefined
  /** Removes `key`; returns what was there. */
  readonly remove: (key: string) => A | undefined
}

interface Index<A> {
  readonly func: IndexFunc<A>
  readonly keysByValue: Map<string, Set<string>>
}

export const make = <A>(indexers: Readonly<Record<string, IndexFunc<A>>>): Indexer<A> => {
  const items = new Map<string, A>()
  const indexes = new Map<string, Index<A>>()
  // The last `list()` answer, until the next change: readers often list far more than objects change.
  let listed: ReadonlyArray<A> | undefined

  const file = (index: Index<A>, key: string, values: ReadonlyArray<string>) => {
    for (const value of values) {
      const keys = index.keysByValue.get(value)
      if (keys === undefined) index.keysByValue.set(value, new Set([key]))
      else keys.add(key)
    }
  }

  const unfile = (index: Index<A>, key: string, values: ReadonlyArray<string>) => {
    for (const value of values) {
      const keys = index.keysByValue.get(value)
      if (keys === undefined) continue
      keys.delete(key)
      // Empty sets are dropped so values that come and go (node names, owner uids) do not pile up.
      if (keys.size === 0) index.keysByValue.delete(value)
    }
  }

  /**
   * Unfiles `key` under the old object's values and files it under the new one's. Most changes keep
   * the one value they had: then the key moves to the end of its set, and the value to the end of
   * the index when the key is its only one, exactly as the unfile and file would leave them.
   */
  const refile = (index: Index<A>, key: string, old: A, obj: A) => {
    const before = index.func(old)
    const after = index.func(obj)
    if (before.length === 1 && after.length === 1 && before[0] === after[0]) {
      const value = before[0]!
      const keys = index.keysByValue.get(value)
      if (keys !== undefined) {
        keys.delete(key)
        keys.add(key)
        if (keys.size === 1) {
          index.keysByValue.delete(value)
          index.keysByValue.set(value, keys)
        }
        return
      }
    }
    unfile(index, key, before)
    file(index, key, after)
  }

  const addIndexer = (name: string, func: IndexFunc<A>) => {
    const index: Index<A> = { func, keysByValue: new Map() }
    for (const [key, obj] of items) file(index, key, func(obj))
    indexes.set(name, index)
  }

  for (const [name, func] of Object.entries(indexers)) addIndexer(name, func)

  return {
    get: (key) => items.get(key),
    list: () => (listed ??= Array.from(items.values())),
    keys: () => Array.from(items.keys()),
    byIndex: (name, value) => {
      const keys = indexes.get(name)?.keysByValue.get(value)
      return keys === undefined ? [] : Array.from(keys, (key) => items.get(key)!)
    },
    indexValues: (name) => {
      const index = indexes.get(name)
      return index === undefined ? [] : Array.from(index.keysByValue.keys())
    },
    addIndexer,
    put: (key, obj) => {
      const old = items.get(key)
      for (const index of indexes.values()) {
        if (old === undefined) file(index, key, index.func(obj))
        else refile(index, key, old, obj)
      }
      items.set(key, obj)
      listed = undefined
      return old
    },
    remove: (key) => {
      const old = items.get(key)
      if (old === undefined) return undefined
      for (const index of indexes.values()) unfile(index, key, index.func(old))
      items.delete(key)
      listed = undefined
      return old
    }
  }
}
