/**
 * The ordered set of live keys behind MemoryStore's range reads (etcd keeps a B-tree `index` for the
 * same job). Keys sit in sorted blocks of bounded size, so an insert or delete moves one block's worth
 * of keys rather than all of them, and a range read costs O(log n + keys read + blocks skipped).
 */

/** First index in sorted `keys` whose key is >= `key` (or > `key` when `exclusive`). */
const search = (keys: ReadonlyArray<string>, key: string, exclusive: boolean): number => {
  let low = 0
  let high = keys.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (keys[middle] < key || (exclusive && keys[middle] === key)) low = middle + 1
    else high = middle
  }
  return low
}

/** The keys read by `KeyIndex.range` and how many more were in range beyond `limit`. */
export interface KeyRange {
  readonly keys: ReadonlyArray<string>
  readonly remaining: number
}

/** An ordered set of keys with range reads. */
export class KeyIndex {
  private readonly blocks: Array<Array<string>> = []

  /** `maxBlock`: the most keys one block holds before it splits in two. */
  constructor(private readonly maxBlock = 512) {}

  /** Index of the first block whose last key is >= `key` (or > when `exclusive`); blocks.length if none. */
  private block(key: string, exclusive: boolean): number {
    let low = 0
    let high = this.blocks.length
    while (low < high) {
      const middle = (low + high) >>> 1
      const last = this.blocks[middle][this.blocks[middle].length - 1]
      if (last < key || (exclusive && last === key)) low = middle + 1
      else high = middle
    }
    return low
  }

  /** Adds a key that is not in the index. */
  insert(key: string): void {
    if (this.blocks.length === 0) {
      this.blocks.push([key])
      return
    }
    const b = Math.min(this.block(key, false), this.blocks.length - 1)
    const keys = this.blocks[b]
    keys.splice(search(keys, key, false), 0, key)
    if (keys.length > this.maxBlock) this.blocks.splice(b + 1, 0, keys.splice(keys.length >>> 1))
  }

  /** Removes a key that is in the index. */
  remove(key: string): void {
    const b = this.block(key, false)
    const keys = this.blocks[b]
    keys.splice(search(keys, key, false), 1)
    if (keys.length === 0) this.blocks.splice(b, 1)
  }

  /**
   * Keys from `from` (exclusive when `exclusive`) up to `end` (exclusive; undefined: no bound), in
   * order, at most `limit` of them.
   */
  range(from: string, exclusive: boolean, end: string | undefined, limit: number): KeyRange {
    const keys: Array<string> = []
    let remaining = 0
    const first = this.block(from, exclusive)
    for (let b = first; b < this.blocks.length; b++) {
      const block = this.blocks[b]
      const start = b === first ? search(block, from, exclusive) : 0
      const stop = end === undefined || block[block.length - 1] < end ? block.length : search(block, end, false)
      const take = Math.min(stop - start, limit - keys.length)
      for (let i = start; i < start + take; i++) keys.push(block[i])
      remaining += stop - start - take
      if (stop < block.length) break
    }
    return { keys, remaining }
  }
}
