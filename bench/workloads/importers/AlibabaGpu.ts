/**
 * Alibaba cluster-trace-gpu-v2023, the "openb" lists of the FGD paper (Weng et al., ATC '23;
 * github.com/alibaba/clusterdata, cluster-trace-gpu-v2023): CSV with a header.
 *
 * `openb_pod_list_*.csv` (name, cpu_milli, memory_mib, num_gpu, gpu_milli, gpu_spec, qos, pod_phase,
 * creation_time, deletion_time, scheduled_time) → a bare pod per row, arriving at creation_time,
 * running deletion − creation seconds (empty deletion: to the end), labelled
 * `trace.minik8s.io/qos`. Every row is a pod whatever its recorded phase: the workload is the
 * demand, and how it fares is the scheduler's to decide. Skipped, counted: `zeroDuration`
 * (deletion = creation) and `badTimes` (deletion before creation).
 *
 * GPUs. Kubernetes extended resources are whole numbers, so a GPU share is counted in thousandths:
 * - every node offers `nvidia.com/gpu: gpu` and `alibabacloud.com/gpu-milli: gpu × 1000`;
 * - a pod of whole GPUs (gpu_milli 1000) asks `nvidia.com/gpu: num_gpu` and `gpu-milli: num_gpu × 1000`;
 * - a sharing pod (gpu_milli < 1000) asks only `gpu-milli: gpu_milli` (×num_gpu), so several fit on one GPU.
 * gpu-milli is checked per node, not per device: 300+300+300 on two GPUs leaves 1,100 which admits a
 * whole-GPU pod though no single device is free — a relaxation of FGD's per-GPU packing, and
 * `nvidia.com/gpu` (what the metrics' GPU figures read) does not see shares.
 *
 * gpu_spec ("V100M16|V100M32": any of these models) → a nodeSelector `gpu-spec.minik8s.io/<models
 * sorted, joined by _>: "true"`, since a nodeSelector cannot say "one of"; every node group labelled
 * `alibabacloud.com/gpu-card-model: M` gets that label for each spec naming M (node lists give
 * that label; default nodes have no model, so constrained pods stay pending on them).
 *
 * `openb_node_list_*.csv` (sn, cpu_milli, memory_mib, gpu, model) → node groups of identical nodes.
 * Default nodes: `machines` × (96 cores, 384 GiB, 8 GPUs), the list's most common GPU node.
 * "nan" or empty gpu_spec/model mean none.
 */
import type * as Either from "effect/Either"
import type { NodeGroup, PodArrival } from "../Workload.js"
import type { ImportError } from "./ImportError.js"
import { type CsvRow, csvRowsWithHeader, reading } from "./TraceFile.js"
import {
  defaultNodes,
  GiB,
  type Machine,
  MiB,
  nodeGroups,
  Skipped,
  type TraceNodes,
  type TraceOptions,
  type TraceWorkload,
  traceWorkload,
  uniqueNames
} from "./TraceWorkload.js"

export const gpu = "nvidia.com/gpu"
export const gpuMilli = "alibabacloud.com/gpu-milli"
/** The node label naming its GPU model (the FGD simulator's name for it). */
export const gpuModelLabel = "alibabacloud.com/gpu-card-model"
export const gpuSpecPrefix = "gpu-spec.minik8s.io/"
export const qosLabel = "trace.minik8s.io/qos"

const podColumns = [
  "name",
  "cpu_milli",
  "memory_mib",
  "num_gpu",
  "gpu_milli",
  "gpu_spec",
  "qos",
  "pod_phase",
  "creation_time",
  "deletion_time",
  "scheduled_time"
] as const
const nodeColumns = ["sn", "cpu_milli", "memory_mib", "gpu", "model"] as const
const qosClasses = ["LS", "BE", "Burstable", "Guaranteed"] as const
const phases = ["Running", "Succeeded", "Failed", "Pending"] as const

/** pandas writes a missing string as "nan" or nothing. */
const present = (cell: string | undefined) => (cell === undefined || cell === "nan" ? undefined : cell)

/** A GPU model name, checked usable in a label. */
const model = (row: CsvRow, column: string, name: string): string =>
  /^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/.test(name) && name.length <= 63
    ? name
    : row.fail(column, `not a usable GPU model name: ${JSON.stringify(name)}`)

/** The label key a gpu_spec's pods select and its nodes carry. */
const specKey = (row: CsvRow, models: ReadonlyArray<string>): string => {
  const key = `${gpuSpecPrefix}${models.join("_")}`
  return key.length - gpuSpecPrefix.length <= 63 ? key : row.fail("gpu_spec", "too many models for one label key")
}

/** Each node group with a GPU model gets the spec labels of every spec naming that model. */
const withSpecLabels = (
  nodes: ReadonlyArray<NodeGroup>,
  specs: ReadonlyMap<string, ReadonlyArray<string>>
): ReadonlyArray<NodeGroup> =>
  nodes.map((g) => {
    const m = g.labels?.[gpuModelLabel]
    const keys = [...specs].filter(([, models]) => m !== undefined && models.includes(m)).map(([key]) => key)
    return keys.length === 0
      ? g
      : { ...g, labels: { ...g.labels, ...Object.fromEntries(keys.map((k) => [k, "true"])) } }
  })

/** `openb_pod_list_*.csv` → pods asking CPU, memory and GPUs (see the module comment). */
export const importOpenbPods = (
  text: string,
  file: string,
  options: TraceOptions = {}
): Either.Either<TraceWorkload, ImportError> =>
  reading(() => {
    const skipped = new Skipped()
    const name = uniqueNames()
    const specs = new Map<string, ReadonlyArray<string>>()
    const rows = csvRowsWithHeader(text, file, podColumns).map((row) => {
      const pod = row.text("name")
      const cpu = row.integer("cpu_milli")
      const memory = row.integer("memory_mib") * MiB
      const gpus = row.integer("num_gpu")
      const milli = row.integer("gpu_milli")
      if (gpus > 0 && (milli === 0 || milli > 1000))
        row.fail("gpu_milli", `must be 1–1000 when num_gpu is ${gpus}, found ${milli}`)
      const spec = present(row.optionalText("gpu_spec"))
      const models = [...new Set((spec ?? "").split("|").filter((m) => m !== ""))]
        .map((m) => model(row, "gpu_spec", m))
        .sort()
      const key = models.length === 0 ? undefined : specKey(row, models)
      if (key !== undefined) specs.set(key, models)
      const qos = row.oneOf("qos", qosClasses)
      row.oneOf("pod_phase", phases)
      const created = row.integer("creation_time")
      const deleted = row.optionalInteger("deletion_time")
      row.optionalInteger("scheduled_time")
      return { pod, cpu, memory, gpus, milli, key, qos, created, deleted }
    })
    const arrivals: Array<PodArrival> = []
    for (const r of rows) {
      if (r.deleted !== undefined && r.deleted < r.created) skipped.add("badTimes")
      else if (r.deleted === r.created) skipped.add("zeroDuration")
      else {
        const extended =
          r.gpus === 0
            ? undefined
            : r.milli === 1000
              ? { [gpu]: r.gpus, [gpuMilli]: r.gpus * 1000 }
              : { [gpuMilli]: r.gpus * r.milli }
        arrivals.push({
          kind: "Pod",
          name: name(r.pod),
          at: r.created * 1000,
          ...(r.deleted === undefined ? {} : { duration: (r.deleted - r.created) * 1000 }),
          labels: { [qosLabel]: r.qos },
          ...(r.key === undefined ? {} : { nodeSelector: { [r.key]: "true" } }),
          requests: { cpu: r.cpu, memory: r.memory, ...(extended === undefined ? {} : { extended }) }
        })
      }
    }
    const nodes = defaultNodes(options, { cpu: 96_000, memory: 384 * GiB, extended: { [gpu]: 8, [gpuMilli]: 8000 } })
    return traceWorkload(file, options, withSpecLabels(nodes, specs), arrivals, skipped)
  })

/** `openb_node_list_*.csv` → node groups of identical nodes, GPU nodes labelled with their model. */
export const openbNodes = (text: string, file: string): Either.Either<TraceNodes, ImportError> =>
  reading(() => {
    const machines = csvRowsWithHeader(text, file, nodeColumns).map((row) => {
      row.text("sn")
      const cpu = row.integer("cpu_milli")
      const memory = row.integer("memory_mib") * MiB
      const gpus = row.integer("gpu")
      const name = present(row.optionalText("model"))
      const m = name === undefined ? undefined : model(row, "model", name)
      return {
        cpu,
        memory,
        ...(gpus === 0 ? {} : { extended: { [gpu]: gpus, [gpuMilli]: gpus * 1000 } }),
        ...(m === undefined ? {} : { labels: { [gpuModelLabel]: m } })
      }
    })
    const suffix = (m: Machine) =>
      m.extended === undefined ? "" : `-${m.extended[gpu]}gpu-${m.labels?.[gpuModelLabel] ?? "any"}`
    return { nodes: nodeGroups("openb", machines, suffix), skipped: {} }
  })
