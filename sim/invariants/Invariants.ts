/**
 * The invariants of a run (SCENARIOS.md "Invariants"): the chosen checkers and the user's own,
 * fed by the world's events, by every watch line a component receives (plug `onWatchLine` into
 * the network's `onWatch`), by every response it receives (`onResponse` into its `onResponse`),
 * and at the end by the runner. Each violation is recorded once, with the virtual time it was
 * found, in the order found; one that stops and starts again is recorded again.
 */
import type { ApiRequest, ApiResponse, WatchLine } from "../../core/apiserver/ApiRequest.js"
import { resources } from "../../core/api/registry.js"
import { defaultStart } from "../clock/Simulation.js"
import { defaultTiming, type InvariantName, type Timing } from "../scenario/Scenario.js"
import type { World } from "../scenario/World.js"
import * as CapacityRespected from "./CapacityRespected.js"
import * as Converged from "./Converged.js"
import * as EndpointsReady from "./EndpointsReady.js"
import {
  type CustomInvariant,
  type EndState,
  everyWatchLine,
  type InvariantContext,
  type InvariantHooks,
  type RuntimeContainer,
  type Violation
} from "./Invariant.js"
import * as NoContainerAfterDelete from "./NoContainerAfterDelete.js"
import * as NoDoubleBinding from "./NoDoubleBinding.js"
import * as NodeMonitorGrace from "./NodeMonitorGrace.js"
import * as NoDuplicateContainers from "./NoDuplicateContainers.js"
import * as NoLostWrites from "./NoLostWrites.js"
import * as NoOrphans from "./NoOrphans.js"
import * as PhaseMonotonic from "./PhaseMonotonic.js"
import * as PlacementRespected from "./PlacementRespected.js"
import * as Quiet from "./Quiet.js"
import * as ReplicaSetBounded from "./ReplicaSetBounded.js"
import * as ReplicasBounded from "./ReplicasBounded.js"
import * as ResourceVersionMonotonic from "./ResourceVersionMonotonic.js"

export type { CustomInvariant, EndState, RuntimeContainer, Violation } from "./Invariant.js"

export interface Invariants {
  /** For the network's `onWatch` option: checks each line a component receives on a watch stream. */
  readonly onWatchLine: (component: string, request: ApiRequest) => (line: WatchLine) => void
  /** For the network's `onResponse` option: checks each response (not a watch) a component receives. */
  readonly onResponse: (component: string, request: ApiRequest, response: ApiResponse) => void
  /** For the network's `onLostReply` option: each response that never reached its component. */
  readonly onLostReply: (component: string, request: ApiRequest, response: ApiResponse) => void
  /**
   * Runs the end-of-run checks (noOrphans, converged, quiet …) and answers whether they hold. With
   * `dryRun` nothing is recorded (to wait for quiescence); call it once without, at the end.
   */
  readonly atEnd: (end: EndState, options?: { readonly dryRun?: boolean }) => boolean
  /** Every violation found so far, in the order found. */
  readonly violations: () => ReadonlyArray<Violation>
}

export interface InvariantsOptions {
  /** Virtual milliseconds since the run started (violations carry it). */
  readonly now: () => number
  /** Virtual epoch millis at the run's start, to read pods' timestamps; default the Simulation's default start. */
  readonly start?: number
  /** Called with each violation as it is found. */
  readonly onViolation?: (violation: Violation) => void
  /** Every container the simulated runtimes hold now; default none. */
  readonly containers?: () => ReadonlyArray<RuntimeContainer>
  /** The cluster's timing; default `defaultTiming`. */
  readonly timing?: Timing
  /** Invariants written in TypeScript, checked beside `names`. */
  readonly custom?: ReadonlyArray<CustomInvariant>
}

const checkers: Record<InvariantName, (context: InvariantContext) => InvariantHooks> = {
  noDoubleBinding: NoDoubleBinding.make,
  capacityRespected: CapacityRespected.make,
  placementRespected: PlacementRespected.make,
  resourceVersionMonotonic: ResourceVersionMonotonic.make,
  noOrphans: NoOrphans.make,
  replicasBounded: ReplicasBounded.make,
  noLostWrites: NoLostWrites.make,
  phaseMonotonic: PhaseMonotonic.make,
  noContainerAfterDelete: NoContainerAfterDelete.make,
  noDuplicateContainers: NoDuplicateContainers.make,
  replicaSetBounded: ReplicaSetBounded.make,
  endpointsReady: EndpointsReady.make,
  nodeMonitorGrace: NodeMonitorGrace.make,
  converged: Converged.make,
  quiet: Quiet.make
}

// What is already in the world is shown to the checkers as added, nodes and owners before what they hold.
const replayOrder = ["Node", "Deployment", "ReplicaSet", "Pod"]
const replayKinds = [...replayOrder, ...resources.map((r) => r.kind).filter((k) => !replayOrder.includes(k))]

const ignoreLine = (): void => {}
const noContainers = (): ReadonlyArray<RuntimeContainer> => []

/** Checks `names` on `world` from now on (what is already there counts as just added). */
export const make = (names: ReadonlyArray<InvariantName>, world: World, options: InvariantsOptions): Invariants => {
  const start = options.start ?? defaultStart
  const found: Array<Violation> = []
  const open = new Set<string>()
  // While an end-of-run dry run is under way, reports only mark that something does not hold.
  let dryRun = false
  let held = true

  const chosen = [...new Set(names)].map((name) => ({ name: name as string, make: checkers[name] }))
  const hooks = [...chosen, ...(options.custom ?? [])].map(({ name: invariant, make: checker }) => {
    const context: InvariantContext = {
      world,
      now: () => start + options.now(),
      containers: options.containers ?? noContainers,
      timing: options.timing ?? defaultTiming,
      report: (key, message) => {
        held = false
        const id = `${invariant}\u0000${key}`
        if (dryRun || open.has(id)) return
        open.add(id)
        const violation: Violation = { invariant, time: options.now(), message }
        found.push(violation)
        options.onViolation?.(violation)
      },
      resolve: (key) => {
        open.delete(`${invariant}\u0000${key}`)
      }
    }
    return checker(context)
  })

  const onEvent = hooks.flatMap((h) => (h.onEvent === undefined ? [] : [h.onEvent]))
  const onWatch = hooks.flatMap((h) => (h.onWatchLine === undefined ? [] : [h.onWatchLine]))
  const onResponse = hooks.flatMap((h) => (h.onResponse === undefined ? [] : [h.onResponse]))
  const onLostReply = hooks.flatMap((h) => (h.onLostReply === undefined ? [] : [h.onLostReply]))
  const atEnd = hooks.flatMap((h) => (h.atEnd === undefined ? [] : [h.atEnd]))

  if (onEvent.length > 0) {
    const revision = world.revision()
    for (const kind of replayKinds)
      for (const object of world.list(kind))
        for (const handle of onEvent) handle({ type: "ADDED", kind, object, revision })
    world.onEvent((event) => {
      for (const handle of onEvent) handle(event)
    })
  }

  return {
    onWatchLine: onWatch.length === 0 ? () => ignoreLine : onWatch.length === 1 ? onWatch[0]! : everyWatchLine(onWatch),
    onResponse: (component, request, response) => {
      for (const see of onResponse) see(component, request, response)
    },
    onLostReply: (component, request, response) => {
      for (const see of onLostReply) see(component, request, response)
    },
    atEnd: (end, atEndOptions = {}) => {
      dryRun = atEndOptions.dryRun === true
      held = true
      try {
        for (const check of atEnd) check(end)
      } finally {
        dryRun = false
      }
      return held
    },
    violations: () => found
  }
}
