/**
 * `--workload` to a Workload: a file that exists is a workload YAML (`.yaml`, `.yml`) or a public
 * trace (`--format`, or told by its name); anything else is a generator spec, drawn with the job's
 * seed (so `--repeat` compares profiles on several samples of the workload). Errors are one line
 * naming the file, line and column (or the generator's options).
 */
import * as Either from "effect/Either"
import { existsSync } from "node:fs"
import { readFile } from "node:fs/promises"
import type { Job } from "../Job.js"
import { generate } from "./Generators.js"
import { importTrace } from "./importers/ImportTrace.js"
import type { Workload } from "./Workload.js"
import { read } from "./WorkloadFile.js"

// A worker runs several jobs of one workload: the last one loaded is kept.
let last: { readonly key: string; readonly workload: Workload } | undefined

const fromSource = async (job: Job): Promise<Workload> => {
  const { workload: source } = job
  if (!existsSync(source)) {
    const generated = generate(source, job.seed)
    if (Either.isLeft(generated)) {
      throw new Error(
        source.includes(":") || !/[./]/.test(source) ? generated.left : `${source}: no such file (${generated.left})`
      )
    }
    return generated.right
  }
  if (job.format === undefined && /\.ya?ml$/i.test(source)) {
    const parsed = read(await readFile(source, "utf8"), source)
    if (Either.isLeft(parsed)) throw new Error(parsed.left.toString())
    return parsed.right
  }
  const imported = importTrace(job.format, source)
  if (Either.isLeft(imported)) throw new Error(imported.left.toString())
  return imported.right
}

/** The job's workload; rejects with a one-line message. */
export const load = async (job: Job): Promise<Workload> => {
  const key = JSON.stringify([job.workload, job.format ?? "", existsSync(job.workload) ? 0 : job.seed])
  if (last?.key === key) return last.workload
  const workload = await fromSource(job)
  last = { key, workload }
  return workload
}
