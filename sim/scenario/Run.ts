/**
 * Runs a scenario in simulation: builds the cluster, plays the steps at their virtual times,
 * evaluates the checks, watches the invariants, and answers the summary. The whole run is one
 * Effect program driven by a `Simulation`, so it is a pure function of the scenario and the seed:
 * the trace hash is the same on every run and every machine.
 */
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Scope from "effect/Scope"
import * as HashMap from "effect/HashMap"
import * as Runtime from "effect/Runtime"
import * as Schedule from "effect/Schedule"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as LabelSelector from "../../core/api/LabelSelector.js"
import type { Deployment } from "../../core/api/Deployment.js"
import { Deployments } from "../../core/api/Deployment.js"
import { Nodes } from "../../core/api/Node.js"
import type { Pod } from "../../core/api/Pod.js"
import { byKind, byName } from "../../core/api/registry.js"
import type { ResourceType } from "../../core/api/resource.js"
import { ReplicaSets } from "../../core/api/ReplicaSet.js"
import * as Apply from "../../core/client/Apply.js"
import { Client } from "../../core/client/Client.js"
import { type KnownBug, KnownBugs } from "../../core/testing/KnownBugs.js"
import * as Cluster from "../cluster/Cluster.js"
import { Simulation, type SimulationOptions } from "../clock/Simulation.js"
import * as Invariants from "../invariants/Invariants.js"
import * as Network from "../network/Network.js"
import { Trace } from "../trace/Trace.js"
import * as Checks from "./Checks.js"
import type { CustomInvariant, RuntimeContainer } from "../invariants/Invariant.js"
import type { NodeContainer } from "../runtime/SimRuntime.js"
import type { Action, CheckAt, Fault, ObjectRef, Scenario, ScheduledFault, Step, Trigger } from "./Scenario.js"
import type { FaultOutcome, Sample, StepOutcome, StepResult, Summary } from "./Summary.js"
import { formatTime } from "./Time.js"
import * as Occupancy from "./Occupancy.js"
import * as World from "./World.js"

export interface RunOptions {
  /** Overrides the scenario's seed. */
  readonly seed?: number
  readonly interleave?: "fifo" | "random"
  /** Receives every trace line (JSONL without the newline), for `--trace FILE`. */
  readonly trace?: (line: string) => void
  /** Receives the timeline as it happens: one line per step, failure and violation. */
  readonly onLine?: (line: string) => void
  /** Component logs at this level and above go into the trace; default Info. */
  readonly logLevel?: LogLevel.LogLevel
  /** The interleaving as a choice tape (see Simulation); overrides `interleave`. */
  readonly tape?: ReadonlyArray<number>
  /** Invariants written in TypeScript, checked beside the scenario's. */
  readonly custom?: ReadonlyArray<CustomInvariant>
  /** Bugs planted in the control plane (tests only: the known-bug catalogue). */
  readonly bugs?: ReadonlySet<KnownBug>
  /**
   * Called once the world view exists, before the first step (the differential oracle records from
   * there), with the simulated milliseconds since the start.
   */
  readonly onWorld?: (world: World.World, elapsed: () => number) => void
  /** Called before every Effect operation with the fiber that runs it (Simulation's `onOperation`: `bench/ops.ts`). */
  readonly onOperation?: SimulationOptions["onOperation"]
  /** Called as each action starts, with what it finds of each object it acts on (the differential oracle compares them). */
  readonly onAction?: (step: number, met: ReadonlyArray<Met>) => void
}

/** An object an action acts on, and what the action found of it as it started: none, a live one, or one being deleted. */
export interface Met {
  /** The resource's kind, as in the object (`Deployment`). */
  readonly kind: string
  /** Undefined for a cluster-scoped kind. */
  readonly namespace: string | undefined
  readonly name: string
  readonly state: "absent" | "live" | "terminating"
}

/** How long the end-of-run checks (noOrphans, converged) may wait for the cluster to quiesce. */
const quiescence = 60_000

interface Failure {
  readonly step: number
  readonly time: number
  readonly check: string
  readonly message: string
}

/** One line of an action, for the timeline and the trace. */
export const describe = (action: Action): string => {
  const ref = (r: ObjectRef) =>
    `${r.namespace === "default" || r.namespace === "" ? "" : `${r.namespace}/`}${r.kind}/${r.name}`
  switch (action._tag) {
    case "apply":
      return `apply ${action.manifests
        .map((m) => `${String(m["kind"]).toLowerCase()}/${String((m["metadata"] as { name?: unknown })?.name)}`)
        .join(", ")}`
    case "delete":
      return `delete ${ref(action.ref)}${action.propagation === "Background" ? "" : ` (${action.propagation})`}`
    case "scale":
      return `scale ${action.targets.map((t) => `${ref(t.ref)}=${t.replicas}`).join(", ")}`
    case "setImage":
      return `setImage ${action.targets.map((t) => `${ref(t.ref)} ${t.container}=${t.image}`).join(", ")}`
    case "cordon":
    case "uncordon":
      return `${action._tag} ${action.node}`
    case "addNodes":
      return `addNodes ${action.group.names.join(", ")}`
    case "fault":
      return `fault ${describeFault(action.fault)}`
    case "expect":
      return `expect ${action.checks.map((c) => c.label).join(", ")}`
  }
}

const describeFault = (fault: Fault): string => {
  switch (fault._tag) {
    case "crashNode":
    case "restartNode":
    case "stopKubelet":
    case "startKubelet":
      return `${fault._tag} ${fault.node}`
    case "partition":
      return `partition ${fault.a} | ${fault.b} for ${formatTime(fault.for)}`
    case "crashContainer":
      return `crashContainer ${fault.pod}/${fault.container} exit ${fault.exitCode}`
    case "storeUnavailable":
      return `storeUnavailable for ${formatTime(fault.for)}`
    case "compactStore":
      return "compactStore"
    case "slowNetwork":
      return `slowNetwork ${formatTime(fault.latency.min)}-${formatTime(fault.latency.max)} for ${formatTime(fault.for)}`
    case "restartComponent":
      return `restartComponent ${fault.component}`
    case "cutWatches":
      return `cutWatches ${fault.component}`
    case "delayWatches":
      return `delayWatches ${fault.component}${fault.kind === undefined ? "" : ` ${fault.kind}`} by ${formatTime(fault.by)} for ${formatTime(fault.for)}`
    case "ambiguousCommit":
    case "crashAtWrite":
      return `${fault._tag} ${fault.component} at write ${fault.nth}${fault.kind === undefined ? "" : ` of a ${fault.kind}`}`
    case "clockSkew":
      return `clockSkew ${fault.node} ${fault.offset < 0 ? "-" : "+"}${formatTime(Math.abs(fault.offset))}`
  }
}

/** `updated replicaset` / `the 2nd updated replicaset/web` as a trigger reads. */
const describeTrigger = (trigger: Trigger): string =>
  `${trigger.event} ${trigger.kind}${trigger.name === undefined ? "" : `/${trigger.name}`}` +
  (trigger.count === 1 ? "" : ` x${trigger.count}`)

/** A fault of the fault track in one line: `1m30s crashNode node-1`, `0s when updated replicaset x2: cutWatches scheduler`. */
export const describeScheduled = (entry: ScheduledFault): string =>
  `${formatTime(entry.at)} ${entry.when === undefined ? "" : `when ${describeTrigger(entry.when)}: `}${describeFault(entry.fault)}`

const transientTags = new Set([
  "ServiceUnavailable",
  "InternalError",
  "Timeout",
  "TooManyRequests",
  "Unreachable",
  "Conflict"
])

/** An error that going again may cure (unavailable, unreachable, timeout, conflict). */
export const transient = (error: unknown): boolean =>
  typeof error === "object" && error !== null && "_tag" in error && transientTags.has(String(error._tag))

const resourceOf = (ref: ObjectRef) => {
  const rt = byName(ref.kind)
  if (rt === undefined) throw new Error(`unknown kind ${ref.kind}`) // the parser admits known kinds only
  return rt
}

/** The objects `action` acts on, each with its state in `world` now. */
const metBy = (action: Exclude<Action, { _tag: "expect" }>, world: World.World): ReadonlyArray<Met> => {
  const targets: Array<{ readonly rt: ResourceType<any>; readonly namespace: string; readonly name: string }> = []
  const ref = (r: ObjectRef) => targets.push({ rt: resourceOf(r), namespace: r.namespace, name: r.name })
  switch (action._tag) {
    case "apply":
      for (const manifest of action.manifests) {
        const metadata = (manifest["metadata"] ?? {}) as { readonly namespace?: string; readonly name?: string }
        const rt = byKind(String(manifest["apiVersion"]), String(manifest["kind"]))
        if (rt !== undefined)
          targets.push({ rt, namespace: metadata.namespace ?? "default", name: metadata.name ?? "" })
      }
      break
    case "delete":
      ref(action.ref)
      break
    case "scale":
    case "setImage":
      for (const target of action.targets) ref(target.ref)
      break
    case "cordon":
    case "uncordon":
      targets.push({ rt: Nodes, namespace: "", name: action.node })
      break
  }
  return targets.map(({ rt, namespace, name }) => {
    const obj = world.get(rt.kind, namespace, name)
    return {
      kind: rt.kind,
      namespace: rt.namespaced ? namespace : undefined,
      name,
      state: obj === undefined ? "absent" : obj.metadata.deletionTimestamp === undefined ? "live" : "terminating"
    }
  })
}

const messageOf = (error: unknown): string =>
  typeof error === "object" && error !== null && "message" in error ? String(error.message) : String(error)

/** The text of a log message without objects (a Cause carries fiber ids and wall-clock times). */
const logText = (message: unknown): string =>
  (Array.isArray(message) ? message : [message])
    .filter((part) => typeof part === "string" || typeof part === "number")
    .join(" ")

/** The same nodes in the same order with the same counts: the two make the same JSON. */
const sameCounts = (a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean => {
  if (a.size !== b.size) return false
  const other = b.entries()
  for (const [key, count] of a) {
    const [otherKey, otherCount] = other.next().value!
    if (key !== otherKey || count !== otherCount) return false
  }
  return true
}

/** Runs the scenario to its end in virtual time and answers its summary; `wallSeconds` is left 0. */
export const run = async (scenario: Scenario, options: RunOptions = {}): Promise<Summary> => {
  const seed = options.seed ?? scenario.seed
  const sim = new Simulation({
    seed,
    ...(options.interleave === undefined ? {} : { interleave: options.interleave }),
    ...(options.tape === undefined ? {} : { tape: options.tape }),
    ...(options.onOperation === undefined ? {} : { onOperation: options.onOperation })
  })
  const trace = new Trace(options.trace)
  const elapsed = () => sim.elapsed()
  const line = (text: string) => options.onLine?.(text)
  const failures: Array<Failure> = []
  const steps: Array<StepResult> = []
  const series: Array<Sample> = []
  let passed = 0
  let total = 0
  let invariants: Invariants.Invariants | undefined
  let reported = 0
  let faultOutcomes: () => ReadonlyArray<FaultOutcome> = () => []

  const logger = Logger.make(({ logLevel, message, annotations }) => {
    const component = HashMap.get(annotations, "component")
    trace.record(elapsed(), component._tag === "Some" ? String(component.value) : "?", "log", {
      level: logLevel.label,
      msg: logText(message)
    })
  })

  const program = Effect.gen(function* () {
    const network = yield* Network.make({
      latency: scenario.cluster.timing.apiLatency,
      onWatch: (component, request) => invariants?.onWatchLine(component, request) ?? (() => {}),
      onResponse: (component, request, response) => invariants?.onResponse(component, request, response),
      onLostReply: (component, request, response) => invariants?.onLostReply(component, request, response)
    })
    const cluster = yield* Cluster.make(scenario.cluster, { network })
    const world = yield* World.make(cluster.store)
    // Read by invariants on the world's events: the same answer while every node lists the same containers.
    let lastRead: ReadonlyArray<readonly [string, ReadonlyArray<NodeContainer>]> = []
    let lastAll: ReadonlyArray<RuntimeContainer> = []
    const containers = (): ReadonlyArray<RuntimeContainer> => {
      const read = cluster.runtimes().map(([node, runtime]) => [node, runtime.containers()] as const)
      const same =
        read.length === lastRead.length &&
        read.every(([node, list], i) => node === lastRead[i]![0] && list === lastRead[i]![1])
      if (!same) lastAll = read.flatMap(([node, list]) => list.map((c) => ({ node, ...c })))
      lastRead = read
      return lastAll
    }
    const checking = Invariants.make(scenario.invariants, world, {
      now: elapsed,
      containers,
      timing: scenario.cluster.timing,
      ...(options.custom === undefined ? {} : { custom: options.custom })
    })
    invariants = checking
    options.onWorld?.(world, elapsed)
    world.onEvent((event) => {
      trace.record(elapsed(), "store", event.type, {
        key: `${event.kind}/${event.object.metadata.namespace ?? ""}/${event.object.metadata.name ?? ""}`,
        rv: event.object.metadata.resourceVersion ?? ""
      })
      reportViolations()
    })
    const withClient = <A, E>(effect: Effect.Effect<A, E, Client>) =>
      Effect.provideService(effect, Client, cluster.client)

    const reportViolations = () => {
      const found = invariants?.violations() ?? []
      for (; reported < found.length; reported++) {
        const v = found[reported]!
        trace.record(v.time, "invariant", "violation", { invariant: v.invariant, message: v.message })
        line(`  ${formatTime(v.time).padEnd(10)} VIOLATION ${v.invariant}: ${v.message}`)
      }
    }

    // The extra zero sleep lets everything already due at `time` happen first.
    const sleepUntil = (time: number) =>
      Effect.suspend(() => Effect.zipRight(Effect.sleep(Math.max(0, time - elapsed())), Effect.sleep(0)))

    const evaluate = (checks: ReadonlyArray<CheckAt>) =>
      checks.map((c) => ({ at: c, result: Checks.evaluate(c.check, world) }))

    // The last sample's counts: most samples count what the one before did, and then share its record.
    let lastCounts: ReadonlyMap<string, number> | undefined
    const occupancy = Occupancy.make(world)
    const sample = Effect.sync(() => {
      // Counted in a Map: a record of a thousand node names is a slow dictionary, so one is made only for new counts.
      const counts = occupancy.podsPerNode()
      const ready = occupancy.readyNodes()
      const before = series.at(-1)?.podsPerNode
      const same = before !== undefined && lastCounts !== undefined && sameCounts(lastCounts, counts)
      lastCounts = counts
      series.push({
        t: elapsed() / 1000,
        podsPerNode: same ? before : Object.fromEntries(counts),
        pending: occupancy.pending(),
        readyNodes: ready,
        notReadyNodes: world.nodes().length - ready
      })
    })
    const sampleEvery = Math.max(1000, Math.ceil(scenario.duration / 300 / 1000) * 1000)
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(sample, Effect.sleep(sampleEvery))))

    const stepResult = (step: Step, result: StepOutcome, at = elapsed()): StepResult => ({
      index: step.index,
      time: at / 1000,
      action: describe(step.action),
      result
    })

    const fail = (step: Step, check: string, message: string) => {
      failures.push({ step: step.index, time: elapsed(), check, message })
      trace.record(elapsed(), "scenario", "fail", { step: step.index, check, message })
      line(`  ${formatTime(elapsed()).padEnd(10)} step ${step.index}  FAIL ${check}: ${message}`)
    }

    const act = (action: Exclude<Action, { _tag: "expect" }>) =>
      Effect.gen(function* () {
        switch (action._tag) {
          case "apply":
            for (const manifest of action.manifests) yield* withClient(Apply.apply(manifest))
            return
          case "delete": {
            const rt = resourceOf(action.ref)
            return yield* withClient(
              Effect.flatMap(Client, (client) =>
                client.delete(rt, action.ref.name, {
                  ...(rt.namespaced ? { namespace: action.ref.namespace } : {}),
                  propagationPolicy: action.propagation
                })
              )
            )
          }
          case "scale":
            for (const target of action.targets) {
              const patch = { spec: { replicas: target.replicas } }
              const where = { type: "merge", namespace: target.ref.namespace } as const
              if (target.ref.kind === "replicaset")
                yield* cluster.client.patch(ReplicaSets, target.ref.name, patch, where)
              else yield* cluster.client.patch(Deployments, target.ref.name, patch, where)
            }
            return
          case "setImage":
            for (const target of action.targets) {
              const current: Deployment = yield* cluster.client.get(Deployments, target.ref.name, {
                namespace: target.ref.namespace
              })
              const spec = current.spec!
              const template = spec.template ?? {}
              const containers = template.spec?.containers ?? []
              if (!containers.some((c) => c.name === target.container)) {
                return yield* Effect.fail(
                  new Error(`deployment ${target.ref.name} has no container ${target.container}`)
                )
              }
              yield* cluster.client.update(Deployments, {
                ...current,
                spec: {
                  ...spec,
                  template: {
                    ...template,
                    spec: {
                      ...template.spec!,
                      containers: containers.map((c) =>
                        c.name === target.container ? { ...c, image: target.image } : c
                      )
                    }
                  }
                }
              })
            }
            return
          case "cordon":
          case "uncordon":
            yield* cluster.client.patch(
              Nodes,
              action.node,
              { spec: { unschedulable: action._tag === "cordon" } },
              { type: "merge" }
            )
            return
          case "addNodes":
            return yield* cluster.addNodes(action.group)
          case "fault":
            return yield* Effect.asVoid(inject(action.fault))
        }
      })

    /**
     * Brings `fault` about now and answers whether it fired (had anything to act on); a fault with a
     * duration is undone by a fiber of its own. A fault armed on a write fires later, if at all.
     */
    const inject = (fault: Fault): Effect.Effect<() => boolean, Error, Scope.Scope> => {
      const yes = () => true
      const no = () => false
      // The undo of this very fault: overlapping faults of one kind each last their own time.
      const forAWhile = (start: Effect.Effect<Effect.Effect<void>>, millis: number) =>
        Effect.flatMap(start, (undo) => Effect.as(Effect.forkScoped(Effect.zipRight(Effect.sleep(millis), undo)), yes))
      const known = (node: string) => cluster.runtime(node) !== undefined
      switch (fault._tag) {
        case "crashNode":
          return Effect.suspend(() => {
            const up = cluster.runtime(fault.node)?.isUp() === true
            return Effect.as(cluster.crashNode(fault.node), up ? yes : no)
          })
        case "restartNode":
          return Effect.as(cluster.restartNode(fault.node), known(fault.node) ? yes : no)
        case "stopKubelet":
          return Effect.as(cluster.stopKubelet(fault.node), known(fault.node) ? yes : no)
        case "startKubelet":
          return Effect.as(cluster.startKubelet(fault.node), known(fault.node) ? yes : no)
        case "partition":
          return forAWhile(network.partition(fault.a, fault.b), fault.for)
        case "crashContainer":
          return Effect.gen(function* () {
            const pods = podsNamed(fault.pod)
            if (pods.length === 0) return yield* Effect.fail(new Error(`no pod matches ${fault.pod}`))
            const crashed = yield* Effect.forEach(pods, (pod) =>
              cluster.crashContainer(pod.metadata.uid ?? "", fault.container, fault.exitCode)
            )
            if (!crashed.some((hit) => hit)) {
              return yield* Effect.fail(new Error(`no running container ${fault.container} in ${fault.pod}`))
            }
            return yes
          })
        case "storeUnavailable":
          return forAWhile(network.storeOutage, fault.for)
        case "compactStore":
          return Effect.as(
            Effect.orDie(Effect.flatMap(cluster.store.revision, (rev) => cluster.store.compact(rev))),
            yes
          )
        case "slowNetwork":
          return forAWhile(network.slow(fault.latency), fault.for)
        case "restartComponent":
          return Effect.as(cluster.restartComponent(fault.component), yes)
        case "cutWatches":
          return Effect.as(network.cutWatches(fault.component), yes)
        case "delayWatches":
          return forAWhile(network.delayWatches(fault.component, fault.by, fault.kind), fault.for)
        case "ambiguousCommit":
        case "crashAtWrite":
          return Effect.gen(function* () {
            const runtime = yield* Effect.runtime<never>()
            const component = fault.component
            const restart =
              component === "scheduler" || component === "controller-manager"
                ? cluster.restartComponent(component)
                : cluster.restartKubelet(component)
            // A crash, not a shutdown: cut off while it stops, nothing it does on the way out (releasing its Lease) lands.
            const crash = Effect.flatMap(network.partition(component, "apiserver"), (heal) =>
              Effect.zipRight(restart, heal)
            )
            const onWrite = () => {
              trace.record(elapsed(), "fault", "fired", { fault: describeFault(fault) })
              if (fault._tag === "crashAtWrite") Runtime.runFork(runtime)(crash)
            }
            const armed = yield* network.armWrite(
              component,
              fault.kind === undefined ? { nth: fault.nth } : { kind: fault.kind, nth: fault.nth },
              onWrite
            )
            return armed.fired
          })
        case "clockSkew":
          return Effect.as(cluster.clockSkew(fault.node, fault.offset), known(fault.node) ? yes : no)
      }
    }

    /** Waits until `trigger` has happened `count` times from now. */
    const triggered = (trigger: Trigger) =>
      Effect.gen(function* () {
        const done = yield* Deferred.make<void>()
        const type = byName(trigger.kind)
        const event = trigger.event === "created" ? "ADDED" : trigger.event === "updated" ? "MODIFIED" : "DELETED"
        let seen = 0
        const stop = world.onEvent((e) => {
          if (e.type !== event || e.kind !== type?.kind) return
          const meta = e.object.metadata
          if (trigger.name !== undefined && meta.name !== trigger.name) return
          if (trigger.name !== undefined && type.namespaced && meta.namespace !== trigger.namespace) return
          if (++seen === trigger.count) Deferred.unsafeDone(done, Exit.void)
        })
        yield* Effect.ensuring(Deferred.await(done), Effect.sync(stop))
      })

    // The fault track: each fault waits for its time (and trigger) on a fiber of its own, apart from the steps.
    const outcomes: Array<{ entry: ScheduledFault; at: number | undefined; fired: () => boolean }> =
      scenario.faults.map((entry) => ({ entry, at: undefined, fired: () => false }))
    yield* Effect.forEach(
      outcomes,
      (outcome) =>
        Effect.forkScoped(
          Effect.gen(function* () {
            const { entry } = outcome
            yield* sleepUntil(entry.at)
            if (entry.when !== undefined) yield* triggered(entry.when)
            const result = yield* Effect.either(inject(entry.fault))
            outcome.at = elapsed()
            const text = describeFault(entry.fault)
            if (result._tag === "Left") {
              trace.record(elapsed(), "fault", "missed", { fault: text, message: messageOf(result.left) })
              line(
                `  ${formatTime(elapsed()).padEnd(10)} fault  ${text}: nothing to act on (${messageOf(result.left)})`
              )
              return
            }
            outcome.fired = result.right
            trace.record(elapsed(), "fault", "injected", { fault: text })
            line(`  ${formatTime(elapsed()).padEnd(10)} fault  ${text}`)
          })
        ),
      { discard: true }
    )
    faultOutcomes = () =>
      outcomes.map(({ entry, at, fired }) => ({
        line: entry.line,
        fault: describeScheduled(entry),
        fired: at !== undefined && fired(),
        ...(at === undefined ? {} : { at: formatTime(at) })
      }))

    const podsNamed = (nameOrSelector: string): ReadonlyArray<Pod> => {
      const byName = world.pods().filter((p) => p.metadata.name === nameOrSelector)
      if (byName.length > 0) return byName
      const selector = LabelSelector.parse(nameOrSelector)
      if (selector._tag === "Left") return []
      return world.pods().filter((p) => LabelSelector.matches(selector.right, p.metadata.labels ?? {}))
    }

    /**
     * Waits until the world changes, or until `deadline`; answers false at the deadline. One
     * asynchronous step: a listener and a timer on the simulation's heap, whichever comes first
     * cancels the other (a race of two fibers cost some fifteen operations per change).
     */
    const changeOrDeadline = (deadline: number) =>
      Effect.async<boolean>((resume) => {
        // The listener leaves once the runner resumes: removing it while the world calls its listeners would skip the next one.
        const done = (changed: boolean) =>
          Effect.sync(() => {
            stop()
            return changed
          })
        const timer = sim.schedule(Math.max(0, deadline - elapsed()), () => resume(done(false)))
        const stop = world.onEvent(() => {
          timer.fire = undefined
          resume(done(true))
        })
        return Effect.sync(() => {
          stop()
          timer.fire = undefined
        })
      })

    let previous = 0
    for (const step of scenario.steps) {
      const { timing, action } = step
      if (timing._tag !== "within") {
        const time = timing._tag === "at" ? timing.millis : previous + timing.millis
        if (time > scenario.duration) {
          yield* sleepUntil(scenario.duration)
          fail(step, describe(action), `not reached: the run ends at ${formatTime(scenario.duration)}`)
          if (action._tag === "expect") total += action.checks.length
          previous = time
          continue
        }
        yield* sleepUntil(time)
      }
      trace.record(elapsed(), "scenario", "step", { step: step.index, action: describe(action) })
      if (action._tag !== "expect") {
        const startedAt = elapsed()
        options.onAction?.(step.index, metBy(action, world))
        // A transient error (unavailable, unreachable, timeout, conflict) is retried every second, as a
        // user re-running kubectl would: faults injected alongside leave the workload the same.
        const outcome = yield* Effect.either(
          Effect.retry(act(action), { schedule: Schedule.spaced("1 second"), while: transient })
        )
        if (outcome._tag === "Left") fail(step, describe(action), messageOf(outcome.left))
        else line(`  ${formatTime(startedAt).padEnd(10)} step ${step.index}  ${describe(action)}`)
        steps.push(stepResult(step, outcome._tag === "Left" ? "failed" : "done", startedAt))
        // The step's time is when it started: an action's API calls take simulated time too.
        previous = startedAt
        continue
      }
      total += action.checks.length
      if (timing._tag !== "within") {
        const results = evaluate(action.checks)
        for (const r of results) {
          if (r.result.ok) passed++
          else fail(step, r.at.label, r.result.message)
        }
        const ok = results.every((r) => r.result.ok)
        if (ok) line(`  ${formatTime(elapsed()).padEnd(10)} step ${step.index}  ${describe(action)}: ok`)
        steps.push(stepResult(step, ok ? "passed" : "failed"))
        previous = elapsed()
        continue
      }
      // within: the first instant after the previous step where every check holds, or a failure at the deadline.
      const deadline = Math.min(previous + timing.millis, scenario.duration)
      let results = evaluate(action.checks)
      while (!results.every((r) => r.result.ok) && elapsed() < deadline) {
        yield* changeOrDeadline(deadline)
        yield* Effect.yieldNow()
        results = evaluate(action.checks)
      }
      if (!results.every((r) => r.result.ok)) {
        // The window is closed at its end: what else is due at the deadline itself happens first.
        yield* Effect.sleep(0)
        results = evaluate(action.checks)
      }
      const ok = results.every((r) => r.result.ok)
      if (ok) {
        passed += results.length
        line(
          `  ${formatTime(elapsed()).padEnd(10)} step ${step.index}  ${describe(action)}: ok after ${formatTime(elapsed() - previous)}`
        )
      } else {
        for (const r of results) {
          if (r.result.ok) passed++
          else fail(step, r.at.label, r.result.message)
        }
      }
      trace.record(elapsed(), "scenario", ok ? "passed" : "failed", { step: step.index })
      steps.push(stepResult(step, ok ? "passed" : "failed"))
      previous = elapsed()
    }
    yield* sleepUntil(scenario.duration)
    if (series.at(-1)?.t !== elapsed() / 1000) yield* sample
    // End-of-run invariants, given the cluster a bounded while to quiesce.
    const end = elapsed() + quiescence
    while (!checking.atEnd({ containers: containers() }, { dryRun: true }) && elapsed() < end) {
      yield* changeOrDeadline(end)
    }
    checking.atEnd({ containers: containers() })
    reportViolations()
  })

  const exit = await sim.runAsync(
    program.pipe(
      Effect.scoped,
      Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
      Effect.provideService(KnownBugs, options.bugs ?? new Set()),
      Logger.withMinimumLogLevel(options.logLevel ?? LogLevel.Info)
    )
  )
  if (Exit.isFailure(exit)) {
    failures.push({ step: 0, time: elapsed(), check: "run", message: Cause.pretty(exit.cause).split("\n")[0]! })
  }
  const violations = invariants?.violations() ?? []
  return {
    scenario: scenario.name,
    passed: failures.length === 0 && violations.length === 0,
    seed,
    expectations: { passed, total },
    failures: failures.map((f) => ({ step: f.step, time: formatTime(f.time), check: f.check, message: f.message })),
    invariantViolations: violations.map((v) => ({
      invariant: v.invariant,
      time: formatTime(v.time),
      message: v.message
    })),
    simulatedSeconds: scenario.duration / 1000,
    wallSeconds: 0,
    events: sim.events(),
    operations: sim.operations(),
    traceSha256: trace.sha256(),
    steps,
    series,
    ...(scenario.faults.length === 0 ? {} : { faults: faultOutcomes() })
  }
}
