/**
 * Synthetic workloads from a spec `NAME[:key=value,…]` and a seed (`heavy-tailed:nodes=100,pods=5000`).
 * Each generator is a pure function of its options and the seed.
 *
 * Arrivals are a Poisson process over `span` given its count: `pods` i.i.d. times (uniform, or
 * thinned to a day cycle), sorted. Durations are drawn relative to each other (exponential,
 * truncated at 3× the mean), then scaled by
 * Little's law so that (arrival rate × mean duration × mean request) = `load` × capacity for the
 * tightest resource (cpu, memory or GPU); every shape is clamped to fit one node.
 *
 * With `fill` above 0 the workload is the FGD paper's instead: nothing departs (pods run to the
 * end), and every request is scaled by one factor so that all of them together ask for `fill` of
 * the tightest resource: the cluster fills up over the span, which is where placement policies
 * differ in the capacity they strand.
 */
import * as Either from "effect/Either"
import { parseDuration } from "../../sim/scenario/Duration.js"
import * as Random from "./Random.js"
import {
  type Arrival,
  type DeploymentArrival,
  type NodeGroup,
  podsOf,
  type PodArrival,
  type Requests,
  sortArrivals,
  type Workload
} from "./Workload.js"

/** An option's value: a number (counts, shares, milliseconds) or a choice's name. */
export type Value = number | string
export type Values = Readonly<Record<string, Value>>

export interface Option {
  /** As written in a spec; what the option is when the spec leaves it out. */
  readonly default: string
  /** One line for the options table. */
  readonly meaning: string
  readonly parse: (text: string) => Either.Either<Value, string>
}

export interface Generator {
  readonly description: string
  /** Its own options, beside `commonOptions`. */
  readonly options: Readonly<Record<string, Option>>
  /** A problem between options (`p99` below `median`), or undefined. */
  readonly check?: (values: Values) => string | undefined
  readonly make: (values: Values, random: Random.Random) => Workload
}

// ---------------------------------------------------------------------------------------------
// Options

const decimal = /^(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i

const option = (fallback: string, meaning: string, parse: Option["parse"]): Option => ({
  default: fallback,
  meaning,
  parse
})

const count = (fallback: string, meaning: string, min = 1): Option =>
  option(fallback, meaning, (text) =>
    /^\d+$/.test(text) && Number.isSafeInteger(Number(text)) && Number(text) >= min
      ? Either.right(Number(text))
      : Either.left(`must be a whole number, at least ${min}`)
  )

const positive = (fallback: string, meaning: string): Option =>
  option(fallback, meaning, (text) =>
    decimal.test(text) && Number(text) > 0 && Number.isFinite(Number(text))
      ? Either.right(Number(text))
      : Either.left("must be a number above 0")
  )

/** A share in [0, 1]; `zero` says whether 0 is allowed. */
const share = (fallback: string, meaning: string, zero: boolean): Option =>
  option(fallback, meaning, (text) =>
    decimal.test(text) && Number(text) <= 1 && (zero ? Number(text) >= 0 : Number(text) > 0)
      ? Either.right(Number(text))
      : Either.left(`must be a number in ${zero ? "[0, 1]" : "(0, 1]"}`)
  )

/** A positive duration in ms: Go's syntax (`90s`, `1h30m`) or whole days (`1d`). */
const duration = (fallback: string, meaning: string): Option =>
  option(fallback, meaning, (text) => {
    const days = /^(\d+)d$/.exec(text)
    const ms = days === null ? parseDuration(text) : Either.right(Number(days[1]) * 86_400_000)
    return Either.flatMap(ms, (n) => (n > 0 ? Either.right(n) : Either.left("must be longer than 0s")))
  })

const choice = (choices: ReadonlyArray<string>, meaning: string): Option =>
  option(choices[0], meaning, (text) =>
    choices.includes(text) ? Either.right(text) : Either.left(`must be one of ${choices.join(", ")}`)
  )

/** The options every generator takes. */
export const commonOptions: Readonly<Record<string, Option>> = {
  nodes: count("100", "nodes in the cluster"),
  cpu: positive("32", "CPU cores per node"),
  memory: positive("128", "memory per node, GiB"),
  pods: count("5000", "pods in all"),
  span: duration("30m", "window the arrivals fall in (30m, 2h, 1d)"),
  load: share("0.7", "mean allocation of the tightest resource at steady state; sets the durations", false),
  fill: share("0", "above 0: no departures, requests scaled to ask for this share of the tightest resource", true)
}

const num = (values: Values, key: string): number => values[key] as number

// ---------------------------------------------------------------------------------------------
// Shapes, times and durations

const MiB = 2 ** 20
const gpu = "nvidia.com/gpu"

/** The one node group: `node-1` … `node-N`, with `gpus` GPUs each when above 0. */
const nodesOf = (values: Values, gpus = 0): NodeGroup => ({
  name: "node",
  count: num(values, "nodes"),
  cpu: Math.max(1, Math.round(num(values, "cpu") * 1000)),
  memory: Math.max(1, Math.round(num(values, "memory") * 1024)) * MiB,
  ...(gpus > 0 ? { extended: { [gpu]: gpus } } : {})
})

/** 2–6 GiB a core, in whole MiB, at most a node's. */
const memoryFor = (cpu: number, node: NodeGroup, random: Random.Random): number =>
  Math.min(node.memory, Math.max(1, Math.round((cpu / 1000) * random.uniform(2, 6) * 1024)) * MiB)

/** 250m to 4 cores in steps of 250m, at most a node's. */
const uniformShape = (node: NodeGroup, random: Random.Random): Requests => {
  const cpu = Math.min(node.cpu, 250 * random.integer(1, 16))
  return { cpu, memory: memoryFor(cpu, node, random) }
}

/** A time in the window, whole ms. */
const uniformTime = (span: number, random: Random.Random): number => Math.floor(random.uniform(0, span))

const padded = (n: number, width: number): string => String(n).padStart(width, "0")

/**
 * Scales every arrival's relative `duration`/`lifetime` so that, by Little's law, the tightest
 * resource is `load` allocated; then rounds them to whole ms (at least 1 s) and sorts the arrivals.
 */
const settle = (name: string, node: NodeGroup, arrivals: ReadonlyArray<Arrival>, values: Values): Workload => {
  const capacity = new Map<string, number>([
    ["cpu", node.cpu * node.count],
    ["memory", node.memory * node.count],
    ...Object.entries(node.extended ?? {}).map(([r, n]): [string, number] => [r, n * node.count])
  ])
  const demand = new Map<string, number>()
  for (const a of arrivals) {
    const work = podsOf(a) * (a.kind === "Pod" ? (a.duration ?? 0) : (a.lifetime ?? 0))
    const requests = { cpu: a.requests.cpu, memory: a.requests.memory, ...a.requests.extended }
    for (const [r, n] of Object.entries(requests)) demand.set(r, (demand.get(r) ?? 0) + n * work)
  }
  if (num(values, "fill") > 0) return filling(name, node, arrivals, num(values, "fill"), capacity)
  let tightest = 0
  for (const [r, d] of demand) tightest = Math.max(tightest, d / (capacity.get(r) ?? Infinity))
  const scale = (num(values, "load") * num(values, "span")) / tightest
  const length = (relative: number) => Math.max(1000, Math.round(relative * scale))
  const scaled = arrivals.map((a): Arrival => {
    if (a.kind === "Pod") return a.duration === undefined ? a : { ...a, duration: length(a.duration) }
    return a.lifetime === undefined ? a : { ...a, lifetime: length(a.lifetime) }
  })
  return { name, nodes: [node], arrivals: sortArrivals(scaled) }
}

/** `fill`: no durations or lifetimes, and requests scaled so the pods ask for `fill` of the tightest resource. */
const filling = (
  name: string,
  node: NodeGroup,
  arrivals: ReadonlyArray<Arrival>,
  fill: number,
  capacity: ReadonlyMap<string, number>
): Workload => {
  const demand = new Map<string, number>()
  for (const a of arrivals) {
    const requests = { cpu: a.requests.cpu, memory: a.requests.memory, ...a.requests.extended }
    for (const [r, n] of Object.entries(requests)) demand.set(r, (demand.get(r) ?? 0) + n * podsOf(a))
  }
  // Extended resources come in whole units and are not scaled: cpu and memory set the factor.
  const factor = Math.min(
    ...["cpu", "memory"].map((r) => (fill * (capacity.get(r) ?? 0)) / Math.max(1, demand.get(r) ?? 0))
  )
  const scaled = arrivals.map((a): Arrival => {
    const requests: Requests = {
      ...a.requests,
      cpu: Math.min(node.cpu, Math.max(10, Math.round((a.requests.cpu * factor) / 10) * 10)),
      memory: Math.min(node.memory, Math.max(1, Math.round((a.requests.memory * factor) / MiB)) * MiB)
    }
    if (a.kind === "Pod") {
      const { duration: _, ...rest } = a
      return { ...rest, requests }
    }
    const { lifetime: _, ...rest } = a
    return { ...rest, requests }
  })
  return { name, nodes: [node], arrivals: sortArrivals(scaled) }
}

/**
 * A task's relative length: exponential (memoryless, as queueing models take it), truncated at
 * 3× its mean by drawing again, so a few very long tasks do not stretch the run far past the span.
 */
const taskLength = (random: Random.Random): number => {
  for (;;) {
    const length = random.exponential(1)
    if (length <= 3) return length
  }
}

/** Bare pods `p-000001` … at `time()`, each of `shape()`, exponential durations. */
const barePods = (
  values: Values,
  random: Random.Random,
  time: () => number,
  shape: () => Requests
): ReadonlyArray<PodArrival> =>
  Array.from({ length: num(values, "pods") }, (_, i) => ({
    kind: "Pod",
    name: `p-${padded(i + 1, 6)}`,
    at: time(),
    requests: shape(),
    duration: taskLength(random)
  }))

// ---------------------------------------------------------------------------------------------
// The generators

const uniform: Generator = {
  description: "Poisson arrivals at a constant rate; cpu uniform in 250m–4 (steps of 250m), 2–6 GiB a core",
  options: {},
  make: (values, random) => {
    const node = nodesOf(values)
    const span = num(values, "span")
    const pods = barePods(
      values,
      random,
      () => uniformTime(span, random),
      () => uniformShape(node, random)
    )
    return settle("uniform", node, pods, values)
  }
}

// The 99th percentile of the standard normal: p99 = median × e^(z99 σ) for a log-normal.
const z99 = 2.3263478740408408

const heavyTailed: Generator = {
  description: "like uniform, but cpu log-normal or Pareto: many small pods, a few big ones",
  options: {
    dist: choice(["lognormal", "pareto"], "size distribution: lognormal or pareto"),
    median: positive("1", "median cpu request, cores"),
    p99: positive("16", "99th percentile cpu request, cores (clamped to a node)")
  },
  check: (values) => (num(values, "p99") > num(values, "median") ? undefined : "p99 must be above median"),
  make: (values, random) => {
    const node = nodesOf(values)
    const span = num(values, "span")
    const [median, p99] = [num(values, "median"), num(values, "p99")]
    // Pareto: median = xm·2^(1/α) and p99 = xm·100^(1/α), so p99/median = 50^(1/α).
    const alpha = Math.log(50) / Math.log(p99 / median)
    const cores =
      values.dist === "pareto"
        ? () => random.pareto(median * 2 ** (-1 / alpha), alpha)
        : () => random.logNormal(Math.log(median), Math.log(p99 / median) / z99)
    const shape = (): Requests => {
      const cpu = Math.min(node.cpu, Math.max(100, Math.round(cores() * 10) * 100))
      return { cpu, memory: memoryFor(cpu, node, random) }
    }
    return settle(
      "heavy-tailed",
      node,
      barePods(values, random, () => uniformTime(span, random), shape),
      values
    )
  }
}

const diurnal: Generator = {
  description: "like uniform, but the arrival rate follows a day cycle (trough at the start), by thinning",
  options: {
    ratio: positive("4", "peak ÷ trough arrival rate (at least 1)"),
    cycles: positive("1", "day cycles over the span")
  },
  check: (values) => (num(values, "ratio") >= 1 ? undefined : "ratio must be at least 1"),
  make: (values, random) => {
    const node = nodesOf(values)
    const [span, ratio, cycles] = [num(values, "span"), num(values, "ratio"), num(values, "cycles")]
    // rate(t) ∝ 1 - a·cos(2π·cycles·t/span); its peak over its trough is (1 + a)/(1 - a) = ratio.
    const a = (ratio - 1) / (ratio + 1)
    const time = (): number => {
      for (;;) {
        const t = random.uniform(0, span)
        if (random.next() * (1 + a) < 1 - a * Math.cos((2 * Math.PI * cycles * t) / span)) return Math.floor(t)
      }
    }
    return settle(
      "diurnal",
      node,
      barePods(values, random, time, () => uniformShape(node, random)),
      values
    )
  }
}

// Services live this many times longer than batch tasks, on average.
const serviceLength = 10

const mix: Generator = {
  description: "services (Deployments of 2–10 replicas, long-lived) and batch jobs (1–tasks tasks, one group each)",
  options: {
    services: share("0.3", "share of the pods in services", true),
    tasks: count("20", "most tasks in a batch job")
  },
  make: (values, random) => {
    const node = nodesOf(values)
    const span = num(values, "span")
    const pods = num(values, "pods")
    const arrivals: Array<Arrival> = []
    let left = Math.round(pods * num(values, "services"))
    for (let k = 1; left > 0; k++) {
      const replicas = Math.min(left, random.integer(2, 10))
      left -= replicas
      arrivals.push({
        kind: "Deployment",
        name: `svc-${padded(k, 4)}`,
        at: uniformTime(span, random),
        replicas,
        requests: uniformShape(node, random),
        lifetime: serviceLength * random.uniform(0.5, 1.5)
      } satisfies DeploymentArrival)
    }
    left = pods - Math.round(pods * num(values, "services"))
    for (let j = 1; left > 0; j++) {
      const tasks = Math.min(left, random.integer(1, num(values, "tasks")))
      left -= tasks
      const group = `job-${padded(j, 5)}`
      const at = uniformTime(span, random)
      const requests = uniformShape(node, random)
      for (let t = 1; t <= tasks; t++) {
        arrivals.push({ kind: "Pod", name: `${group}-${t}`, at, requests, duration: taskLength(random), group })
      }
    }
    return settle("mix", node, arrivals, values)
  }
}

const gang: Generator = {
  description: "jobs of exactly size tasks arriving together in one group; with gpus, 1 GPU a task",
  options: {
    size: count("8", "tasks per job"),
    gpus: count("0", "nvidia.com/gpu per node; above 0, each task asks for 1", 0)
  },
  make: (values, random) => {
    const gpus = num(values, "gpus")
    const node = nodesOf(values, gpus)
    const [span, size] = [num(values, "span"), num(values, "size")]
    const arrivals: Array<Arrival> = []
    const jobs = Math.max(1, Math.round(num(values, "pods") / size))
    for (let j = 1; j <= jobs; j++) {
      const group = `job-${padded(j, 5)}`
      const at = uniformTime(span, random)
      const shape = uniformShape(node, random)
      const requests = gpus > 0 ? { ...shape, extended: { [gpu]: 1 } } : shape
      // A gang runs as one: every task of it runs as long.
      const duration = taskLength(random)
      for (let t = 1; t <= size; t++)
        arrivals.push({ kind: "Pod", name: `${group}-${t}`, at, requests, duration, group })
    }
    return settle("gang", node, arrivals, values)
  }
}

/** The generators by name, as `--workload NAME[:key=value,…]` takes them. */
export const generators: Readonly<Record<string, Generator>> = {
  uniform,
  "heavy-tailed": heavyTailed,
  diurnal,
  mix,
  gang
}

/** The workload of a spec `NAME[:key=value,…]` and a seed; or what is wrong with the spec, naming what is known. */
export const generate = (spec: string, seed: number): Either.Either<Workload, string> => {
  const colon = spec.indexOf(":")
  const name = colon < 0 ? spec : spec.slice(0, colon)
  const generator = Object.hasOwn(generators, name) ? generators[name] : undefined
  if (generator === undefined) {
    return Either.left(`unknown workload generator "${name}"; generators: ${Object.keys(generators).join(", ")}`)
  }
  const known = { ...commonOptions, ...generator.options }
  const knownList = Object.keys(known).join(", ")
  const values: Record<string, Value> = {}
  const given = colon < 0 || colon === spec.length - 1 ? [] : spec.slice(colon + 1).split(",")
  for (const part of given) {
    const eq = part.indexOf("=")
    const key = part.slice(0, eq)
    if (eq <= 0) return Either.left(`${name}: "${part}" must be key=value; options: ${knownList}`)
    if (!Object.hasOwn(known, key)) return Either.left(`${name}: unknown option "${key}"; options: ${knownList}`)
    if (Object.hasOwn(values, key)) return Either.left(`${name}: option "${key}" is given twice`)
    const parsed = known[key].parse(part.slice(eq + 1))
    if (Either.isLeft(parsed)) return Either.left(`${name}: ${part}: ${parsed.left}`)
    values[key] = parsed.right
  }
  for (const [key, o] of Object.entries(known)) {
    if (!Object.hasOwn(values, key)) values[key] = Either.getOrThrow(o.parse(o.default))
  }
  const problem = generator.check?.(values)
  return problem === undefined
    ? Either.right(generator.make(values, Random.make(seed)))
    : Either.left(`${name}: ${problem}`)
}
