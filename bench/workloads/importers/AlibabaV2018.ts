/**
 * Alibaba cluster-trace-v2018 (github.com/alibaba/clusterdata, cluster-trace-v2018/schema.md):
 * header-less CSV; times in seconds from the trace start (0: before or after the 8-day span); CPU
 * in hundredths of a core; memory normalised to the largest machine's, 0–100.
 *
 * - `batch_task.csv` → `instance_num` bare pods per task, in batch group `job_name`, arriving at
 *   `start_time`, running `end_time − start_time`, each asking `plan_cpu`/`plan_mem`. Status
 *   Running, or an `end_time` of 0 (after the span): runs to the end. Skipped, counted: `incomplete`
 *   (empty plan_cpu/plan_mem), `neverRan` (Waiting, Ready, Cancelled), `noInstances`
 *   (instance_num 0), `zeroDuration` (end = start, both 0 included), `badTimes` (end before start).
 * - `container_meta.csv` (a row per container per snapshot) → one bare pod per container, arriving
 *   at its earliest complete row's `time_stamp` with that row's `cpu_request`/`mem_size`, running to
 *   the end (these are long-running services), labelled `trace.minik8s.io/app-du`. A Deployment per
 *   app_du would lose each container's own arrival; `cpu_limit` is not used (scheduling reads
 *   requests). Skipped, counted: `incomplete` (no row with time_stamp, cpu_request and mem_size).
 * - `machine_meta.csv` → a node per machine (its earliest row with cpu_num and mem_size), folded
 *   into node groups of identical machines; status and failure domains are not used. Skipped:
 *   `machinesIncomplete`.
 *
 * Memory is `mem × machineMemory / 100`
 * (default 96 GiB); default nodes are `machines` × (machineCpu, default 96 cores; machineMemory).
 */
import type * as Either from "effect/Either"
import type { PodArrival } from "../Workload.js"
import type { ImportError } from "./ImportError.js"
import { csvRows, reading } from "./TraceFile.js"
import {
  defaultNodes,
  GiB,
  labelValue,
  type MachineSize,
  nodeGroups,
  Skipped,
  type TraceNodes,
  type TraceOptions,
  type TraceWorkload,
  traceWorkload,
  uniqueNames
} from "./TraceWorkload.js"

export interface AlibabaV2018Options extends TraceOptions, MachineSize {}

const batchTaskColumns = [
  "task_name",
  "instance_num",
  "job_name",
  "task_type",
  "status",
  "start_time",
  "end_time",
  "plan_cpu",
  "plan_mem"
] as const
const taskStatuses = ["Terminated", "Failed", "Interrupted", "Running", "Waiting", "Ready", "Cancelled"] as const
const containerColumns = [
  "container_id",
  "machine_id",
  "time_stamp",
  "app_du",
  "status",
  "cpu_request",
  "cpu_limit",
  "mem_size"
] as const
const containerStatuses = ["started", "allocated", "stopped", "unknown"] as const
const machineColumns = [
  "machine_id",
  "time_stamp",
  "failure_domain_1",
  "failure_domain_2",
  "cpu_num",
  "mem_size",
  "status"
] as const

const machineCpuOf = (o: MachineSize) => o.machineCpu ?? 96_000
const machineMemoryOf = (o: MachineSize) => o.machineMemory ?? 96 * GiB

/** Hundredths of a core → millicores. */
const millicores = (hundredths: number) => Math.round(hundredths * 10)

/** The label that keeps a container's deploy unit (its service), for spread or affinity rules. */
export const appDuLabel = "trace.minik8s.io/app-du"

/** `batch_task.csv` → the batch workload (see the module comment). */
export const importBatchTask = (
  text: string,
  file: string,
  options: AlibabaV2018Options = {}
): Either.Either<TraceWorkload, ImportError> =>
  reading(() => {
    const memory = machineMemoryOf(options)
    const skipped = new Skipped()
    const tasks: Array<{
      readonly job: string
      readonly task: string
      readonly instances: number
      readonly start: number
      readonly duration: number | undefined
      readonly cpu: number
      readonly memory: number
    }> = []
    // Columns the mapping does not use are still read, so a malformed one is reported all the same.
    for (const row of csvRows(text, file, batchTaskColumns)) {
      const task = row.text("task_name")
      const instances = row.integer("instance_num")
      const job = row.text("job_name")
      row.text("task_type")
      const status = row.oneOf("status", taskStatuses)
      const start = row.optionalInteger("start_time") ?? 0
      const end = row.optionalInteger("end_time") ?? 0
      const cpu = row.optionalNumber("plan_cpu")
      const mem = row.optionalNumber("plan_mem")
      if (cpu === undefined || mem === undefined) skipped.add("incomplete")
      else if (status === "Waiting" || status === "Ready" || status === "Cancelled") skipped.add("neverRan")
      else if (instances === 0) skipped.add("noInstances")
      else if (status !== "Running" && end !== 0 && end < start) skipped.add("badTimes")
      else if (status !== "Running" && end === start) skipped.add("zeroDuration")
      else {
        const duration = status === "Running" || end === 0 ? undefined : (end - start) * 1000
        tasks.push({
          job,
          task,
          instances,
          start,
          duration,
          cpu: millicores(cpu),
          memory: Math.round((mem / 100) * memory)
        })
      }
    }
    // Expanded in arrival order, so a `limit` never builds the pods it would cut.
    tasks.sort((a, b) => a.start - b.start)
    const name = uniqueNames()
    const arrivals: Array<PodArrival> = []
    for (const t of tasks) {
      if (options.limit !== undefined && arrivals.length >= options.limit) break
      const group = labelValue(t.job)
      for (let i = 0; i < t.instances; i++)
        arrivals.push({
          kind: "Pod",
          name: name(`${t.job}-${t.task}-${i}`),
          at: t.start * 1000,
          ...(t.duration === undefined ? {} : { duration: t.duration }),
          group,
          requests: { cpu: t.cpu, memory: t.memory }
        })
    }
    const nodes = defaultNodes(options, { cpu: machineCpuOf(options), memory })
    return traceWorkload(file, options, nodes, arrivals, skipped)
  })

/** `container_meta.csv` → one long-running bare pod per container (see the module comment). */
export const importContainerMeta = (
  text: string,
  file: string,
  options: AlibabaV2018Options = {}
): Either.Either<TraceWorkload, ImportError> =>
  reading(() => {
    const memory = machineMemoryOf(options)
    const skipped = new Skipped()
    // Per container, in order of first appearance: its earliest complete row.
    const containers = new Map<
      string,
      { time: number; cpu: number; memory: number; app: string } | { time: undefined; app: string }
    >()
    for (const row of csvRows(text, file, containerColumns)) {
      const id = row.text("container_id")
      row.text("machine_id")
      const time = row.optionalInteger("time_stamp")
      const app = row.text("app_du")
      row.oneOf("status", containerStatuses)
      const cpu = row.optionalNumber("cpu_request")
      row.optionalNumber("cpu_limit")
      const mem = row.optionalNumber("mem_size")
      const seen = containers.get(id)
      if (time === undefined || cpu === undefined || mem === undefined) {
        if (seen === undefined) containers.set(id, { time: undefined, app })
      } else if (seen === undefined || seen.time === undefined || time < seen.time)
        containers.set(id, { time, cpu: millicores(cpu), memory: Math.round((mem / 100) * memory), app })
    }
    const name = uniqueNames()
    const arrivals: Array<PodArrival> = []
    for (const [id, c] of containers) {
      if (c.time === undefined) {
        skipped.add("incomplete")
        continue
      }
      arrivals.push({
        kind: "Pod",
        name: name(id),
        at: c.time * 1000,
        labels: { [appDuLabel]: labelValue(c.app) },
        requests: { cpu: c.cpu, memory: c.memory }
      })
    }
    const nodes = defaultNodes(options, { cpu: machineCpuOf(options), memory })
    return traceWorkload(file, options, nodes, arrivals, skipped)
  })

/** `machine_meta.csv` → node groups of identical machines (see the module comment). */
export const machineMeta = (
  text: string,
  file: string,
  options: MachineSize = {}
): Either.Either<TraceNodes, ImportError> =>
  reading(() => {
    const memory = machineMemoryOf(options)
    const machines = new Map<string, { time: number; cpu: number; memory: number } | undefined>()
    for (const row of csvRows(text, file, machineColumns)) {
      const id = row.text("machine_id")
      const time = row.optionalInteger("time_stamp") ?? 0
      const cpu = row.optionalInteger("cpu_num")
      const mem = row.optionalNumber("mem_size")
      const seen = machines.get(id)
      if (cpu === undefined || mem === undefined || cpu === 0 || mem === 0) {
        if (!machines.has(id)) machines.set(id, undefined)
      } else if (seen === undefined || time < seen.time)
        machines.set(id, { time, cpu: cpu * 1000, memory: Math.round((mem / 100) * memory) })
    }
    const skipped = new Skipped()
    const complete = [...machines.values()].filter((m) => m !== undefined)
    if (complete.length < machines.size) skipped.add("machinesIncomplete", machines.size - complete.length)
    return {
      nodes: nodeGroups(
        "machine",
        complete.map((m) => ({ cpu: m.cpu, memory: m.memory }))
      ),
      skipped: skipped.toRecord()
    }
  })
