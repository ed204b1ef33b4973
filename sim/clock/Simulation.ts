/**
 * Virtual time for Effect: the driver of a simulated run.
 *
 * A `Simulation` owns an Effect `Scheduler` (it queues every task Effect hands it) and a `Clock`
 * whose `sleep` puts a timer into a heap ordered by time, then by insertion. `run` forks the
 * program with both (forked fibers inherit them) and a seeded `Random` (a `SimRandom`), then
 * loops: it runs queued tasks until none is left, then moves virtual time to the earliest timer
 * and fires it. No wall clock, real timer or I/O is involved, so a run is a pure function of the
 * program and the seed.
 *
 * With `interleave: "random"` the next task is picked at random among the runnable ones (from a
 * generator seeded apart from the program's `Random`) and fibers yield at random points, to explore
 * other orders of the same events. With a `tape` the choices are data instead: each time two or more
 * tasks are runnable, the next number of the tape picks one (its index among them, modulo their
 * count; 0 is the oldest), and once the tape is used up the order is first-in first-out. A tape is
 * what fast-check generates and shrinks (a shorter tape, smaller numbers: closer to the plain order).
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import type * as Scheduler from "effect/Scheduler"
import { SimRandom } from "./SimRandom.js"

export interface SimulationOptions {
  /** Seeds the program's `Random` (and the interleaving). */
  readonly seed: number
  /** `fifo` (default): tasks run in the order they were queued; `random`: a seeded random order. */
  readonly interleave?: "fifo" | "random"
  /** The choice tape: which runnable task runs next, at each choice (see above); overrides `interleave`. */
  readonly tape?: ReadonlyArray<number>
  /** Virtual epoch millis at the start; default 2025-01-01T00:00:00Z. */
  readonly start?: number
  /** Called before every Effect operation with the fiber that runs it (profiling: where the work goes). */
  readonly onOperation?: (fiber: Fiber.RuntimeFiber<unknown, unknown>) => void
}

export const defaultStart = Date.UTC(2025, 0, 1)

/** The simulation's Clock, which can also sleep for a time worked out as the sleep starts. */
export interface SimClock extends Clock.Clock {
  /**
   * Sleeps `millis()` ms, called as the sleep starts (a latency drawn from the run's `SimRandom`,
   * say): one asynchronous step, where drawing first and then sleeping takes three. Zero or less
   * goes on at once.
   */
  readonly sleepFor: (millis: () => number) => Effect.Effect<void>
}

/** Whether `clock` is a simulation's. */
export const isSimClock = (clock: Clock.Clock): clock is SimClock => "sleepFor" in clock

/** The program waited on something no fiber and no timer could ever bring. */
export class Deadlock extends Error {
  constructor(readonly at: number) {
    super(`simulation deadlocked at ${new Date(at).toISOString()}: no runnable fiber and no timer`)
  }
}

interface Timer {
  readonly at: number
  readonly seq: number
  fire: (() => void) | undefined
}

const earlier = (a: Timer, b: Timer) => a.at < b.at || (a.at === b.at && a.seq < b.seq)

/** A binary min-heap of timers; cancelled timers stay until they reach the top (`fire` cleared). */
class TimerHeap {
  private readonly items: Array<Timer> = []

  get size(): number {
    return this.items.length
  }

  push(timer: Timer): void {
    const items = this.items
    items.push(timer)
    let i = items.length - 1
    // Sifts a hole up, then fills it: no pair swapped through a temporary array on every step.
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!earlier(timer, items[parent]!)) break
      items[i] = items[parent]!
      i = parent
    }
    items[i] = timer
  }

  pop(): Timer | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (top === undefined || last === undefined || items.length === 0) return top
    // Sifts a hole down from the top, then puts the last timer in it.
    const n = items.length
    let i = 0
    while (true) {
      const l = 2 * i + 1
      if (l >= n) break
      const child = l + 1 < n && earlier(items[l + 1]!, items[l]!) ? l + 1 : l
      if (!earlier(items[child]!, last)) break
      items[i] = items[child]!
      i = child
    }
    items[i] = last
    return top
  }
}

/** mulberry32: a small seeded generator for the interleaving, apart from the program's Random. */
const generator = (seed: number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Operations a fiber runs before it lets others run (Effect's default). */
const maxOpsBeforeYield = 2048

export class Simulation {
  private readonly tasks: Array<Scheduler.Task> = []
  private head = 0
  private readonly timers = new TimerHeap()
  private seq = 0
  private time: number
  private fired = 0
  private ran = 0
  private ops = 0
  private readonly pick: (() => number) | undefined
  private readonly tape: ReadonlyArray<number> | undefined
  private choice = 0

  readonly scheduler: Scheduler.Scheduler
  readonly clock: SimClock

  constructor(readonly options: SimulationOptions) {
    this.time = options.start ?? defaultStart
    this.tape = options.tape !== undefined && options.tape.length > 0 ? options.tape : undefined
    this.pick =
      options.interleave === "random" && this.tape === undefined ? generator(options.seed ^ 0x5bd1e995) : undefined
    const pick = this.pick
    const profile = options.onOperation
    // Effect asks before every operation a fiber runs: counting here counts the run's operations.
    this.scheduler = {
      shouldYield: profile
        ? (fiber) => (
            profile(fiber),
            ++this.ops,
            fiber.currentOpCount > maxOpsBeforeYield || (pick !== undefined && pick() < 1 / 64) ? 0 : false
          )
        : pick
          ? (fiber) => (++this.ops, fiber.currentOpCount > maxOpsBeforeYield || pick() < 1 / 64 ? 0 : false)
          : (fiber) => (++this.ops, fiber.currentOpCount > maxOpsBeforeYield ? 0 : false),
      scheduleTask: (task) => {
        this.tasks.push(task)
      }
    }
    const currentTimeMillis = Effect.sync(() => this.time)
    const currentTimeNanos = Effect.sync(() => BigInt(this.time) * 1_000_000n)
    this.clock = {
      [Clock.ClockTypeId]: Clock.ClockTypeId,
      unsafeCurrentTimeMillis: () => this.time,
      currentTimeMillis,
      unsafeCurrentTimeNanos: () => BigInt(this.time) * 1_000_000n,
      currentTimeNanos,
      sleep: (duration) => this.sleep(Duration.toMillis(duration)),
      sleepFor: (millis) =>
        Effect.async<void>((resume) => {
          const ms = millis()
          if (ms > 0) this.schedule(ms, () => resume(Effect.void))
          else resume(Effect.void)
        })
    }
  }

  /** Virtual epoch millis now. */
  now(): number {
    return this.time
  }

  /** Virtual millis since the start. */
  elapsed(): number {
    return this.time - (this.options.start ?? defaultStart)
  }

  /** Tasks run and timers fired so far: the run's event count. */
  events(): number {
    return this.ran + this.fired
  }

  /** Effect operations run so far: a measure of the run's work that, unlike wall time, is the same on every machine. */
  operations(): number {
    return this.ops
  }

  timersFired(): number {
    return this.fired
  }

  /** How many numbers of the tape were used (the rest made no difference). */
  tapeUsed(): number {
    return this.choice
  }

  /**
   * Waits `millis` of virtual time: one asynchronous step parked on the timer heap (a few Effect
   * operations). It has no interruption handler, which would cost more operations than the sleep
   * on every sleep: an interrupted sleep leaves its timer, which then wakes nobody (Effect resumes
   * a wait at most once) and is no event.
   */
  sleep(millis: number): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      this.schedule(millis, () => resume(Effect.void))
    })
  }

  /**
   * Calls `fire` (outside any fiber) once `delay` millis of virtual time have passed. Setting the
   * answered timer's `fire` to undefined cancels it: it is skipped when due and does not move time.
   */
  schedule(delay: number, fire: () => void): { fire: (() => void) | undefined } {
    const timer: Timer = { at: this.time + Math.max(0, delay), seq: this.seq++, fire }
    this.timers.push(timer)
    return timer
  }

  /**
   * Runs `effect` in virtual time until it completes and answers its exit. A program that waits
   * with nothing left to wake it dies with `Deadlock`. Blocks the thread for the whole run.
   */
  run<A, E>(effect: Effect.Effect<A, E>): Exit.Exit<A, E> {
    const run = this.start(effect)
    while (run.exit === undefined) if (!this.advance()) return Exit.die(new Deadlock(this.time))
    return run.exit
  }

  /**
   * The same run, but it lets the process's own event loop turn every `yieldEvery` events (so a
   * long run does not starve output, signals or a test runner). Nothing of the simulation happens
   * in between, so the run is the same as `run`'s.
   */
  async runAsync<A, E>(effect: Effect.Effect<A, E>, yieldEvery = 20_000): Promise<Exit.Exit<A, E>> {
    const run = this.start(effect)
    while (run.exit === undefined) {
      for (let i = 0; i < yieldEvery && run.exit === undefined; i++) {
        if (!this.advance()) return Exit.die(new Deadlock(this.time))
      }
      await new Promise((resolve) => setImmediate(resolve))
    }
    return run.exit
  }

  private start<A, E>(effect: Effect.Effect<A, E>): { exit: Exit.Exit<A, E> | undefined } {
    const fiber: Fiber.RuntimeFiber<A, E> = Effect.runFork(
      effect.pipe(Effect.withClock(this.clock), Effect.withRandom(new SimRandom(this.options.seed))),
      { scheduler: this.scheduler }
    )
    const run: { exit: Exit.Exit<A, E> | undefined } = { exit: undefined }
    fiber.addObserver((exit) => {
      run.exit = exit
    })
    return run
  }

  /** Runs one task, or else fires the earliest timer; false when neither is left. */
  private advance(): boolean {
    if (this.runTask()) return true
    while (true) {
      const timer = this.timers.pop()
      if (timer === undefined) return false
      if (timer.fire === undefined) continue
      this.time = timer.at
      const fire = timer.fire
      timer.fire = undefined
      // A timer that made no fiber runnable (an interrupted sleep's) is no event.
      const queued = this.tasks.length
      fire()
      if (this.tasks.length > queued) this.fired++
      return true
    }
  }

  private runTask(): boolean {
    const tasks = this.tasks
    if (this.head >= tasks.length) {
      if (this.head > 0) {
        tasks.length = 0
        this.head = 0
      }
      return false
    }
    let task: Scheduler.Task
    const runnable = tasks.length - this.head
    const tape = this.tape
    if (tape !== undefined && runnable > 1 && this.choice < tape.length) {
      const at = this.head + (tape[this.choice++]! % runnable)
      task = tasks[at]!
      tasks[at] = tasks[this.head]!
      tasks[this.head++] = undefined as never
    } else if (this.pick === undefined) {
      task = tasks[this.head]!
      tasks[this.head++] = undefined as never
    } else {
      const at = this.head + Math.floor(this.pick() * runnable)
      task = tasks[at]!
      tasks[at] = tasks[this.head]!
      tasks[this.head++] = undefined as never
    }
    this.ran++
    task()
    return true
  }
}
