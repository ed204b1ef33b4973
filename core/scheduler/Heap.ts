/**
 * A binary heap of values addressed by key (client-go's `cache.Heap` as the scheduling queue uses
 * it): push, update and delete by key in O(log n), peek and pop the least value.
 */
export class Heap<V> {
  private readonly items: Array<{ key: string; value: V }> = []
  private readonly index = new Map<string, number>()

  constructor(private readonly less: (a: V, b: V) => boolean) {}

  get size(): number {
    return this.items.length
  }

  has(key: string): boolean {
    return this.index.has(key)
  }

  get(key: string): V | undefined {
    const at = this.index.get(key)
    return at === undefined ? undefined : this.items[at]!.value
  }

  /** Adds the value, or replaces the one under the same key. */
  push(key: string, value: V): void {
    const at = this.index.get(key)
    if (at !== undefined) {
      this.items[at]!.value = value
      this.fix(at)
      return
    }
    this.items.push({ key, value })
    this.index.set(key, this.items.length - 1)
    this.up(this.items.length - 1)
  }

  peek(): V | undefined {
    return this.items[0]?.value
  }

  pop(): V | undefined {
    const top = this.items[0]
    if (top === undefined) return undefined
    this.delete(top.key)
    return top.value
  }

  delete(key: string): V | undefined {
    const at = this.index.get(key)
    if (at === undefined) return undefined
    const removed = this.items[at]!
    const last = this.items.pop()!
    this.index.delete(key)
    if (at < this.items.length) {
      this.items[at] = last
      this.index.set(last.key, at)
      this.fix(at)
    }
    return removed.value
  }

  /** Every value, in no particular order. */
  values(): ReadonlyArray<V> {
    return this.items.map((i) => i.value)
  }

  private fix(at: number): void {
    if (!this.up(at)) this.down(at)
  }

  private swap(i: number, j: number): void {
    const a = this.items[i]!
    const b = this.items[j]!
    this.items[i] = b
    this.items[j] = a
    this.index.set(b.key, i)
    this.index.set(a.key, j)
  }

  private up(at: number): boolean {
    let i = at
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.less(this.items[i]!.value, this.items[parent]!.value)) break
      this.swap(i, parent)
      i = parent
    }
    return i !== at
  }

  private down(at: number): void {
    let i = at
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let least = i
      if (l < this.items.length && this.less(this.items[l]!.value, this.items[least]!.value)) least = l
      if (r < this.items.length && this.less(this.items[r]!.value, this.items[least]!.value)) least = r
      if (least === i) return
      this.swap(i, least)
      i = least
    }
  }
}
