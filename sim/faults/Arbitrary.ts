/**
 * fast-check arbitraries of fault schedules for a scenario (fast-check 4, the project's own; not
 * effect's re-export). Every fault is bounded — a partition, an outage, a slow or delayed period
 * ends; a crashed node or a stopped kubelet may come back — so liveness can be judged after a heal
 * phase. Times are whole tenths of a second in `[0, horizon]`; components and nodes come from the
 * scenario, crash targets from its workload's labels and containers. A schedule shrinks to fewer
 * faults, earlier times, shorter periods and no trigger.
 */
import * as fc from "fast-check"
import { type Fault, type FaultName, faultNames, type Scenario, type Trigger } from "../scenario/Scenario.js"
import type { DrawnFault, Schedule } from "./Schedule.js"

/** The faults drawn only as the heal of another (`restartNode` after `crashNode`, `startKubelet` after `stopKubelet`). */
type Heal = "restartNode" | "startKubelet"
export type FaultKind = Exclude<FaultName, Heal>

/** The kinds of fault `minik8s fuzz` draws (`--faults` picks among them): every fault but the heals. */
export const faultKinds: ReadonlyArray<FaultKind> = faultNames.filter(
  (name): name is FaultKind => name !== "restartNode" && name !== "startKubelet"
)

export interface ScheduleOptions {
  readonly kinds: ReadonlyArray<FaultKind>
  readonly maxFaults: number
  /** The latest time a fault starts (or is armed), ms. */
  readonly horizon: number
  /** The longest a timed fault lasts, ms. */
  readonly longest: number
}

/** What a scenario offers faults to act on. */
interface Targets {
  readonly nodes: ReadonlyArray<string>
  /** Label selectors of the workload's pods, with their container names. */
  readonly pods: ReadonlyArray<{ readonly selector: string; readonly containers: ReadonlyArray<string> }>
}

const asRecord = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {}

/** Nodes of the cluster and of later `addNodes`, and the pod templates the scenario applies. */
export const targetsOf = (scenario: Scenario): Targets => {
  const nodes = scenario.cluster.nodes.flatMap((group) => group.names)
  const pods: Array<{ selector: string; containers: ReadonlyArray<string> }> = []
  for (const step of scenario.steps) {
    if (step.action._tag === "addNodes") nodes.push(...step.action.group.names)
    if (step.action._tag !== "apply") continue
    for (const manifest of step.action.manifests) {
      const spec = asRecord(manifest["spec"])
      const kind = manifest["kind"]
      const template = kind === "Pod" ? manifest : asRecord(spec["template"])
      const labels = asRecord(asRecord(template["metadata"])["labels"])
      const containers = (
        Array.isArray(asRecord(template["spec"])["containers"])
          ? (asRecord(template["spec"])["containers"] as Array<unknown>)
          : []
      ).map((c) => String(asRecord(c)["name"]))
      const selector = Object.entries(labels)
        .map(([k, v]) => `${k}=${String(v)}`)
        .sort()
        .join(",")
      if (selector !== "" && containers.length > 0 && !pods.some((p) => p.selector === selector))
        pods.push({ selector, containers })
    }
  }
  return { nodes, pods }
}

const tenths = (min: number, max: number) => fc.integer({ min: min / 100, max: max / 100 }).map((n) => n * 100)
const seconds = (min: number, max: number) => fc.integer({ min: min / 1000, max: max / 1000 }).map((n) => n * 1000)

const triggerKinds = ["pod", "replicaset", "deployment"] as const

/** What a component writes (binding a pod is writing a pod). */
const writtenBy = (component: string): ReadonlyArray<string> =>
  component === "scheduler"
    ? ["pod"]
    : component === "controller-manager"
      ? ["pod", "replicaset", "deployment", "endpoints", "node"]
      : ["pod", "node", "lease"]

const trigger: fc.Arbitrary<Trigger> = fc.record({
  event: fc.constantFrom("updated" as const, "created" as const, "deleted" as const),
  kind: fc.constantFrom(...triggerKinds),
  namespace: fc.constant("default"),
  count: fc.integer({ min: 1, max: 4 })
})

/** One fault of `kind` (without its time), or undefined when the scenario offers it nothing to act on. */
const faultOf = (
  kind: FaultKind,
  targets: Targets,
  longest: number
): fc.Arbitrary<Omit<DrawnFault, "at" | "when">> | undefined => {
  const { nodes } = targets
  const node = nodes.length === 0 ? undefined : fc.constantFrom(...nodes)
  const clients = ["scheduler", "controller-manager", ...nodes]
  const client = fc.constantFrom(...clients)
  const period = seconds(1_000, Math.max(1_000, longest))
  const only = (fault: fc.Arbitrary<Fault>) => fault.map((f) => ({ fault: f }))
  switch (kind) {
    case "crashNode":
      return node?.chain((n) =>
        fc.option(period, { nil: undefined }).map((after) =>
          after === undefined
            ? { fault: { _tag: "crashNode", node: n } as Fault }
            : {
                fault: { _tag: "crashNode", node: n } as Fault,
                heal: { after, fault: { _tag: "restartNode", node: n } as Fault }
              }
        )
      )
    case "stopKubelet":
      return node?.chain((n) =>
        period.map((after) => ({
          fault: { _tag: "stopKubelet", node: n } as Fault,
          heal: { after, fault: { _tag: "startKubelet", node: n } as Fault }
        }))
      )
    case "partition":
      return only(
        fc.record({
          _tag: fc.constant("partition" as const),
          a: fc.constant("apiserver"),
          b: fc.constantFrom(...clients, "store"),
          for: period
        })
      )
    case "crashContainer":
      if (targets.pods.length === 0) return undefined
      return only(
        fc.constantFrom(...targets.pods).chain((pods) =>
          fc.record({
            _tag: fc.constant("crashContainer" as const),
            pod: fc.constant(pods.selector),
            container: fc.constantFrom(...pods.containers),
            exitCode: fc.constantFrom(1, 137, 0)
          })
        )
      )
    case "storeUnavailable":
      return only(fc.record({ _tag: fc.constant("storeUnavailable" as const), for: period }))
    case "compactStore":
      return only(fc.constant({ _tag: "compactStore" as const }))
    case "slowNetwork":
      return only(
        fc.record({
          _tag: fc.constant("slowNetwork" as const),
          latency: fc.tuple(tenths(100, 2_000), tenths(0, 3_000)).map(([min, extra]) => ({ min, max: min + extra })),
          for: period
        })
      )
    case "restartComponent":
      return only(
        fc.record({
          _tag: fc.constant("restartComponent" as const),
          component: fc.constantFrom("scheduler" as const, "controller-manager" as const, "apiserver" as const)
        })
      )
    case "cutWatches":
      return only(fc.record({ _tag: fc.constant("cutWatches" as const), component: client }))
    case "delayWatches":
      // Now and then one informer lags alone (events of one kind come late, others on time).
      return only(
        fc
          .record({
            component: client,
            kind: fc.oneof(
              { weight: 2, arbitrary: fc.constant(undefined) },
              { weight: 1, arbitrary: fc.constantFrom("node", "pod", "replicaset", "deployment", "lease") }
            ),
            by: tenths(100, 10_000),
            for: period
          })
          .map(({ kind, ...rest }): Fault =>
            kind === undefined ? { _tag: "delayWatches", ...rest } : { _tag: "delayWatches", kind, ...rest }
          )
      )
    case "ambiguousCommit":
    case "crashAtWrite":
      // The kinds each component writes, so that an armed write comes.
      return only(
        client
          .chain((component) =>
            fc.record({
              component: fc.constant(component),
              kind: fc.option(fc.constantFrom(...writtenBy(component)), { nil: undefined }),
              nth: fc.integer({ min: 1, max: 5 })
            })
          )
          .map(({ component, kind: k, nth }): Fault =>
            k === undefined ? { _tag: kind, component, nth } : { _tag: kind, component, kind: k, nth }
          )
      )
    case "clockSkew":
      return node?.chain((n) =>
        only(seconds(-120_000, 120_000).map((offset): Fault => ({ _tag: "clockSkew", node: n, offset })))
      )
  }
}

/** Schedules of up to `maxFaults` faults of the given kinds for `scenario`. */
export const schedule = (scenario: Scenario, options: ScheduleOptions): fc.Arbitrary<Schedule> => {
  const targets = targetsOf(scenario)
  const drawn = options.kinds.flatMap((kind) => {
    const arbitrary = faultOf(kind, targets, options.longest)
    return arbitrary === undefined ? [] : [arbitrary]
  })
  if (drawn.length === 0 || options.maxFaults === 0) return fc.constant([])
  const one: fc.Arbitrary<DrawnFault> = fc
    .record({
      at: tenths(0, options.horizon),
      // A trigger now and then: faults that wait for a state, not a time.
      when: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: trigger }),
      body: fc.oneof(...drawn)
    })
    // A fault with a heal is timed: its heal is timed too and must come after it.
    .map(({ at, when, body }) => (when === undefined || "heal" in body ? { at, ...body } : { at, when, ...body }))
  return fc.array(one, { minLength: 1, maxLength: options.maxFaults })
}

/** The interleaving's choice tape: mostly zeros (the plain order), shrinking to the empty tape. */
export const tape: fc.Arbitrary<ReadonlyArray<number>> = fc.array(
  fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(7) }),
  { maxLength: 4_000 }
)
