import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as V from "../../core/api/validation.js"
import { commonOptions, generate, generators } from "./Generators.js"
import * as Random from "./Random.js"
import { type Arrival, podsOf, sortArrivals, type Workload } from "./Workload.js"

const workload = (spec: string, seed = 1): Workload =>
  Either.getOrElse(generate(spec, seed), (message) => {
    throw new Error(message)
  })

const problem = (spec: string): string => Either.match(generate(spec, 1), { onLeft: (m) => m, onRight: () => "ok" })

const quantile = (sorted: ReadonlyArray<number>, q: number): number => sorted[Math.floor(q * (sorted.length - 1))]
const mean = (xs: ReadonlyArray<number>): number => xs.reduce((a, b) => a + b, 0) / xs.length
const groups = (arrivals: ReadonlyArray<Arrival>): Map<string | undefined, Array<Arrival>> => {
  const result = new Map<string | undefined, Array<Arrival>>()
  for (const a of arrivals) {
    const group = a.kind === "Pod" ? a.group : undefined
    result.set(group, [...(result.get(group) ?? []), a])
  }
  return result
}
const lengthOf = (a: Arrival): number => (a.kind === "Pod" ? a.duration! : a.lifetime!)

describe("Random", () => {
  it("is a pure function of the seed", () => {
    const draw = (seed: number) => {
      const r = Random.make(seed)
      return Array.from({ length: 5 }, () => r.next())
    }
    expect(draw(7)).toEqual(draw(7))
    expect(draw(7)).not.toEqual(draw(8))
    expect(draw(2 ** 40)).not.toEqual(draw(0))
  })

  it("draws from the distributions it names", () => {
    const r = Random.make(42)
    const n = 20_000
    const sample = (draw: () => number) => Array.from({ length: n }, draw).sort((a, b) => a - b)
    expect(mean(sample(r.next))).toBeCloseTo(0.5, 1)
    const ints = sample(() => r.integer(1, 6))
    expect([ints[0], ints[n - 1], new Set(ints).size]).toEqual([1, 6, 6])
    const normal = sample(() => r.normal(10, 2))
    expect(mean(normal)).toBeCloseTo(10, 0)
    expect(quantile(normal, 0.8413) - quantile(normal, 0.5)).toBeCloseTo(2, 0)
    expect(
      quantile(
        sample(() => r.logNormal(Math.log(3), 1)),
        0.5
      )
    ).toBeCloseTo(3, 0)
    const pareto = sample(() => r.pareto(2, 3))
    expect(pareto[0]).toBeGreaterThanOrEqual(2)
    expect(mean(pareto)).toBeCloseTo(3, 0) // shape·scale/(shape − 1)
    expect(mean(sample(() => r.exponential(5)))).toBeCloseTo(5, 0)
  })
})

describe("generate", () => {
  const specs = Object.keys(generators).flatMap((name) => [`${name}:pods=2000`, `${name}:pods=300,nodes=7`])

  it.each(specs)("%s: deterministic, sorted, named as asked, every shape fits a node", (spec) => {
    const w = workload(spec)
    expect(workload(spec)).toEqual(w)
    expect(workload(spec, 2)).not.toEqual(w)
    expect(w.arrivals).toEqual(sortArrivals(w.arrivals))
    const names = w.arrivals.map((a) => a.name)
    expect(new Set(names).size).toBe(names.length)
    for (const name of names) expect(V.dns1123Label(name)).toEqual([])
    const pods = Number(/pods=(\d+)/.exec(spec)![1])
    expect(w.arrivals.reduce((n, a) => n + podsOf(a), 0)).toBeCloseTo(pods, -1)
    const [node] = w.nodes
    expect(node.count).toBe(spec.includes("nodes=7") ? 7 : 100)
    for (const a of w.arrivals) {
      expect(a.at).toBeGreaterThanOrEqual(0)
      expect(a.at).toBeLessThan(3_600_000)
      expect(a.requests.cpu).toBeLessThanOrEqual(node.cpu)
      expect(a.requests.memory).toBeLessThanOrEqual(node.memory)
      expect(Number.isInteger(lengthOf(a)) && lengthOf(a) >= 1000).toBe(true)
    }
  })

  it.each(Object.keys(generators))(
    "%s: durations make the tightest resource `load` allocated (Little's law)",
    (name) => {
      for (const load of [0.3, 0.7]) {
        const w = workload(name === "gang" ? `gang:load=${load},gpus=8,span=1h` : `${name}:load=${load},span=1h`)
        const [node] = w.nodes
        const used = (r: (a: Arrival) => number) =>
          w.arrivals.reduce((sum, a) => sum + podsOf(a) * r(a) * lengthOf(a), 0)
        const allocation = [
          used((a) => a.requests.cpu) / (node.cpu * node.count),
          used((a) => a.requests.memory) / (node.memory * node.count),
          used((a) => a.requests.extended?.["nvidia.com/gpu"] ?? 0) /
            ((node.extended?.["nvidia.com/gpu"] ?? 1) * node.count)
        ]
        expect(Math.max(...allocation) / 3_600_000).toBeCloseTo(load, 2)
      }
    }
  )

  it("reaches the load at steady state: uniform's mean CPU allocation over the second half of the span", () => {
    const w = workload("uniform:load=0.6,span=1h")
    const [node] = w.nodes
    const [from, to] = [1_800_000, 3_600_000]
    let cpuTime = 0
    for (const a of w.arrivals) {
      if (a.kind !== "Pod") continue
      const overlap = Math.min(to, a.at + a.duration!) - Math.max(from, a.at)
      if (overlap > 0) cpuTime += a.requests.cpu * overlap
    }
    // Pods still arriving make up for the first minutes' shortfall only partly: a little below 0.6.
    expect(cpuTime / (node.cpu * node.count * (to - from))).toBeGreaterThan(0.54)
    expect(cpuTime / (node.cpu * node.count * (to - from))).toBeLessThan(0.62)
  })

  it("uniform: cpu 250m–4 in steps of 250m, 2–6 GiB a core", () => {
    for (const a of workload("uniform").arrivals) {
      expect(a.requests.cpu % 250 === 0 && a.requests.cpu >= 250 && a.requests.cpu <= 4000).toBe(true)
      const perCore = a.requests.memory / 2 ** 30 / (a.requests.cpu / 1000)
      expect(perCore).toBeGreaterThanOrEqual(1.99)
      expect(perCore).toBeLessThanOrEqual(6.01)
    }
  })

  it.each(["lognormal", "pareto"])("heavy-tailed (%s): many small pods, a few big ones", (dist) => {
    const cpu = workload(`heavy-tailed:dist=${dist},pods=20000`)
      .arrivals.map((a) => a.requests.cpu)
      .sort((a, b) => a - b)
    expect(quantile(cpu, 0.5)).toBeGreaterThanOrEqual(800)
    expect(quantile(cpu, 0.5)).toBeLessThanOrEqual(1200)
    expect(quantile(cpu, 0.99)).toBeGreaterThanOrEqual(12_000)
    expect(quantile(cpu, 0.99)).toBeLessThanOrEqual(21_000)
    expect(cpu.at(-1)).toBe(32_000) // clamped to a node
    expect(cpu[0]).toBe(dist === "pareto" ? 600 : 100) // Pareto starts at its scale, median·2^(−1/α)
  })

  it("fill: nothing departs, and the requests add up to the share of the tightest resource", () => {
    for (const spec of ["uniform:nodes=10,pods=2000,fill=0.9", "mix:nodes=10,pods=2000,fill=0.5"]) {
      const w = workload(spec)
      expect(w.arrivals.every((a) => (a.kind === "Pod" ? a.duration : a.lifetime) === undefined)).toBe(true)
      const node = w.nodes[0]!
      const asked = (r: "cpu" | "memory") =>
        w.arrivals.reduce((n, a) => n + a.requests[r] * podsOf(a), 0) / (node[r] * node.count)
      const share = Number(spec.split("fill=")[1])
      expect(Math.max(asked("cpu"), asked("memory"))).toBeCloseTo(share, 2)
    }
  })

  it("heavy-tailed: median and p99 move the sizes", () => {
    const cpu = workload("heavy-tailed:median=0.5,p99=4,pods=20000")
      .arrivals.map((a) => a.requests.cpu)
      .sort((a, b) => a - b)
    expect(quantile(cpu, 0.5)).toBe(500)
    expect(Math.abs(quantile(cpu, 0.99) - 4000)).toBeLessThanOrEqual(600)
  })

  it("diurnal: arrivals crowd the peak in the middle of the span", () => {
    const share = (spec: string) => {
      const w = workload(spec)
      return w.arrivals.filter((a) => a.at >= 900_000 && a.at < 2_700_000).length / w.arrivals.length
    }
    // With ratio 4 (a = 0.6) the middle half holds 1/2 + a/π ≈ 0.69 of the arrivals.
    expect(share("diurnal:pods=20000,span=1h")).toBeCloseTo(0.5 + 0.6 / Math.PI, 1)
    expect(share("diurnal:pods=20000,ratio=1,span=1h")).toBeCloseTo(0.5, 1)
    expect(share("diurnal:pods=20000,cycles=2,span=1h")).toBeCloseTo(0.5, 1)
  })

  it("mix: services take their share of the pods and live long; batch jobs are groups of 1–tasks tasks", () => {
    const w = workload("mix:pods=4000,services=0.25,tasks=12")
    const services = w.arrivals.filter((a) => a.kind === "Deployment")
    const tasks = w.arrivals.filter((a) => a.kind === "Pod")
    expect(services.reduce((n, a) => n + podsOf(a), 0)).toBe(1000)
    expect(tasks.length).toBe(3000)
    for (const s of services.slice(0, -1)) expect(podsOf(s)).toBeGreaterThanOrEqual(2)
    for (const s of services) expect(podsOf(s)).toBeLessThanOrEqual(10)
    expect(mean(services.map(lengthOf))).toBeGreaterThan(5 * mean(tasks.map(lengthOf)))
    const jobs = groups(tasks)
    expect(jobs.has(undefined)).toBe(false)
    for (const job of jobs.values()) {
      expect(job.length).toBeLessThanOrEqual(12)
      expect(new Set(job.map((t) => t.at)).size).toBe(1)
    }
    expect(workload("mix:services=0").arrivals.every((a) => a.kind === "Pod")).toBe(true)
  })

  it("gang: jobs of exactly size tasks, together, as long; with gpus, GPU nodes and 1 GPU a task", () => {
    const w = workload("gang:pods=400,size=4,gpus=8")
    expect(w.nodes[0].extended).toEqual({ "nvidia.com/gpu": 8 })
    const jobs = groups(w.arrivals)
    expect(jobs.size).toBe(100)
    for (const job of jobs.values()) {
      expect(job.length).toBe(4)
      expect(new Set(job.map((t) => `${t.at}/${lengthOf(t)}/${t.requests.cpu}`)).size).toBe(1)
      for (const t of job) expect(t.requests.extended).toEqual({ "nvidia.com/gpu": 1 })
    }
    expect(workload("gang").nodes[0].extended).toBeUndefined()
    expect(workload("gang").arrivals[0].requests.extended).toBeUndefined()
  })

  it("sizes the cluster from nodes, cpu and memory, and the window from span", () => {
    const w = workload("uniform:nodes=3,cpu=2.5,memory=6,span=1d,pods=500")
    expect(w.nodes).toEqual([{ name: "node", count: 3, cpu: 2500, memory: 6 * 2 ** 30 }])
    expect(Math.max(...w.arrivals.map((a) => a.at))).toBeGreaterThan(20 * 3_600_000)
    expect(Math.max(...w.arrivals.map((a) => a.requests.cpu))).toBe(2500)
    expect(Math.max(...workload("uniform:span=30m").arrivals.map((a) => a.at))).toBeLessThan(1_800_000)
  })

  it("makes 100,000 pods in well under a few seconds", () => {
    const started = performance.now()
    expect(workload("heavy-tailed:pods=100000").arrivals.length).toBe(100_000)
    expect(performance.now() - started).toBeLessThan(3000)
  })

  it.each([
    ["nope", `unknown workload generator "nope"; generators: uniform, heavy-tailed, diurnal, mix, gang`],
    ["uniform:podz=3", `uniform: unknown option "podz"; options: nodes, cpu, memory, pods, span, load, fill`],
    [
      "gang:dist=pareto",
      `gang: unknown option "dist"; options: nodes, cpu, memory, pods, span, load, fill, size, gpus`
    ],
    ["uniform:pods", `uniform: "pods" must be key=value; options: nodes, cpu, memory, pods, span, load, fill`],
    ["uniform:pods=10,pods=20", `uniform: option "pods" is given twice`],
    ["uniform:pods=0", "uniform: pods=0: must be a whole number, at least 1"],
    ["uniform:pods=1.5", "uniform: pods=1.5: must be a whole number, at least 1"],
    ["uniform:cpu=-1", "uniform: cpu=-1: must be a number above 0"],
    ["uniform:load=0", "uniform: load=0: must be a number in (0, 1]"],
    ["uniform:load=1.2", "uniform: load=1.2: must be a number in (0, 1]"],
    ["uniform:span=10", `uniform: span=10: missing unit in duration "10"`],
    ["uniform:span=0s", "uniform: span=0s: must be longer than 0s"],
    ["heavy-tailed:dist=zipf", "heavy-tailed: dist=zipf: must be one of lognormal, pareto"],
    ["heavy-tailed:median=4,p99=2", "heavy-tailed: p99 must be above median"],
    ["diurnal:ratio=0.5", "diurnal: ratio must be at least 1"],
    ["mix:services=2", "mix: services=2: must be a number in [0, 1]"]
  ])("refuses %s", (spec, message) => {
    expect(problem(spec)).toBe(message)
  })

  it("takes an empty option list and every default", () => {
    expect(problem("uniform:")).toBe("ok")
    for (const name of Object.keys(generators)) {
      const defaults = Object.entries({ ...commonOptions, ...generators[name].options })
        .map(([key, o]) => `${key}=${o.default}`)
        .join(",")
      expect(workload(`${name}:${defaults}`)).toEqual(workload(name))
    }
  })
})
