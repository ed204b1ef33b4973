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

  const file = (index: Index<A>, key: string, obj: A) => {
    for (const value of index.func(obj)) {
      const keys = index.keysByValue.get(value)
      if (keys === undefined) index.keysByValue.set(value, new Set([key]))
      else keys.add(key)
    }
  }

  const unfile = (index: Index<A>, key: string, obj: A) => {
    for (const value of index.func(obj)) {
      const keys = index.keysByValue.get(value)
      if (keys === undefined) continue
      keys.delete(key)
      // Empty sets are dropped so values that come and go (node names, owner uids) do not pile up.
      if (keys.size === 0) index.keysByValue.delete(value)
    }
  }

  const addIndexer = (name: string, func: IndexFunc<A>) => {
    const index: Index<A> = { func, keysByValue: new Map() }
    for (const [key, obj] of items) file(index, key, obj)
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
        if (old !== undefined) unfile(index, key, old)
        file(index, key, obj)
      }
      items.set(key, obj)
      listed = undefined
      return old
    },
    remove: (key) => {
      const old = items.get(key)
      if (old === undefined) return undefined
      for (const index of indexes.values()) unfile(index, key, old)
      items.delete(key)
      listed = undefined
      return old
    }
  }
}
