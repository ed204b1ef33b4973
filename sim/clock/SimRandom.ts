/**
 * The simulation's `Random`: the same numbers as Effect's `Random.make(seed)` (its PCG generator,
 * seeded with the seed's hash, and its methods' arithmetic), so a run draws the very numbers it
 * drew before, plus `int`, a draw as a plain call for simulation code that would otherwise pay
 * an Effect operation, and a continuation, per draw (the network draws a latency for every call
 * and watch chunk of the run).
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Hash from "effect/Hash"
import * as Random from "effect/Random"
import { PCGRandom } from "effect/Utils"
import type { DrawsNow } from "../../core/api/random.js"

export class SimRandom implements Random.Random, DrawsNow {
  readonly [Random.RandomTypeId]: Random.RandomTypeId = Random.RandomTypeId
  private readonly prng: PCGRandom

  constructor(seed: number) {
    this.prng = new PCGRandom(Hash.hash(seed))
  }

  /** A whole number in [min, max), drawn now. */
  int(min: number, max: number): number {
    return this.prng.integer(max - min) + min
  }

  get next(): Effect.Effect<number> {
    return Effect.sync(() => this.prng.number())
  }

  get nextBoolean(): Effect.Effect<boolean> {
    return Effect.map(this.next, (n) => n > 0.5)
  }

  get nextInt(): Effect.Effect<number> {
    return Effect.sync(() => this.prng.integer(Number.MAX_SAFE_INTEGER))
  }

  nextRange(min: number, max: number): Effect.Effect<number> {
    return Effect.map(this.next, (n) => (max - min) * n + min)
  }

  nextIntBetween(min: number, max: number): Effect.Effect<number> {
    return Effect.sync(() => this.int(min, max))
  }

  /** Fisher–Yates from the end, one draw per position, as Effect's own shuffle. */
  shuffle<A>(elements: Iterable<A>): Effect.Effect<Chunk.Chunk<A>> {
    return Effect.sync(() => {
      const buffer = Array.from(elements)
      for (let n = buffer.length; n >= 2; n--) {
        const k = this.int(0, n)
        const tmp = buffer[n - 1]!
        buffer[n - 1] = buffer[k]!
        buffer[k] = tmp
      }
      return Chunk.fromIterable(buffer)
    })
  }
}
