/**
 * Google cluster-data 2019 ("Google cluster-usage traces v3"; schema in google/cluster-data's
 * clusterdata_trace_format_v3.proto) as JSON lines exported from BigQuery: INT64 columns may come
 * as strings, enums as numbers or names; times are µs from the trace start, and 2^63−1 means
 * "after the trace" (such events are ignored).
 *
 * `instance_events` → a bare pod per task (collection_id, instance_index), in batch group
 * collection_id: it arrives at its first SUBMIT (else its first event); runs for as long as it was
 * scheduled in the trace — the sum of each SCHEDULE → next EVICT/FAIL/FINISH/KILL/LOST — or to the
 * end if still scheduled when the file ends; asks the resource_request in force at its first
 * SCHEDULE, normalised CPU × machineCpu (default 64 cores) and memory × machineMemory (default
 * 256 GiB), the largest machine's size; `spec.priority` is its priority; labelled
 * `trace.minik8s.io/scheduling-class`. Alloc instances are pods like tasks (they reserve machine
 * resources). Skipped, counted: `inAlloc` (tasks inside an alloc set: their alloc instance already
 * holds their resources), `neverRan` (never SCHEDULEd), `zeroDuration`, `incomplete` (no
 * resource_request by its first SCHEDULE).
 *
 * `machine_events` → a node per machine with the capacity of its first ADD or UPDATE that has one
 * (later changes and removals are not modelled), folded into node groups. Skipped:
 * `machinesWithoutCapacity`.
 */
import type * as Either from "effect/Either"
import type { PodArrival } from "../Workload.js"
import type { ImportError } from "./ImportError.js"
import { jsonRows, reading } from "./TraceFile.js"
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

export interface Google2019Options extends TraceOptions, MachineSize {}

export const schedulingClassLabel = "trace.minik8s.io/scheduling-class"

const eventTypes = [
  "SUBMIT",
  "QUEUE",
  "ENABLE",
  "SCHEDULE",
  "EVICT",
  "FAIL",
  "FINISH",
  "KILL",
  "LOST",
  "UPDATE_PENDING",
  "UPDATE_RUNNING"
] as const
const SUBMIT = 0
const SCHEDULE = 3
/** EVICT, FAIL, FINISH, KILL, LOST: the instance stops running. */
const ends = new Set([4, 5, 6, 7, 8])
const collectionTypes = ["JOB", "ALLOC_SET"] as const
const schedulingClasses = ["MOST_INSENSITIVE", "INSENSITIVE", "SENSITIVE", "MOST_SENSITIVE"] as const
const machineEventTypes = ["EVENT_TYPE_UNKNOWN", "ADD", "REMOVE", "UPDATE"] as const
const ADD = 1
const UPDATE = 3
/** Times at or past this are the trace's 2^63−1 "after the end". */
const afterTrace = 2 ** 62

const machineCpuOf = (o: MachineSize) => o.machineCpu ?? 64_000
const machineMemoryOf = (o: MachineSize) => o.machineMemory ?? 256 * GiB

interface Event {
  readonly time: number
  readonly type: number
  readonly request: { readonly cpu: number; readonly memory: number } | undefined
  readonly priority: number | undefined
  readonly schedulingClass: number | undefined
  readonly inAlloc: boolean
}

/** `instance_events` (JSON lines) → a pod per task (see the module comment). */
export const importInstanceEvents = (
  text: string,
  file: string,
  options: Google2019Options = {}
): Either.Either<TraceWorkload, ImportError> =>
  reading(() => {
    const cpuScale = machineCpuOf(options)
    const memoryScale = machineMemoryOf(options)
    const tasks = new Map<string, { collection: string; index: number; events: Array<Event> }>()
    for (const row of jsonRows(text, file)) {
      const time = row.integer("time")
      const type = row.code("type", eventTypes)
      const collection = row.id("collection_id")
      const index = row.integer("instance_index")
      const priority = row.optionalInteger("priority")
      const schedulingClass = row.optionalCode("scheduling_class", schedulingClasses)
      row.optionalCode("collection_type", collectionTypes)
      const alloc = row.optionalNumber("alloc_collection_id")
      const cpus = row.optionalNumber("resource_request.cpus")
      const memory = row.optionalNumber("resource_request.memory")
      if (time >= afterTrace) continue
      const key = `${collection}/${index}`
      const task = tasks.get(key) ?? { collection, index, events: [] }
      tasks.set(key, task)
      task.events.push({
        time,
        type,
        request:
          cpus === undefined || memory === undefined
            ? undefined
            : { cpu: Math.round(cpus * cpuScale), memory: Math.round(memory * memoryScale) },
        priority,
        schedulingClass,
        inAlloc: alloc !== undefined && alloc !== 0
      })
    }
    const skipped = new Skipped()
    const name = uniqueNames()
    const arrivals: Array<PodArrival> = []
    for (const { collection, index, events } of tasks.values()) {
      events.sort((a, b) => a.time - b.time)
      if (events.some((e) => e.inAlloc)) {
        skipped.add("inAlloc")
        continue
      }
      let request: Event["request"]
      let latest: Event["request"]
      let ran = false
      let since: number | undefined
      let total = 0
      for (const e of events) {
        latest = e.request ?? latest
        if (e.type === SCHEDULE && since === undefined) {
          if (!ran) request = latest
          ran = true
          since = e.time
        } else if (ends.has(e.type) && since !== undefined) {
          total += e.time - since
          since = undefined
        }
      }
      if (!ran) skipped.add("neverRan")
      else if (request === undefined) skipped.add("incomplete")
      else if (since === undefined && total === 0) skipped.add("zeroDuration")
      else {
        const submit = events.find((e) => e.type === SUBMIT) ?? events[0]!
        const priority = events.find((e) => e.priority !== undefined)?.priority
        const schedulingClass = events.find((e) => e.schedulingClass !== undefined)?.schedulingClass
        arrivals.push({
          kind: "Pod",
          name: name(`${collection}-${index}`),
          at: Math.round(submit.time / 1000),
          // Still scheduled when the file ends: it runs to the end.
          ...(since === undefined ? { duration: Math.max(1, Math.round(total / 1000)) } : {}),
          group: labelValue(collection),
          ...(priority === undefined ? {} : { priority }),
          ...(schedulingClass === undefined ? {} : { labels: { [schedulingClassLabel]: String(schedulingClass) } }),
          requests: request
        })
      }
    }
    const nodes = defaultNodes(options, { cpu: cpuScale, memory: memoryScale })
    return traceWorkload(file, options, nodes, arrivals, skipped)
  })

/** `machine_events` (JSON lines) → node groups of identical machines (see the module comment). */
export const machineEvents = (
  text: string,
  file: string,
  options: MachineSize = {}
): Either.Either<TraceNodes, ImportError> =>
  reading(() => {
    const cpuScale = machineCpuOf(options)
    const memoryScale = machineMemoryOf(options)
    const events = jsonRows(text, file).map((row) => ({
      time: row.integer("time"),
      machine: row.id("machine_id"),
      type: row.code("type", machineEventTypes),
      cpus: row.optionalNumber("capacity.cpus"),
      memory: row.optionalNumber("capacity.memory")
    }))
    events.sort((a, b) => a.time - b.time)
    const machines = new Map<string, { cpu: number; memory: number } | undefined>()
    for (const e of events) {
      const known = machines.get(e.machine)
      if (known !== undefined) continue
      const usable = (e.type === ADD || e.type === UPDATE) && (e.cpus ?? 0) > 0 && (e.memory ?? 0) > 0
      machines.set(
        e.machine,
        usable ? { cpu: Math.round(e.cpus! * cpuScale), memory: Math.round(e.memory! * memoryScale) } : undefined
      )
    }
    const skipped = new Skipped()
    const complete = [...machines.values()].filter((m) => m !== undefined)
    if (complete.length < machines.size) skipped.add("machinesWithoutCapacity", machines.size - complete.length)
    return { nodes: nodeGroups("machine", complete), skipped: skipped.toRecord() }
  })
