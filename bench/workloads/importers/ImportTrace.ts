/**
 * The entry the CLI calls for a public trace file: `importTrace(format, path, options)`.
 *
 * - The format (`alibaba-v2018`, `alibaba-gpu`, `google-2019`) is guessed from the file name when
 *   not given: `batch_task*`/`container_meta*`, `openb_pod_list*`, `*instance_events*`. In
 *   alibaba-v2018, a name with `container_meta` reads containers, any other batch tasks.
 * - The nodes: `options.nodes` if given; else the machine file `options.nodeFile`; else the one the
 *   trace publishes beside it in the same folder (`machine_meta.csv`, `openb_node_list_gpu_node.csv`,
 *   `machine_events.jsonl` or `.json`) when present; else `machines` default nodes. Machines left
 *   out of the machine file join the workload's `skipped` counts.
 */
import * as Either from "effect/Either"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { importOpenbPods, openbNodes } from "./AlibabaGpu.js"
import { importBatchTask, importContainerMeta, machineMeta } from "./AlibabaV2018.js"
import { importInstanceEvents, machineEvents } from "./Google2019.js"
import { ImportError } from "./ImportError.js"
import { type MachineSize, Skipped, type TraceNodes, type TraceOptions, type TraceWorkload } from "./TraceWorkload.js"

export const traceFormats = ["alibaba-v2018", "alibaba-gpu", "google-2019"] as const
export type TraceFormat = (typeof traceFormats)[number]

export interface ImportTraceOptions extends TraceOptions, MachineSize {
  /** The trace's machine file; default: the one beside the trace file, if there. */
  readonly nodeFile?: string
}

/** The format a trace file's name says it is in, if it says. */
export const guessFormat = (path: string): TraceFormat | undefined => {
  const name = Path.basename(path).toLowerCase()
  if (name.includes("batch_task") || name.includes("container_meta")) return "alibaba-v2018"
  if (name.includes("openb_pod_list")) return "alibaba-gpu"
  if (name.includes("instance_events")) return "google-2019"
  return undefined
}

/** The machine files each trace publishes, by the names it uses. */
const machineFiles: Record<TraceFormat, ReadonlyArray<string>> = {
  "alibaba-v2018": ["machine_meta.csv"],
  "alibaba-gpu": ["openb_node_list_gpu_node.csv"],
  "google-2019": ["machine_events.jsonl", "machine_events.json"]
}

const whole = (file: string, message: string) => new ImportError({ file, line: 0, column: 0, field: "", message })

const read = (file: string): Either.Either<string, ImportError> => {
  try {
    return Either.right(Fs.readFileSync(file, "utf8"))
  } catch (error) {
    return Either.left(whole(file, `cannot read: ${error instanceof Error ? error.message : String(error)}`))
  }
}

const isFormat = (format: string): format is TraceFormat => (traceFormats as ReadonlyArray<string>).includes(format)

const nodesOf = (format: TraceFormat, text: string, file: string, options: MachineSize) =>
  format === "alibaba-v2018"
    ? machineMeta(text, file, options)
    : format === "alibaba-gpu"
      ? openbNodes(text, file)
      : machineEvents(text, file, options)

const workloadOf = (format: TraceFormat, text: string, file: string, options: ImportTraceOptions) =>
  format === "alibaba-v2018"
    ? Path.basename(file).toLowerCase().includes("container_meta")
      ? importContainerMeta(text, file, options)
      : importBatchTask(text, file, options)
    : format === "alibaba-gpu"
      ? importOpenbPods(text, file, options)
      : importInstanceEvents(text, file, options)

/** Reads a public trace file (and its machine file) into a workload; `format` undefined: guessed from the name. */
export const importTrace = (
  format: string | undefined,
  path: string,
  options: ImportTraceOptions = {}
): Either.Either<TraceWorkload, ImportError> =>
  Either.gen(function* () {
    const known = format ?? guessFormat(path)
    if (known === undefined)
      return yield* Either.left(
        whole(path, `cannot tell the trace format from the file name; give one of ${traceFormats.join(", ")}`)
      )
    if (!isFormat(known))
      return yield* Either.left(whole(path, `unknown trace format "${known}" (known: ${traceFormats.join(", ")})`))
    const text = yield* read(path)
    const nodeFile =
      options.nodes !== undefined
        ? undefined
        : (options.nodeFile ??
          machineFiles[known].map((name) => Path.join(Path.dirname(path), name)).find((p) => Fs.existsSync(p)))
    let machines: TraceNodes | undefined
    if (nodeFile !== undefined) machines = yield* nodesOf(known, yield* read(nodeFile), nodeFile, options)
    const workload = yield* workloadOf(
      known,
      text,
      path,
      machines === undefined ? options : { ...options, nodes: machines.nodes }
    )
    if (machines === undefined) return workload
    const skipped = new Skipped()
    for (const [reason, n] of [...Object.entries(workload.skipped), ...Object.entries(machines.skipped)])
      skipped.add(reason, n)
    return { ...workload, skipped: skipped.toRecord() }
  })
