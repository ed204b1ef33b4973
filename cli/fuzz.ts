/**
 * `minik8s fuzz SCENARIO`: property-based fault injection over one scenario file (sim/fuzz). Prints
 * progress on a terminal, then either the pass line (runs, faults injected, simulated time, wall
 * time, coverage per fault kind) and exit 0, or the broken invariant, the shrunk schedule as keys to
 * paste under the scenario's `spec:`, the trace up to the violation and a replay token, and exit 1.
 * An invalid file, flag or token exits 2 with one line.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { parseDuration } from "../sim/scenario/Duration.js"
import { type FaultKind, faultKinds } from "../sim/faults/Arbitrary.js"
import { digestOf, type FuzzInvariant, fuzzInvariants, fuzz as runFuzz, type FuzzResult } from "../sim/fuzz/Fuzz.js"
import * as Token from "../sim/fuzz/Token.js"
import { safetyInvariants } from "../sim/scenario/Scenario.js"
import { formatTime } from "../sim/scenario/Time.js"
import type { KnownBug } from "../core/testing/KnownBugs.js"
import { defaultSize } from "../runtimes/WorkerPool.js"
import { load } from "./run.js"

export interface FuzzFlags {
  readonly path: string
  readonly runs: number
  readonly seed: number | undefined
  readonly faults: string | undefined
  readonly maxFaults: number
  readonly interleave: "fifo" | "random"
  readonly invariants: string | undefined
  readonly heal: string
  readonly longest: string
  readonly replay: string | undefined
  readonly workers: number | undefined
}

/** A comma-separated list of names out of `known`; `default` in invariants means every safety one. */
const names = <A extends string>(
  written: string,
  known: ReadonlyArray<A>,
  what: string,
  aliases: Readonly<Record<string, ReadonlyArray<A>>> = {}
): Either.Either<ReadonlyArray<A>, string> => {
  const result = new Set<A>()
  for (const name of written
    .split(",")
    .map((n) => n.trim())
    .filter((n) => n !== "")) {
    const alias = aliases[name]
    if (alias !== undefined) for (const a of alias) result.add(a)
    else if ((known as ReadonlyArray<string>).includes(name)) result.add(name as A)
    else
      return Either.left(`--${what}: unknown name "${name}" (known: ${[...Object.keys(aliases), ...known].join(", ")})`)
  }
  return result.size === 0 ? Either.left(`--${what}: name at least one`) : Either.right([...result])
}

const millis = (written: string, flag: string): Either.Either<number, string> =>
  Either.mapLeft(parseDuration(written), (message) => `--${flag}: ${message}`)

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`

const coverageLine = (result: FuzzResult): string =>
  Object.entries(result.coverage)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([kind, c]) => `${kind} ${c.fired}/${c.drawn}`)
    .join(", ")

export const fuzz = (flags: FuzzFlags): Effect.Effect<number> =>
  Effect.gen(function* () {
    const invalid = (line: string) => Effect.as(Console.error(line), 2)
    const loaded = load(flags.path)
    if (Either.isLeft(loaded)) return yield* invalid(loaded.left)
    const scenario = loaded.right

    let replay: Token.Token | undefined
    if (flags.replay !== undefined) {
      const decoded = Token.decode(flags.replay)
      if (Either.isLeft(decoded)) return yield* invalid(`--replay: ${decoded.left}`)
      replay = decoded.right
      if (replay.scenario !== scenario.name)
        return yield* invalid(`--replay: the token is for scenario "${replay.scenario}", not "${scenario.name}"`)
      if (replay.digest !== digestOf(scenario))
        yield* Console.error(`warning: ${flags.path} changed since the token was made; the replay may differ`)
      if (replay.bugs.length > 0)
        yield* Console.error(`note: this token plants the test-only bugs ${replay.bugs.join(", ")}`)
    }
    const kinds =
      replay !== undefined ? (replay.kinds ?? faultKinds) : flags.faults === undefined ? faultKinds : undefined
    const parsedKinds =
      kinds === undefined ? names<FaultKind>(flags.faults!, faultKinds, "faults") : Either.right(kinds)
    if (Either.isLeft(parsedKinds)) return yield* invalid(parsedKinds.left)
    const invariants =
      replay !== undefined
        ? Either.right((replay.invariants ?? fuzzInvariants) as ReadonlyArray<FuzzInvariant>)
        : flags.invariants === undefined
          ? Either.right(fuzzInvariants)
          : names<FuzzInvariant>(flags.invariants, fuzzInvariants, "invariants", { default: safetyInvariants })
    if (Either.isLeft(invariants)) return yield* invalid(invariants.left)
    const heal = replay === undefined ? millis(flags.heal, "heal") : Either.right(replay.heal)
    if (Either.isLeft(heal)) return yield* invalid(heal.left)
    const longest = replay === undefined ? millis(flags.longest, "longest") : Either.right(replay.longest)
    if (Either.isLeft(longest)) return yield* invalid(longest.left)
    if (longest.right < 1_000) return yield* invalid("--longest: must be at least 1s")
    if (flags.runs < 1) return yield* invalid("--runs: must be at least 1")
    if (flags.workers !== undefined && flags.workers < 1) return yield* invalid("--workers: must be at least 1")
    if (flags.maxFaults < 0) return yield* invalid("--max-faults: must be at least 0")

    // A seed not given is drawn and printed, so the session can be run again.
    const seed = replay?.seed ?? flags.seed ?? Math.floor(Math.random() * 2 ** 31)
    const terminal = process.stderr.isTTY === true
    const started = performance.now()
    const result = yield* Effect.promise(() =>
      runFuzz(
        scenario,
        {
          runs: replay === undefined ? flags.runs : 1,
          seed,
          kinds: parsedKinds.right,
          maxFaults: replay?.maxFaults ?? flags.maxFaults,
          interleave: replay?.interleave ?? flags.interleave,
          invariants: invariants.right,
          heal: heal.right,
          longest: longest.right,
          workers: flags.workers ?? defaultSize(),
          ...(replay === undefined || replay.bugs.length === 0
            ? {}
            : { bugs: new Set(replay.bugs as ReadonlyArray<KnownBug>) }),
          ...(terminal
            ? {
                onProgress: ({ runs, of, shrinks }) =>
                  process.stderr.write(
                    `\r  run ${runs}/${of}${shrinks > 0 ? `, shrinking: ${plural(shrinks, "step")}` : ""}   `
                  )
              }
            : {})
        },
        replay?.path
      )
    )
    if (terminal) process.stderr.write("\r\x1b[K")
    const wall = (performance.now() - started) / 1000
    const simulated = formatTime(result.simulatedSeconds * 1000)
    const rate = (result.runs / wall).toFixed(2)
    const failure = result.failure
    if (failure === undefined) {
      const passed = result.runs - result.vacuous
      yield* Console.log(
        `fuzz ${scenario.name}: PASS ${plural(passed, "run")}` +
          (result.vacuous > 0 ? ` (+${result.vacuous} vacuous: no drawn fault fired)` : "") +
          `, ${plural(result.faultsInjected, "fault")} injected, ${simulated} simulated in ${wall.toFixed(1)}s ` +
          `(${rate} runs/s on ${plural(result.workers, "thread")}), seed ${seed}`
      )
      if (result.runs > 0) yield* Console.log(`  fired/drawn: ${coverageLine(result)}`)
      return 0
    }
    const v = failure.violation
    yield* Console.log(
      `fuzz ${scenario.name}: FAIL ${v.invariant} at ${v.time} ` +
        `(${replay === undefined ? `run ${failure.foundAt}, shrunk in ${plural(failure.shrinks, "step")}` : "replayed"}): ${v.message}`
    )
    for (const other of failure.violations.slice(1, 5))
      yield* Console.log(`  also ${other.invariant} at ${other.time}: ${other.message}`)
    yield* Console.log(
      `\nminimal fault schedule (${plural(failure.schedule.length, "fault")}); to play it with minik8s run, put these keys under spec: in ${flags.path}:`
    )
    yield* Console.log(failure.fragment)
    if (failure.tape.length > 0)
      yield* Console.log(`  # the interleaving (a choice tape of ${failure.tape.length}) is in the replay token only`)
    yield* Console.log(`\ntrace up to the violation (faults, then the last events):`)
    for (const line of failure.traceAround) yield* Console.log(`  ${line}`)
    yield* Console.log(
      `\ntrace sha256 ${failure.summary.traceSha256}, seed ${seed}, ${result.runs} runs in ${wall.toFixed(1)}s`
    )
    yield* Console.log(`replay: minik8s fuzz ${flags.path} --replay ${failure.token}`)
    return 1
  })
