/**
 * Whole-run simulation speed: a cluster of N nodes (10-second heartbeats), P pods in D Deployments,
 * a rolling update of all of them, over a simulated span, run through the scenario runner exactly
 * as `minik8s run` does. Reported as simulated seconds per wall-second, events per wall-second and
 * peak RSS, against a bare discrete-event loop (a binary heap of timers in plain JavaScript, no
 * Effect) processing the same number of timer events: the floor any virtual-time driver pays.
 *
 * The run has a process of its own (`simulationProcess.ts`), so its peak RSS is its own and not the
 * high-water mark of the suites before it, and V8 is held to the memory budget the way a Node
 * process is: an old-space limit (`--max-old-space-size`). Without one V8 grows the heap lazily,
 * to well over what the run keeps alive.
 */
import * as Either from "effect/Either"
import { spawn } from "node:child_process"
import { performance } from "node:perf_hooks"
import { fileURLToPath } from "node:url"
import { parse } from "../sim/scenario/Parse.js"
import * as Run from "../sim/scenario/Run.js"
import { progress, type Row } from "./harness.js"

export interface SimulationSize {
  readonly nodes: number
  readonly deployments: number
  readonly podsPerDeployment: number
  /** Simulated minutes; the rolling update starts at a third of it. */
  readonly minutes: number
  /** Run the default safety invariants after every event too; default false (the control plane alone). */
  readonly invariants?: boolean
}

/** The issue's target: 1,000 nodes, 5,000 pods in 100 Deployments, a rolling update of all, 1 simulated hour. */
export const full: SimulationSize = { nodes: 1_000, deployments: 100, podsPerDeployment: 50, minutes: 60 }

/** The default size: 100 nodes, 500 pods in 10 Deployments, 10 simulated minutes. */
export const quick: SimulationSize = { nodes: 100, deployments: 10, podsPerDeployment: 50, minutes: 10 }

/** A smoke size for `--quick` and the test: 10 nodes, 20 pods in 2 Deployments, 2 simulated minutes. */
export const smoke: SimulationSize = { nodes: 10, deployments: 2, podsPerDeployment: 10, minutes: 2 }

const deployment = (i: number, replicas: number): string => `
        - apiVersion: apps/v1
          kind: Deployment
          metadata: {name: app-${i}}
          spec:
            replicas: ${replicas}
            selector: {matchLabels: {app: app-${i}}}
            template:
              metadata: {labels: {app: app-${i}}}
              spec:
                containers:
                  - name: app
                    image: "app:1"
                    resources: {requests: {cpu: 100m, memory: 128Mi}}`

/** The run as a scenario file: everything applied at 0s, every Deployment rolled to a new image at a third of the run. */
export const scenarioText = (size: SimulationSize): string => {
  const ids = Array.from({ length: size.deployments }, (_, i) => i + 1)
  const total = size.deployments * size.podsPerDeployment
  const rollAt = Math.floor((size.minutes * 60) / 3)
  return `apiVersion: minik8s.io/v1alpha1
kind: Scenario
metadata: {name: speed}
spec:
  seed: 1
  duration: ${size.minutes}m
  cluster:
    nodes:
      - {name: "node-{i}", count: ${size.nodes}, cpu: "4", memory: 8Gi}
    timing: {heartbeatInterval: 10s}
  steps:
    - at: 0s
      apply:${ids.map((i) => deployment(i, size.podsPerDeployment)).join("")}
    - at: ${rollAt}s
      setImage: {${ids.map((i) => `deployment/app-${i}: {container: app, image: "app:2"}`).join(", ")}}
    - at: ${size.minutes * 60}s
      expect:
        - pods: {phase: Running, image: "app:2", count: ${total}}
  invariants: ${size.invariants === true ? "[default]" : "[]"}
`
}

export interface SimulationFigures {
  readonly simulatedSeconds: number
  readonly wallSeconds: number
  readonly events: number
  /** Effect operations run: the work, independent of the machine. */
  readonly operations: number
  readonly passed: boolean
  /** Peak resident set size of the process so far, bytes. */
  readonly peakRss: number
}

/** The old-space limit of the run's process, MiB: what a 2 GB budget leaves once the young generation and code are counted. */
export const heapLimitMiB = 1_536

/** The young generation's semi-space, MiB, as `npm run bench` runs (a larger one means fewer scavenges). */
const semiSpaceMiB = 64

/** Runs the scenario of `size` once in this process and answers its figures. */
export const runSimulation = async (size: SimulationSize): Promise<SimulationFigures> => {
  const parsed = parse(scenarioText(size), "speed.yaml", () => {
    throw new Error("the speed scenario reads no files")
  })
  if (Either.isLeft(parsed)) throw new Error(`speed scenario: ${parsed.left.message}`)
  const start = performance.now()
  const summary = await Run.run(parsed.right, { onLine: (line) => progress(`simulation: ${line.trim()}`) })
  const wallSeconds = (performance.now() - start) / 1000
  progress("")
  return {
    simulatedSeconds: summary.simulatedSeconds,
    wallSeconds,
    events: summary.events,
    operations: summary.operations,
    passed: summary.passed,
    // maxRSS is in kilobytes: the process' high-water mark, which is what a memory budget limits.
    peakRss: process.resourceUsage().maxRSS * 1024
  }
}

/**
 * The bare loop: `timers` concurrent timers in a binary min-heap (time, then insertion order), each
 * re-armed 10 s later when it fires, until `events` have fired. Answers the wall seconds it took.
 */
export const bareEventLoop = (events: number, timers = 1_000): number => {
  const at: Array<number> = []
  const seq: Array<number> = []
  let next = 0
  const earlier = (i: number, j: number) => at[i]! < at[j]! || (at[i] === at[j] && seq[i]! < seq[j]!)
  const swap = (i: number, j: number) => {
    ;[at[i], at[j]] = [at[j]!, at[i]!]
    ;[seq[i], seq[j]] = [seq[j]!, seq[i]!]
  }
  const push = (time: number) => {
    at.push(time)
    seq.push(next++)
    for (let i = at.length - 1; i > 0;) {
      const parent = (i - 1) >> 1
      if (!earlier(i, parent)) break
      swap(i, parent)
      i = parent
    }
  }
  const pop = (): number => {
    const top = at[0]!
    const lastAt = at.pop()!
    const lastSeq = seq.pop()!
    if (at.length > 0) {
      at[0] = lastAt
      seq[0] = lastSeq
      for (let i = 0; ;) {
        const l = 2 * i + 1
        const r = l + 1
        let least = i
        if (l < at.length && earlier(l, least)) least = l
        if (r < at.length && earlier(r, least)) least = r
        if (least === i) break
        swap(i, least)
        i = least
      }
    }
    return top
  }
  const start = performance.now()
  for (let i = 0; i < timers; i++) push(i % 10_000)
  let fired = 0
  let checksum = 0
  while (fired < events) {
    const now = pop()
    fired++
    checksum += now
    push(now + 10_000)
  }
  const wall = (performance.now() - start) / 1000
  // Keeps the loop from being optimised away.
  if (checksum < 0) throw new Error("unreachable")
  return wall
}

/** Runs the scenario of `size` once in a process of its own (see the module's comment) and answers its figures. */
export const runSimulationProcess = (size: SimulationSize): Promise<SimulationFigures> =>
  new Promise((resolve, reject) => {
    const script = fileURLToPath(new URL("./simulationProcess.ts", import.meta.url))
    const loader = new URL("../bin/typescript.js", import.meta.url).href
    const flags = [`--max-old-space-size=${heapLimitMiB}`, `--max-semi-space-size=${semiSpaceMiB}`, "--import", loader]
    // stderr is this process' own: progress shows on a terminal, and an error where the run was started.
    const child = spawn(process.execPath, [...flags, script, JSON.stringify(size)], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    let stdout = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.once("error", reject)
    child.once("close", (code, signal) =>
      code === 0
        ? resolve(JSON.parse(stdout) as SimulationFigures)
        : reject(new Error(`the simulation process ended with ${signal ?? `exit code ${code}`} (its error is above)`))
    )
  })

/** Rows: the bare loop (baseline), the simulation's events/s and simulated-seconds/s, and its peak RSS. */
export const simulationRows = async (size: SimulationSize): Promise<Row[]> => {
  const run = await runSimulationProcess(size)
  bareEventLoop(Math.min(run.events, 100_000)) // warm-up: the JIT compiles the loop before it is timed
  const bare = bareEventLoop(run.events)
  const suite = `simulation ${size.nodes} nodes, ${size.deployments * size.podsPerDeployment} pods, ${size.minutes} min`
  const note = run.passed ? undefined : "the scenario's check failed"
  const baselineRate = run.events / bare
  const rate = run.events / run.wallSeconds
  return [
    { suite, name: "bare event loop, same timer events", value: baselineRate, unit: "events/s", ratio: 1 },
    { suite, name: `simulation (${run.events} events)`, value: rate, unit: "events/s", ratio: rate / baselineRate },
    {
      suite,
      name: "simulated seconds per wall-second",
      value: run.simulatedSeconds / run.wallSeconds,
      unit: "x real time",
      ratio: bare / run.wallSeconds,
      note: note ?? "ratio: the bare loop's wall time over the simulation's"
    },
    {
      suite,
      name: "Effect operations per event",
      value: run.operations / run.events,
      unit: "ops",
      ratio: run.operations / run.events,
      note: `${run.operations} operations; the same on every machine`
    },
    {
      suite,
      name: "peak RSS",
      value: run.peakRss / 2 ** 20,
      unit: "MiB",
      ratio: run.peakRss / 2 ** 31,
      note: `ratio: to the 2 GiB budget; the run's own process, old space limited to ${heapLimitMiB} MiB`
    }
  ]
}
