import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as fc from "fast-check"
import { withIntsBetween } from "../../core/api/random.js"
import { SimRandom } from "./SimRandom.js"

type Call = "next" | "nextBoolean" | "nextInt" | "nextRange" | "nextIntBetween" | "shuffle" | "int"

/** What one call answers; `int` is drawn from Effect's own Random as `nextIntBetween` with the same bounds. */
const play = (random: Random.Random, call: Call, a: number, b: number): unknown => {
  const [min, max] = a <= b ? [a, b + 1] : [b, a + 1]
  switch (call) {
    case "next":
      return Effect.runSync(random.next)
    case "nextBoolean":
      return Effect.runSync(random.nextBoolean)
    case "nextInt":
      return Effect.runSync(random.nextInt)
    case "nextRange":
      return Effect.runSync(random.nextRange(min, max))
    case "nextIntBetween":
      return Effect.runSync(random.nextIntBetween(min, max))
    case "shuffle":
      return Chunk.toReadonlyArray(Effect.runSync(random.shuffle(["a", "b", "c", "d", "e"].slice(0, max - min))))
    case "int":
      return random instanceof SimRandom ? random.int(min, max) : Effect.runSync(random.nextIntBetween(min, max))
  }
}

describe("SimRandom", () => {
  it("draws the numbers Effect's Random.make draws from the same seed, call for call", () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.array(
          fc.tuple(
            fc.constantFrom<Call>("next", "nextBoolean", "nextInt", "nextRange", "nextIntBetween", "shuffle", "int"),
            fc.integer({ min: -5, max: 5 }),
            fc.integer({ min: -5, max: 5 })
          ),
          { maxLength: 30 }
        ),
        (seed, calls) => {
          const ours = new SimRandom(seed)
          const effects = Random.make(seed)
          for (const [call, a, b] of calls) expect(play(ours, call, a, b)).toEqual(play(effects, call, a, b))
        }
      ),
      { seed: 42, numRuns: 300 }
    )
  })

  it("withIntsBetween draws, at once, what nextIntBetween draws one by one, from SimRandom and from Effect's Random", () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.integer({ min: 1, max: 2 ** 31 }),
        (seed, count, min, span) => {
          const oneByOne = Effect.runSync(
            Effect.replicateEffect(Random.nextIntBetween(min, min + span), count).pipe(
              Effect.withRandom(Random.make(seed))
            )
          )
          const draw = withIntsBetween(count, min, min + span, (ints) => [...ints])
          expect(Effect.runSync(Effect.withRandom(draw, new SimRandom(seed)))).toEqual(oneByOne)
          expect(Effect.runSync(Effect.withRandom(draw, Random.make(seed)))).toEqual(oneByOne)
        }
      ),
      { seed: 42, numRuns: 200 }
    )
  })
})
