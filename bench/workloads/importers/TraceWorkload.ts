/**
 * What every trace importer makes and the choices they share: a Workload plus the count of rows
 * it skipped (and why), pod and group names made valid for Kubernetes, identical machines folded
 * into node groups, and times counted from the first arrival (a trace's lead-in before its first
 * imported pod would only be idle simulated time).
 */
import type { NodeGroup, PodArrival, Workload } from "../Workload.js"
import { sortArrivals } from "../Workload.js"

/** A workload read from a trace, with the rows left out on purpose, by reason (`neverRan: 3`). */
export interface TraceWorkload extends Workload {
  readonly skipped: Readonly<Record<string, number>>
}

/** Node groups read from a trace's machine file, with the machines left out, by reason. */
export interface TraceNodes {
  readonly nodes: ReadonlyArray<NodeGroup>
  readonly skipped: Readonly<Record<string, number>>
}

/** Options every importer takes. */
export interface TraceOptions {
  /** The workload's name; default: the file's name without its extension. */
  readonly name?: string
  /** The cluster; default: `machines` nodes of the trace's machine size (or the machine file's, through importTrace). */
  readonly nodes?: ReadonlyArray<NodeGroup>
  /** How many default nodes; default 100. */
  readonly machines?: number
  /** Keep only the first this many pods, by arrival; default: all. */
  readonly limit?: number
}

/** The size of the trace's largest machine, which its normalised figures are fractions of. */
export interface MachineSize {
  /** Millicores. */
  readonly machineCpu?: number
  /** Bytes. */
  readonly machineMemory?: number
}

export const GiB = 1024 ** 3
export const MiB = 1024 ** 2

/** Counts skipped rows by reason. */
export class Skipped {
  private readonly counts = new Map<string, number>()
  add(reason: string, n = 1): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + n)
  }
  /** The counts with keys sorted, so the same file always gives the same object. */
  toRecord(): Readonly<Record<string, number>> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => (a < b ? -1 : 1)))
  }
}

/** `raw` as a DNS-1123 label: lower case, runs of other characters as one `-`, at most 63 characters. */
const dnsLabel = (raw: string): string => {
  const label = raw
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+/, "")
    .slice(0, 63)
    .replace(/-+$/, "")
  return label === "" ? "x" : label
}

/** A namer: each call turns a trace id into a DNS-1123 label not given before (`-2`, `-3` … on a clash). */
export const uniqueNames = (): ((raw: string) => string) => {
  const used = new Set<string>()
  return (raw) => {
    const base = dnsLabel(raw)
    let name = base
    for (let n = 2; used.has(name); n++) name = `${base.slice(0, 62 - String(n).length).replace(/-+$/, "")}-${n}`
    used.add(name)
    return name
  }
}

/** `raw` as a label value (a group or app id): other characters as `-`, alphanumeric ends, at most 63 characters. */
export const labelValue = (raw: string): string =>
  raw
    .replace(/[^A-Za-z0-9_.-]+/g, "-")
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "")

/** One machine of a machine file. */
export interface Machine {
  readonly cpu: number
  readonly memory: number
  readonly extended?: Readonly<Record<string, number>>
  readonly labels?: Readonly<Record<string, string>>
}

/** Identical machines as one node group each, in order of first appearance, named by their shape (`machine-96c-96g`). */
export const nodeGroups = (
  prefix: string,
  machines: ReadonlyArray<Machine>,
  suffix: (m: Machine) => string = () => ""
): Array<NodeGroup> => {
  const groups = new Map<string, { machine: Machine; count: number }>()
  for (const m of machines) {
    const key = JSON.stringify([m.cpu, m.memory, m.extended ?? {}, m.labels ?? {}])
    const group = groups.get(key)
    if (group === undefined) groups.set(key, { machine: m, count: 1 })
    else group.count++
  }
  const name = uniqueNames()
  return [...groups.values()].map(({ machine: m, count }) => ({
    name: name(`${prefix}-${Math.round(m.cpu / 1000)}c-${Math.round(m.memory / GiB)}g${suffix(m)}`),
    count,
    cpu: m.cpu,
    memory: m.memory,
    ...(m.extended === undefined ? {} : { extended: m.extended }),
    ...(m.labels === undefined ? {} : { labels: m.labels })
  }))
}

/** `machines` (default 100) nodes of one shape, when the trace comes without its machines. */
export const defaultNodes = (options: TraceOptions, machine: Machine): ReadonlyArray<NodeGroup> =>
  options.nodes ??
  nodeGroups(
    "machine",
    Array.from({ length: options.machines ?? 100 }, () => machine)
  )

/** The file's name without folder or extension: the default workload name. */
export const baseName = (file: string): string => file.replace(/^.*[\\/]/, "").replace(/\.[^.]*$/, "")

/** The workload: arrivals (at in trace time, ms) sorted by time then name, from 0, cut to `limit` pods. */
export const traceWorkload = (
  file: string,
  options: TraceOptions,
  nodes: ReadonlyArray<NodeGroup>,
  arrivals: ReadonlyArray<PodArrival>,
  skipped: Skipped
): TraceWorkload => {
  const sorted = sortArrivals(arrivals) as ReadonlyArray<PodArrival>
  const kept = options.limit === undefined ? sorted : sorted.slice(0, options.limit)
  const origin = kept[0]?.at ?? 0
  return {
    name: options.name ?? baseName(file),
    nodes,
    arrivals: kept.map((a) => ({ ...a, at: a.at - origin })),
    skipped: skipped.toRecord()
  }
}
