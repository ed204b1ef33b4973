/**
 * A fault schedule is data: a list of faults, each at a time or, armed at a time, on a state
 * trigger, and optionally healed after a while (a crashed node restarts, a stopped kubelet starts).
 * `minik8s fuzz` draws schedules (Arbitrary.ts), runs them as a scenario's fault track
 * (`spec.faults`) and prints the one that broke an invariant as YAML to paste under `spec:`.
 */
import * as YAML from "yaml"
import { formatDuration } from "../../core/api/duration.js"
import type { Fault, InvariantName, ScheduledFault, Trigger } from "../scenario/Scenario.js"

/** One drawn fault: what the fuzzer counts, shrinks and reports as fired or not. */
export interface DrawnFault {
  /** Virtual ms from the start: when it happens, or when its trigger is armed. */
  readonly at: number
  readonly when?: Trigger
  readonly fault: Fault
  /** The fault that ends this one, `after` ms later (`restartNode` after `crashNode`, `startKubelet` after `stopKubelet`). */
  readonly heal?: { readonly after: number; readonly fault: Fault }
}

export type Schedule = ReadonlyArray<DrawnFault>

/** Where a track entry comes from: the drawn fault's index, and whether it is that fault's heal. */
export interface Origin {
  readonly drawn: number
  readonly heal: boolean
}

/** The schedule as a scenario's fault track, in time order (a heal after its fault), with each entry's origin. */
export const toTrack = (
  schedule: Schedule
): { readonly track: ReadonlyArray<ScheduledFault>; readonly origin: ReadonlyArray<Origin> } => {
  const entries = schedule.flatMap((drawn, i) => {
    const first = {
      entry: { line: 0, at: drawn.at, ...(drawn.when === undefined ? {} : { when: drawn.when }), fault: drawn.fault },
      origin: { drawn: i, heal: false }
    }
    if (drawn.heal === undefined) return [first]
    const heal = {
      entry: { line: 0, at: drawn.at + drawn.heal.after, fault: drawn.heal.fault },
      origin: { drawn: i, heal: true }
    }
    return [first, heal]
  })
  // A stable sort: faults at the same time keep the order they were drawn in.
  const sorted = entries.map((e, i) => ({ ...e, i })).sort((a, b) => a.entry.at - b.entry.at || a.i - b.i)
  return { track: sorted.map((e) => e.entry), origin: sorted.map((e) => e.origin) }
}

/** How long a fault lasts once injected (0 for an instant one). */
const lasting = (fault: Fault): number => {
  switch (fault._tag) {
    case "partition":
    case "storeUnavailable":
    case "slowNetwork":
    case "delayWatches":
      return fault.for
    default:
      return 0
  }
}

/** The virtual time by which every fault of the track has healed (triggers taken as met at their `at`). */
export const healedBy = (track: ReadonlyArray<ScheduledFault>): number =>
  track.reduce((latest, entry) => Math.max(latest, entry.at + lasting(entry.fault)), 0)

const duration = (ms: number): string => formatDuration(ms)

/** The fault as a scenario file writes it. */
export const faultYaml = (fault: Fault): Record<string, unknown> => {
  switch (fault._tag) {
    case "crashNode":
    case "restartNode":
    case "stopKubelet":
    case "startKubelet":
      return { [fault._tag]: fault.node }
    case "partition":
      return { partition: [fault.a, fault.b], for: duration(fault.for) }
    case "crashContainer":
      return { crashContainer: { pod: fault.pod, container: fault.container }, exitCode: fault.exitCode }
    case "storeUnavailable":
      return { storeUnavailable: duration(fault.for) }
    case "compactStore":
      return { compactStore: true }
    case "slowNetwork":
      return {
        slowNetwork: {
          latency: `${duration(fault.latency.min)}-${duration(fault.latency.max)}`,
          for: duration(fault.for)
        }
      }
    case "restartComponent":
      return { restartComponent: fault.component }
    case "cutWatches":
      return { cutWatches: fault.component }
    case "delayWatches":
      return {
        delayWatches: fault.component,
        ...(fault.kind === undefined ? {} : { kind: fault.kind }),
        by: duration(fault.by),
        for: duration(fault.for)
      }
    case "ambiguousCommit":
    case "crashAtWrite":
      return {
        [fault._tag]: {
          component: fault.component,
          ...(fault.kind === undefined ? {} : { kind: fault.kind }),
          nth: fault.nth
        }
      }
    case "clockSkew":
      return { clockSkew: fault.node, by: duration(fault.offset) }
  }
}

const triggerYaml = (trigger: Trigger): Record<string, unknown> => {
  const target =
    trigger.name === undefined
      ? trigger.kind
      : `${trigger.namespace === "default" ? "" : `${trigger.namespace}/`}${trigger.kind}/${trigger.name}`
  return trigger.count === 1 ? { [trigger.event]: target } : { [trigger.event]: target, count: trigger.count }
}

export interface FragmentOptions {
  readonly seed: number
  /** The run's length, ms. */
  readonly duration: number
  readonly invariants: ReadonlyArray<InvariantName>
}

/**
 * The keys to put under a scenario's `spec:` (replacing those it has) so that `minik8s run` plays
 * this schedule: `seed`, `duration`, `faults` and `invariants`, indented by two spaces.
 */
export const fragment = (track: ReadonlyArray<ScheduledFault>, options: FragmentOptions): string => {
  const doc = new YAML.Document({
    seed: options.seed,
    duration: duration(options.duration),
    faults: track.map((entry) => ({
      at: duration(entry.at),
      ...(entry.when === undefined ? {} : { when: triggerYaml(entry.when) }),
      fault: faultYaml(entry.fault)
    })),
    invariants: [...options.invariants]
  })
  // Each fault and trigger on one line, as SCENARIOS.md writes them.
  YAML.visit(doc, {
    Map(_, node, path) {
      const parent = path.at(-1)
      if (YAML.isPair(parent) && YAML.isScalar(parent.key) && ["fault", "when"].includes(String(parent.key.value)))
        node.flow = true
    },
    Seq(_, node, path) {
      const parent = path.at(-1)
      if (YAML.isPair(parent) && YAML.isScalar(parent.key) && parent.key.value === "invariants") node.flow = true
    }
  })
  return doc
    .toString({ lineWidth: 0, flowCollectionPadding: false })
    .trimEnd()
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n")
}
