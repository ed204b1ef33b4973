import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { IndexFunc } from "../Informer.js"
import * as Indexer from "./Indexer.js"

interface Item {
  readonly name: string
  readonly group: string | undefined
  readonly tags: ReadonlyArray<string>
}

const byGroup: IndexFunc<Item> = (item) => (item.group === undefined ? [] : [item.group])
const byTag: IndexFunc<Item> = (item) => item.tags

/**
 * The indexes as filing every change from scratch leaves them: a key leaves each set it was in
 * (an emptied set leaves the index) and joins the sets of its new values, at their ends.
 */
const reference = (indexers: Record<string, IndexFunc<Item>>) => {
  const items = new Map<string, Item>()
  const indexes = new Map(
    Object.entries(indexers).map(([name, func]) => [name, { func, sets: new Map<string, Set<string>>() }])
  )
  const unfile = (key: string, item: Item) => {
    for (const { func, sets } of indexes.values())
      for (const value of func(item)) {
        sets.get(value)?.delete(key)
        if (sets.get(value)?.size === 0) sets.delete(value)
      }
  }
  return {
    put: (key: string, item: Item) => {
      const old = items.get(key)
      if (old !== undefined) unfile(key, old)
      for (const { func, sets } of indexes.values())
        for (const value of func(item)) {
          const keys = sets.get(value)
          if (keys === undefined) sets.set(value, new Set([key]))
          else keys.add(key)
        }
      items.set(key, item)
    },
    remove: (key: string) => {
      const old = items.get(key)
      if (old === undefined) return
      unfile(key, old)
      items.delete(key)
    },
    byIndex: (name: string, value: string) =>
      [...(indexes.get(name)?.sets.get(value) ?? [])].map((key) => items.get(key)!),
    indexValues: (name: string) => [...(indexes.get(name)?.sets.keys() ?? [])]
  }
}

const names = ["a", "b", "c", "d"]
const groups = ["x", "y", "z"]
const item = fc.record({
  name: fc.constantFrom(...names),
  group: fc.option(fc.constantFrom(...groups), { nil: undefined }),
  tags: fc.uniqueArray(fc.constantFrom("t1", "t2", "t3"), { maxLength: 2 })
})
const op = fc.oneof(
  item.map((i) => ({ put: i })),
  fc.constantFrom(...names).map((name) => ({ remove: name }))
)

describe("Indexer", () => {
  it("orders every index's values and keys as filing each change from scratch does", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const indexer = Indexer.make<Item>({ group: byGroup, tag: byTag })
        const expected = reference({ group: byGroup, tag: byTag })
        for (const step of ops) {
          if ("put" in step) {
            indexer.put(step.put.name, step.put)
            expected.put(step.put.name, step.put)
          } else {
            indexer.remove(step.remove)
            expected.remove(step.remove)
          }
          for (const index of ["group", "tag"]) {
            expect(indexer.indexValues(index)).toEqual(expected.indexValues(index))
            for (const value of [...groups, "t1", "t2", "t3"])
              expect(indexer.byIndex(index, value)).toEqual(expected.byIndex(index, value))
          }
        }
      }),
      { seed: 42, numRuns: 300 }
    )
  })
})
