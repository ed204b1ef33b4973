/**
 * `minik8s fuzz`: property-based fault injection over a scenario. fast-check draws a fault schedule
 * (and with `interleave: "random"` a choice tape for the simulation's scheduler); each draw runs the
 * scenario in simulation with that schedule as its fault track, for the scenario's length plus the
 * longest fault plus a heal phase, and checks the chosen invariants after every event, liveness at
 * the end, and the differential oracle: the end state and per-object create/delete counts against
 * the same scenario run without the drawn faults (unless a node crashed for good: then the clusters
 * differ by design). The scenario's own expectations are not judged
 * (they were written for the run without faults). A failure is shrunk by fast-check to a minimal
 * schedule, run once more for its trace, and answered with a replay token (seed + path).
 *
 * A run is vacuous when faults were drawn and none fired (a trigger never met, nothing to act on):
 * it is counted apart, never as a pass. Coverage says, per fault kind, how often it was drawn and
 * how often it fired.
 */
import { createHash } from "node:crypto"
import * as fc from "fast-check"
import type { KnownBug } from "../../core/testing/KnownBugs.js"
import { type FaultKind, faultKinds, schedule as scheduleOf, tape as tapeArbitrary } from "../faults/Arbitrary.js"
import { fragment, type Schedule, toTrack } from "../faults/Schedule.js"
import * as Differential from "../invariants/Differential.js"
import type { CustomInvariant } from "../invariants/Invariant.js"
import * as WorkerPool from "../../runtimes/WorkerPool.js"
import * as Run from "../scenario/Run.js"
import { type InvariantName, invariantNames, type Scenario, type ScheduledFault } from "../scenario/Scenario.js"
import type { Summary } from "../scenario/Summary.js"
import { formatTime } from "../scenario/Time.js"
import * as Token from "./Token.js"

/** An invariant `fuzz` can check: the scenario's, or the differential oracle. */
export type FuzzInvariant = InvariantName | "differential"

export const fuzzInvariants: ReadonlyArray<FuzzInvariant> = [...invariantNames, "differential"]

/** Every safety invariant, both liveness ones and the differential oracle. */
export const defaultInvariants: ReadonlyArray<FuzzInvariant> = fuzzInvariants

export interface FuzzOptions {
  readonly runs: number
  /** fast-check's seed. */
  readonly seed: number
  readonly kinds: ReadonlyArray<FaultKind>
  readonly maxFaults: number
  readonly interleave: "fifo" | "random"
  readonly invariants: ReadonlyArray<FuzzInvariant>
  /** The heal phase: how long after the longest fault's end liveness is judged, ms. */
  readonly heal: number
  /** The longest a timed fault lasts (and a crashed node stays down), ms. */
  readonly longest: number
  /** Bugs planted in the control plane: the known-bug catalogue's tests only. */
  readonly bugs?: ReadonlySet<KnownBug>
  readonly custom?: ReadonlyArray<CustomInvariant>
  /** Called after each run, and during shrinking. */
  readonly onProgress?: (progress: Progress) => void
  /**
   * Threads the runs are played on (default 1: this one). The runs are the same and are counted in
   * the same order, so the result is too; a failure is shrunk in this thread. Custom invariants are
   * functions of this thread: with them the runs stay here.
   */
  readonly workers?: number
}

export interface Progress {
  /** Runs done (not counting shrinking). */
  readonly runs: number
  readonly of: number
  /** Shrinking steps tried, once a failure was found. */
  readonly shrinks: number
}

/** Per fault kind: schedules drew it, and it fired. */
export type Coverage = Readonly<Record<string, { readonly drawn: number; readonly fired: number }>>

export interface Violation {
  readonly invariant: string
  readonly time: string
  readonly message: string
}

export interface FuzzFailure {
  /** The first violation of the shrunk schedule's run. */
  readonly violation: Violation
  readonly violations: ReadonlyArray<Violation>
  readonly schedule: Schedule
  /** The schedule as a fault track (time order, heals included). */
  readonly track: ReadonlyArray<ScheduledFault>
  readonly tape: ReadonlyArray<number>
  /** The keys to put under the scenario's `spec:` to play it with `minik8s run`. */
  readonly fragment: string
  /** Trace lines up to the violation. */
  readonly traceAround: ReadonlyArray<string>
  readonly token: string
  /** The run (1-based) that first failed, and the shrinking steps taken. */
  readonly foundAt: number
  readonly shrinks: number
  readonly summary: Summary
}

export interface FuzzResult {
  readonly scenario: string
  /** Runs done before stopping (all of them, or up to the failure). */
  readonly runs: number
  /** Runs whose drawn faults never fired. */
  readonly vacuous: number
  readonly faultsInjected: number
  readonly simulatedSeconds: number
  readonly coverage: Coverage
  /** Threads the runs were played on. */
  readonly workers: number
  readonly failure?: FuzzFailure
  /** The options the runs were drawn with, for a token. */
  readonly token: Omit<Token.Token, "path">
}

const sameSet = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): boolean =>
  a.length === b.length && a.every((x) => b.includes(x))

/** First 12 hex digits of the parsed scenario's SHA-256 (the file's path left out). */
export const digestOf = (scenario: Scenario): string =>
  createHash("sha256")
    .update(JSON.stringify({ ...scenario, file: "" }))
    .digest("hex")
    .slice(0, 12)

/** What a run is drawn as. */
export interface Draw {
  readonly schedule: Schedule
  readonly tape: ReadonlyArray<number>
}

/** One run's verdict. */
export interface Verdict {
  readonly violations: ReadonlyArray<Violation>
  readonly summary: Summary
  /** Per drawn fault (by index in the schedule): did it fire. */
  readonly fired: ReadonlyArray<boolean>
  readonly trace?: ReadonlyArray<string>
}

/** The scenario as a fuzz run plays it: longer by the longest fault and the heal phase, checking the chosen invariants. */
export const fuzzScenario = (
  scenario: Scenario,
  options: Pick<FuzzOptions, "invariants" | "heal" | "longest">
): Scenario => {
  const wanted = new Set<InvariantName>(scenario.invariants)
  for (const name of options.invariants) if (name !== "differential") wanted.add(name)
  return {
    ...scenario,
    duration: scenario.duration + options.longest + options.heal,
    invariants: invariantNames.filter((name) => wanted.has(name))
  }
}

/** Plays one drawn run of `scenario` and judges it (`options`: the fuzz session's). */
export const player = (
  scenario: Scenario,
  options: Pick<FuzzOptions, "invariants" | "bugs" | "custom" | "heal" | "longest">
): ((draw: Draw, keepTrace: boolean) => Promise<Verdict>) => {
  const played = fuzzScenario(scenario, options)
  const differential = options.invariants.includes("differential")
  let baseline: Differential.Fingerprint | undefined

  const fingerprintWithoutFaults = async (): Promise<Differential.Fingerprint> => {
    let recorder: Differential.Recorder | undefined
    await Run.run(played, {
      ...(options.bugs === undefined ? {} : { bugs: options.bugs }),
      onWorld: (world, elapsed) => (recorder = Differential.record(world, elapsed)),
      onAction: (step, met) => recorder?.action(step, met)
    })
    return recorder!.fingerprint()
  }

  return async (draw: Draw, keepTrace: boolean): Promise<Verdict> => {
    const { track, origin } = toTrack(draw.schedule)
    let recorder: Differential.Recorder | undefined
    const lines: Array<string> = []
    const summary = await Run.run(
      { ...played, faults: [...scenario.faults, ...track] },
      {
        tape: draw.tape,
        ...(options.bugs === undefined ? {} : { bugs: options.bugs }),
        ...(options.custom === undefined ? {} : { custom: options.custom }),
        ...(differential
          ? {
              onWorld: (world, elapsed) => (recorder = Differential.record(world, elapsed)),
              onAction: (step, met) => recorder?.action(step, met)
            }
          : {}),
        ...(keepTrace ? { trace: (line: string) => lines.push(line.trimEnd()) } : {})
      }
    )
    const violations: Array<Violation> = [...summary.invariantViolations]
    for (const failure of summary.failures) {
      // The run itself broke (a defect in the simulation or the control plane): always a failure.
      if (failure.check === "run") violations.push({ invariant: "run", time: failure.time, message: failure.message })
    }
    // A node crashed for good leaves a different cluster by design: the end states are not comparable.
    const permanent = draw.schedule.some((d) => d.fault._tag === "crashNode" && d.heal === undefined)
    if (differential && recorder !== undefined && !permanent) {
      baseline ??= await fingerprintWithoutFaults()
      const differences = Differential.compare(recorder.fingerprint(), baseline)
      if (differences.length > 0)
        violations.push({
          invariant: "differential",
          time: formatTime(played.duration),
          message:
            differences.slice(0, 5).join("; ") + (differences.length > 5 ? ` (+${differences.length - 5} more)` : "")
        })
    }
    const outcomes = (summary.faults ?? []).slice(scenario.faults.length)
    const fired = draw.schedule.map((_, i) => {
      const at = origin.findIndex((o) => o.drawn === i && !o.heal)
      return at >= 0 && outcomes[at]?.fired === true
    })
    return { violations, summary, fired, ...(keepTrace ? { trace: lines } : {}) }
  }
}

/** Runs the whole fuzz session. */
export const fuzz = async (scenario: Scenario, options: FuzzOptions, replay?: string): Promise<FuzzResult> => {
  const played = fuzzScenario(scenario, options)
  const playOnce = player(scenario, options)
  const tokenBase: Omit<Token.Token, "path"> = {
    scenario: scenario.name,
    digest: digestOf(scenario),
    seed: options.seed,
    // The defaults are left out: a token is copied by hand.
    ...(sameSet(options.kinds, faultKinds) ? {} : { kinds: options.kinds }),
    maxFaults: options.maxFaults,
    interleave: options.interleave,
    ...(sameSet(options.invariants, defaultInvariants) ? {} : { invariants: options.invariants }),
    heal: options.heal,
    longest: options.longest,
    bugs: [...(options.bugs ?? [])]
  }
  const arbitrary = fc.record({
    schedule: scheduleOf(scenario, {
      kinds: options.kinds,
      maxFaults: options.maxFaults,
      horizon: scenario.duration,
      longest: options.longest
    }),
    tape: options.interleave === "random" ? tapeArbitrary : fc.constant<ReadonlyArray<number>>([])
  })

  const coverage: Record<string, { drawn: number; fired: number }> = {}
  let runs = 0
  let vacuous = 0
  let injected = 0
  let shrinks = 0
  let failed = false
  let simulated = 0

  const workers =
    replay === undefined && (options.custom ?? []).length === 0
      ? Math.max(1, Math.min(options.workers ?? 1, options.runs))
      : 1
  const result = () => ({
    scenario: scenario.name,
    runs,
    vacuous,
    faultsInjected: injected,
    simulatedSeconds: simulated,
    coverage,
    workers,
    token: tokenBase
  })

  /** Counts a run (not a shrinking step) into the session's figures; answers whether it failed. */
  const count = (draw: Draw, verdict: Verdict): boolean => {
    runs++
    simulated += verdict.summary.simulatedSeconds
    draw.schedule.forEach((drawn, i) => {
      const entry = (coverage[drawn.fault._tag] ??= { drawn: 0, fired: 0 })
      entry.drawn++
      if (verdict.fired[i]) {
        entry.fired++
        injected++
      }
    })
    if (draw.schedule.length > 0 && !verdict.fired.some((f) => f)) vacuous++
    if (verdict.violations.length > 0) failed = true
    options.onProgress?.({ runs, of: options.runs, shrinks })
    return verdict.violations.length > 0
  }

  const property = fc.asyncProperty(arbitrary, async (draw) => {
    const verdict = await playOnce(draw, false)
    if (failed) {
      shrinks++
      options.onProgress?.({ runs, of: options.runs, shrinks })
    } else count(draw, verdict)
    return verdict.violations.length === 0
  })

  // On threads, the runs fast-check would draw are played ahead and counted in order; the first that
  // fails is then replayed here by its path, and fast-check shrinks it as it would have.
  let path = replay
  if (workers > 1) {
    const draws = fc.sample(arbitrary, { seed: options.seed, numRuns: options.runs })
    const first = await firstFailure(draws, workers, { scenario, options }, count)
    if (first === undefined) return result()
    path = String(first)
  }

  const details = await fc.check(property, {
    seed: options.seed,
    numRuns: options.runs,
    ...(path === undefined ? {} : { path }),
    // A token's path is already shrunk.
    ...(replay === undefined ? {} : { endOnFailure: true })
  })

  if (!details.failed || details.counterexample === null) return result()
  const [draw] = details.counterexample
  const verdict = await playOnce(draw, true)
  // The property threw rather than answered false: a bug of the fuzzer itself, not a finding.
  if (verdict.violations.length === 0) throw details.errorInstance
  const { track } = toTrack(draw.schedule)
  const violation = verdict.violations[0] ?? { invariant: "?", time: "0s", message: "the run did not fail again" }
  return {
    ...result(),
    failure: {
      violation,
      violations: verdict.violations,
      schedule: draw.schedule,
      track,
      tape: draw.tape,
      fragment: fragment([...scenario.faults, ...track], {
        seed: scenario.seed,
        duration: played.duration,
        invariants: played.invariants
      }),
      traceAround: around(verdict.trace ?? [], violation),
      token: Token.encode({ ...tokenBase, path: details.counterexamplePath ?? "" }),
      foundAt: runs,
      shrinks: details.numShrinks,
      summary: verdict.summary
    }
  }
}

/** What a fuzz thread is started with: the session, less what cannot cross threads. */
export interface ThreadInit {
  readonly scenario: Scenario
  readonly options: Pick<FuzzOptions, "invariants" | "heal" | "longest"> & { readonly bugs: ReadonlyArray<KnownBug> }
}

/**
 * Plays `draws` on `workers` threads, a bounded window ahead, and `count`s their verdicts in order
 * up to the first failing run, whose index it answers (undefined: none failed).
 */
const firstFailure = async (
  draws: ReadonlyArray<Draw>,
  workers: number,
  session: { readonly scenario: Scenario; readonly options: FuzzOptions },
  count: (draw: Draw, verdict: Verdict) => boolean
): Promise<number | undefined> => {
  const init: ThreadInit = {
    scenario: session.scenario,
    options: {
      invariants: session.options.invariants,
      heal: session.options.heal,
      longest: session.options.longest,
      bugs: [...(session.options.bugs ?? [])]
    }
  }
  const pool = WorkerPool.make<Draw, Verdict>(new URL("./Thread.ts", import.meta.url), workers, init)
  // Verdicts still to count, by run; each is dropped once counted (a run's summary holds its samples).
  const playing: Array<Promise<Verdict> | undefined> = []
  try {
    for (let i = 0; i < draws.length; i++) {
      while (playing.length < Math.min(draws.length, i + 2 * workers)) {
        const verdict = pool.run(draws[playing.length]!)
        verdict.catch(() => undefined) // runs past a failure are dropped when the pool closes
        playing.push(verdict)
      }
      const verdict = await playing[i]!
      playing[i] = undefined
      if (count(draws[i]!, verdict)) return i
    }
    return undefined
  } finally {
    await pool.close()
  }
}

/** The trace lines before the violation: the last 20 events, and every fault line of the run. */
const around = (lines: ReadonlyArray<string>, violation: Violation): ReadonlyArray<string> => {
  const at = lines.findIndex(
    (line) => line.includes(`"e":"violation"`) && line.includes(`"invariant":"${violation.invariant}"`)
  )
  const end = at < 0 ? lines.length : at + 1
  const faults = lines.slice(0, Math.max(0, end - 20)).filter((line) => line.includes(`"c":"fault"`))
  return [...faults, ...lines.slice(Math.max(0, end - 20), end)]
}
