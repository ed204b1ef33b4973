/**
 * `minik8s run FILE|DIR…`: runs scenario files in simulation. Prints the timeline on a terminal
 * (unless --quiet), one closing line per scenario and a total for several; `--json` prints only
 * the summary. Exit code: 0 every scenario passed, 1 one failed, 2 one is invalid (the worst wins).
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { parse } from "../sim/scenario/Parse.js"
import * as Report from "../sim/scenario/Report.js"
import * as Run from "../sim/scenario/Run.js"
import type { Scenario } from "../sim/scenario/Scenario.js"
import { closingLine, type Summary, toJson } from "../sim/scenario/Summary.js"

export interface RunFlags {
  readonly paths: ReadonlyArray<string>
  readonly seed: number | undefined
  readonly interleave: "fifo" | "random"
  readonly trace: string | undefined
  readonly report: string | undefined
  readonly json: boolean
  readonly quiet: boolean
}

/** The scenario files named: a folder stands for its `.yaml`/`.yml` files, in name order. */
const expand = (paths: ReadonlyArray<string>): Array<string> =>
  paths.flatMap((path) => {
    if (Fs.existsSync(path) && Fs.statSync(path).isDirectory()) {
      return Fs.readdirSync(path)
        .filter((name) => /\.ya?ml$/.test(name))
        .sort()
        .map((name) => Path.join(path, name))
    }
    return [path]
  })

/** `trace.jsonl` for one scenario, `trace.NAME.jsonl` for each of several. */
const perScenario = (path: string, name: string, several: boolean) => {
  if (!several) return path
  const ext = Path.extname(path)
  return `${path.slice(0, path.length - ext.length)}.${name}${ext}`
}

const read = (path: string) => Fs.readFileSync(path, "utf8")

/** Loads and validates one scenario file: the scenario, or the one line that says what is wrong. */
export const load = (file: string): Either.Either<Scenario, string> => {
  let text: string
  try {
    text = read(file)
  } catch (e) {
    return Either.left(`${file}: cannot read: ${e instanceof Error ? e.message : String(e)}`)
  }
  return Either.mapLeft(parse(text, file, read), (error) => error.toString())
}

export const run = (flags: RunFlags): Effect.Effect<number, never, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const files = expand(flags.paths)
    const several = files.length > 1
    const terminal = process.stdout.isTTY === true
    const summaries: Array<Summary> = []
    let worst = 0
    for (const file of files) {
      const loaded = load(file)
      if (Either.isLeft(loaded)) {
        yield* Console.error(loaded.left)
        worst = 2
        continue
      }
      const scenario = loaded.right
      const tracePath = flags.trace === undefined ? undefined : perScenario(flags.trace, scenario.name, several)
      const traceFd = tracePath === undefined ? undefined : Fs.openSync(tracePath, "w")
      const timeline = !flags.json && !flags.quiet && terminal
      if (timeline) yield* Console.log(`scenario ${scenario.name}: ${scenario.description}`.trimEnd())
      const started = performance.now()
      const result = yield* Effect.promise(() =>
        Run.run(scenario, {
          ...(flags.seed === undefined ? {} : { seed: flags.seed }),
          interleave: flags.interleave,
          ...(traceFd === undefined ? {} : { trace: (line: string) => Fs.writeSync(traceFd, line) }),
          ...(timeline ? { onLine: (line: string) => process.stdout.write(line + "\n") } : {})
        })
      )
      const summary = { ...result, wallSeconds: (performance.now() - started) / 1000 }
      if (traceFd !== undefined) Fs.closeSync(traceFd)
      summaries.push(summary)
      if (!summary.passed) worst = Math.max(worst, 1)
      if (flags.report !== undefined) {
        const dir = several ? Path.join(flags.report, scenario.name) : flags.report
        const written = yield* Effect.either(Report.write(dir, summary))
        if (Either.isLeft(written)) {
          yield* Console.error(`${dir}: cannot write the report: ${written.left.message}`)
          worst = Math.max(worst, 1)
        }
      }
      if (!flags.json) {
        // Without the timeline, the failures still deserve a line each.
        if (!timeline) {
          for (const f of summary.failures) yield* Console.log(`  ${f.time} step ${f.step}: ${f.check}: ${f.message}`)
          for (const v of summary.invariantViolations) yield* Console.log(`  ${v.time} ${v.invariant}: ${v.message}`)
        }
        yield* Console.log(closingLine(summary))
      }
    }
    if (flags.json) {
      yield* Console.log(
        several ? `[${summaries.map(toJson).join(",\n")}]` : summaries.length === 1 ? toJson(summaries[0]!) : "null"
      )
    } else if (several) {
      const passed = summaries.filter((s) => s.passed).length
      const invalid = files.length - summaries.length
      yield* Console.log(
        `total: ${files.length} scenarios, ${passed} passed, ${summaries.length - passed} failed` +
          (invalid > 0 ? `, ${invalid} invalid` : "")
      )
    }
    return worst
  })
