import fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Random from "effect/Random"
import * as Cause from "effect/Cause"
import { Deadlock, Simulation, defaultStart, isSimClock } from "./Simulation.js"

/** Fibers that each sleep a random while and note when they woke: the order is the run's fingerprint. */
const workload = Effect.gen(function* () {
  const log: Array<string> = []
  yield* Effect.forEach(
    Array.from({ length: 20 }, (_, i) => i),
    (i) =>
      Effect.gen(function* () {
        for (let round = 0; round < 5; round++) {
          yield* Effect.sleep(yield* Random.nextIntBetween(0, 1000))
          yield* Effect.yieldNow()
          log.push(`${i}@${(yield* Clock.currentTimeMillis) - defaultStart}`)
        }
      }),
    { concurrency: "unbounded", discard: true }
  )
  return log
})

describe("Simulation", () => {
  it("runs sleeps in virtual time, earliest first, without waiting", () => {
    const sim = new Simulation({ seed: 1 })
    const exit = sim.run(
      Effect.gen(function* () {
        const log: Array<string> = []
        const sleeper = (name: string, ms: number) =>
          Effect.zipRight(
            Effect.sleep(ms),
            Effect.sync(() => log.push(`${name}@${sim.elapsed()}`))
          )
        yield* Effect.all([sleeper("c", 3_600_000), sleeper("a", 10), sleeper("b", 10), sleeper("z", 0)], {
          concurrency: "unbounded"
        })
        return log
      })
    )
    expect(exit).toEqual(Exit.succeed(["z@0", "a@10", "b@10", "c@3600000"]))
    expect(sim.elapsed()).toBe(3_600_000)
  })

  it("fires timers in order of time, then of setting, when many share a time, some are cancelled and fires set more", () => {
    const plan = fc.array(
      fc.record({
        delay: fc.integer({ min: 0, max: 4 }),
        cancel: fc.boolean(),
        then: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 })
      }),
      { minLength: 1, maxLength: 40 }
    )
    fc.assert(
      fc.property(plan, (timers) => {
        // The model: every timer set so far, each fired or skipped in order of (time, order set).
        interface Planned {
          readonly at: number
          readonly seq: number
          readonly name: string
          readonly then: ReadonlyArray<number>
          readonly cancel: boolean
        }
        const set: Array<Planned> = timers.map((t, i) => ({
          at: t.delay,
          seq: i,
          name: `${i}`,
          then: t.then,
          cancel: t.cancel
        }))
        const expected: Array<string> = []
        let nextSeq = set.length
        for (let left = [...set]; left.length > 0;) {
          left.sort((a, b) => a.at - b.at || a.seq - b.seq)
          const next = left.shift()!
          if (next.cancel) continue
          expected.push(`${next.name}@${next.at}`)
          next.then.forEach((d, k) =>
            left.push({ at: next.at + d, seq: nextSeq++, name: `${next.name}.${k}`, then: [], cancel: false })
          )
        }

        const sim = new Simulation({ seed: 1 })
        const fired: Array<string> = []
        const exit = sim.run(
          Effect.zipRight(
            Effect.sync(() =>
              timers.forEach((t, i) => {
                const fire = (name: string, then: ReadonlyArray<number>) => () => {
                  fired.push(`${name}@${sim.elapsed()}`)
                  then.forEach((d, k) => sim.schedule(d, fire(`${name}.${k}`, [])))
                }
                const timer = sim.schedule(t.delay, fire(`${i}`, t.then))
                if (t.cancel) timer.fire = undefined
              })
            ),
            Effect.sleep(1000)
          )
        )
        expect(Exit.isSuccess(exit)).toBe(true)
        expect(fired).toEqual(expected)
      }),
      { seed: 42, numRuns: 300 }
    )
  })

  it("sleepFor works out its time as the sleep starts, and a time of zero goes on at once, with no event", () => {
    const sim = new Simulation({ seed: 1 })
    const asked: Array<number> = []
    const exit = sim.run(
      Effect.gen(function* () {
        const clock = yield* Effect.clock
        if (!isSimClock(clock)) return "not the simulation's clock"
        const sleep = clock.sleepFor(() => {
          asked.push(sim.elapsed())
          return 250
        })
        yield* Effect.sleep(100)
        yield* sleep
        yield* sleep
        const events = sim.events()
        yield* clock.sleepFor(() => 0)
        return { woke: sim.elapsed(), extraEvents: sim.events() - events }
      })
    )
    expect(exit).toEqual(Exit.succeed({ woke: 600, extraEvents: 0 }))
    expect(asked).toEqual([100, 350])
  })

  it("an hour of 100 fibers beating every 10 s: each beats 359 times before the hour's timer, set first, wakes", () => {
    const sim = new Simulation({ seed: 1 })
    const beats = { n: 0 }
    const exit = sim.run(
      Effect.gen(function* () {
        const fibers = yield* Effect.forEach(Array.from({ length: 100 }), () =>
          Effect.fork(
            Effect.forever(
              Effect.zipRight(
                Effect.sleep("10 seconds"),
                Effect.sync(() => beats.n++)
              )
            )
          )
        )
        yield* Effect.sleep("1 hour")
        yield* Fiber.interruptAll(fibers)
      })
    )
    expect(Exit.isSuccess(exit)).toBe(true)
    expect(beats.n).toBe(35_900)
  })

  it("an interrupted sleep never fires, and timeouts work", () => {
    const sim = new Simulation({ seed: 1 })
    const exit = sim.run(
      Effect.gen(function* () {
        const slow = yield* Effect.timeout(Effect.sleep("1 minute"), "1 second").pipe(Effect.either)
        return [slow._tag, sim.elapsed()]
      })
    )
    expect(exit).toEqual(Exit.succeed(["Left", 1000]))
    expect(sim.timersFired()).toBe(1)
  })

  it("a sleep is 3 Effect operations more than Effect.void; an interrupted one leaves a timer that wakes nobody and is no event", () => {
    const operations = (step: Effect.Effect<void>) => {
      const sim = new Simulation({ seed: 1 })
      sim.run(Effect.repeatN(step, 99))
      return sim.operations()
    }
    expect((operations(Effect.sleep(10)) - operations(Effect.void)) / 100).toBe(3)
    const sim = new Simulation({ seed: 1 })
    const exit = sim.run(
      Effect.gen(function* () {
        const sleeper = yield* Effect.fork(Effect.sleep("1 minute"))
        yield* Effect.sleep("1 second")
        yield* Fiber.interrupt(sleeper)
        yield* Effect.sleep("2 minutes")
        return sim.elapsed()
      })
    )
    expect(exit).toEqual(Exit.succeed(120_000 + 1000))
    expect(sim.timersFired()).toBe(2)
  })

  it("the same seed gives the same run; another seed another one", () => {
    const run = (seed: number) => new Simulation({ seed }).run(workload)
    expect(run(7)).toEqual(run(7))
    expect(run(7)).not.toEqual(run(8))
  })

  it("random interleaving is reproducible from the seed and differs from FIFO order", () => {
    const run = (interleave: "fifo" | "random", seed: number) => {
      const order: Array<number> = []
      new Simulation({ seed, interleave }).run(
        Effect.forEach(
          Array.from({ length: 50 }, (_, i) => i),
          (i) =>
            Effect.zipRight(
              Effect.yieldNow(),
              Effect.sync(() => order.push(i))
            ),
          { concurrency: "unbounded", discard: true }
        )
      )
      return order
    }
    expect(run("random", 3)).toEqual(run("random", 3))
    expect(run("random", 3)).not.toEqual(run("fifo", 3))
    expect([...run("random", 3)].sort((a, b) => a - b)).toEqual(run("fifo", 3))
  })

  it("a choice tape picks among runnable tasks; an empty or all-zero tape is FIFO order", () => {
    const run = (tape: ReadonlyArray<number>) => {
      const order: Array<number> = []
      const sim = new Simulation({ seed: 3, tape })
      sim.run(
        Effect.forEach(
          Array.from({ length: 20 }, (_, i) => i),
          (i) =>
            Effect.zipRight(
              Effect.yieldNow(),
              Effect.sync(() => order.push(i))
            ),
          { concurrency: "unbounded", discard: true }
        )
      )
      return { order, used: sim.tapeUsed() }
    }
    const fifo = run([]).order
    expect(run([0, 0, 0, 0]).order).toEqual(fifo)
    const picked = run([5, 3, 1, 7, 2])
    expect(picked.order).toEqual(run([5, 3, 1, 7, 2]).order)
    expect(picked.order).not.toEqual(fifo)
    expect([...picked.order].sort((a, b) => a - b)).toEqual(fifo)
    expect(picked.used).toBe(5)
  })

  it("a program waiting on nothing dies with Deadlock", () => {
    const exit = new Simulation({ seed: 1 }).run(Effect.flatMap(Deferred.make<void>(), Deferred.await))
    expect(Exit.isFailure(exit) && Cause.squash(exit.cause)).toBeInstanceOf(Deadlock)
  })
})

describe("Simulation.runAsync", () => {
  it("gives the same run as run, letting the event loop turn in between", async () => {
    let turned = false
    setImmediate(() => {
      turned = true
    })
    let turnedBeforeTheEnd = false
    const program = Effect.tap(workload, () =>
      Effect.sync(() => {
        turnedBeforeTheEnd = turned
      })
    )
    const exit = await new Simulation({ seed: 7 }).runAsync(program, 50)
    expect(exit).toEqual(new Simulation({ seed: 7 }).run(workload))
    expect(turnedBeforeTheEnd).toBe(true)
  })
})
