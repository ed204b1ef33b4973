/**
 * Draws from Effect's `Random` that cost one operation however many numbers they take, when the
 * `Random` can also draw without an Effect (the simulation's, `int`), and one draw after another
 * otherwise. Either way the numbers, and their order, are those of `Random.nextIntBetween`.
 */
import * as Effect from "effect/Effect"
import type * as Random from "effect/Random"

/** A `Random` that can also draw a whole number in [min, max) at once, as `nextIntBetween` would. */
export interface DrawsNow {
  readonly int: (min: number, max: number) => number
}

const drawsNow = (random: Random.Random): random is Random.Random & DrawsNow =>
  typeof (random as Partial<DrawsNow>).int === "function"

/** `f` of `count` whole numbers in [min, max) drawn in order from `random` (a Random already read). */
export const withIntsFrom = <A>(
  random: Random.Random,
  count: number,
  min: number,
  max: number,
  f: (ints: ReadonlyArray<number>) => A
): Effect.Effect<A> =>
  drawsNow(random)
    ? Effect.sync(() => f(Array.from({ length: count }, () => random.int(min, max))))
    : Effect.map(Effect.replicateEffect(random.nextIntBetween(min, max), count), f)

/** `f` of `count` whole numbers in [min, max), drawn in order from the fiber's Random. */
export const withIntsBetween = <A>(
  count: number,
  min: number,
  max: number,
  f: (ints: ReadonlyArray<number>) => A
): Effect.Effect<A> => Effect.randomWith((random) => withIntsFrom(random, count, min, max, f))
