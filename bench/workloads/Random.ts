/**
 * The seeded random numbers workload generators draw from: xoshiro128** seeded through splitmix32,
 * so a generator's workload is a pure function of its options and seed, the same on every machine.
 * Plain synchronous calls, as a generator makes hundreds of thousands of draws.
 */

/** A stream of random numbers; every draw advances it. */
export interface Random {
  /** Uniform in [0, 1). */
  readonly next: () => number
  /** Uniform in [min, max). */
  readonly uniform: (min: number, max: number) => number
  /** A whole number in [min, max], both included. */
  readonly integer: (min: number, max: number) => number
  /** Normal (Box–Muller). */
  readonly normal: (mean: number, sd: number) => number
  /** e^X for X normal(mu, sigma): the median is e^mu. */
  readonly logNormal: (mu: number, sigma: number) => number
  /** Pareto: at least `scale`, tail index `shape` (a smaller shape is a heavier tail). */
  readonly pareto: (scale: number, shape: number) => number
  /** Exponential with this mean. */
  readonly exponential: (mean: number) => number
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k))

/** The stream of `seed` (any safe integer; its high bits count too). */
export const make = (seed: number): Random => {
  // splitmix32 spreads the seed over the 128 bits of state, so nearby seeds give unrelated streams.
  let mix = (seed | 0) ^ Math.imul(Math.floor(seed / 2 ** 32) | 0, 0x9e3779b1)
  const splitmix = (): number => {
    mix = (mix + 0x9e3779b9) | 0
    let z = Math.imul(mix ^ (mix >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return z ^ (z >>> 16)
  }
  let [s0, s1, s2, s3] = [splitmix(), splitmix(), splitmix(), splitmix()]
  const next = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0
    const t = s1 << 9
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = rotl(s3, 11)
    return result / 2 ** 32
  }
  const normal = (mean: number, sd: number): number =>
    mean + sd * Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next())
  return {
    next,
    uniform: (min, max) => min + (max - min) * next(),
    integer: (min, max) => min + Math.floor((max - min + 1) * next()),
    normal,
    logNormal: (mu, sigma) => Math.exp(normal(mu, sigma)),
    pareto: (scale, shape) => scale * (1 - next()) ** (-1 / shape),
    exponential: (mean) => -mean * Math.log(1 - next())
  }
}
