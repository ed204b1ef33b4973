/**
 * The invariants of a run (SCENARIOS.md "Invariants"): the chosen checkers, fed by the world's
 * events, by every watch line a component receives (plug `onWatchLine` into the network's
 * `onWatch`), and at the end by the runner. Each violation is recorded once, with the virtual
 * time it was found, in the order found; one that stops and starts again is recorded again.
 */
import type { ApiRequest, WatchLine } from "../../core/apiserver/ApiRequest.js"
import { resources } from "../../core/api/registry.js"
import { defaultStart } from "../clock/Simulation.js"
import type { InvariantName } from "../scenario/Scenario.js"
import type { World } from "../scenario/World.js"
import * as CapacityRespected from "./CapacityRespected.js"
import * as Converged from "./Converged.js"
import type { EndState, InvariantContext, InvariantHooks, Violation } from "./Invariant.js"
import * as NoDoubleBinding from "./NoDoubleBinding.js"
import * as NoOrphans from "./NoOrphans.js"
import * as PlacementRespected from "./PlacementRespected.js"
import * as ReplicasBounded from "./ReplicasBounded.js"
import * as ResourceVersionMonotonic from "./ResourceVersionMonotonic.js"

export type { EndState, Violation } from "./Invariant.js"

export interface Invariants {
  /** For the network's `onWatch` option: checks each line a component receives on a watch stream. */
  readonly onWatchLine: (component: string, request: ApiRequest) => (line: WatchLine) => void
  /**
   * Runs the end-of-run checks (noOrphans, converged) and answers whether they hold. With `dryRun`
   * nothing is recorded (to wait for quiescence); call it once without, at the end.
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
}

const checkers: Record<InvariantName, (context: InvariantContext) => InvariantHooks> = {
  noDoubleBinding: NoDoubleBinding.make,
  capacityRespected: CapacityRespected.make,
  placementRespected: PlacementRespected.make,
  resourceVersionMonotonic: ResourceVersionMonotonic.make,
  noOrphans: NoOrphans.make,
  replicasBounded: ReplicasBounded.make,
  converged: Converged.make
}

// What is already in the world is shown to the checkers as added, nodes and owners before what they hold.
const replayOrder = ["Node", "Deployment", "ReplicaSet", "Pod"]
const replayKinds = [...replayOrder, ...resources.map((r) => r.kind).filter((k) => !replayOrder.includes(k))]

const ignoreLine = (): void => {}

/** Checks `names` on `world` from now on (what is already there counts as just added). */
export const make = (names: ReadonlyArray<InvariantName>, world: World, options: InvariantsOptions): Invariants => {
  const start = options.start ?? defaultStart
  const found: Array<Violation> = []
  const open = new Set<string>()
  // While an end-of-run dry run is under way, reports only mark that something does not hold.
  let dryRun = false
  let held = true

  const hooks = [...new Set(names)].map((invariant) => {
    const context: InvariantContext = {
      world,
      now: () => start + options.now(),
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
    return checkers[invariant](context)
  })

  const onEvent = hooks.flatMap((h) => (h.onEvent === undefined ? [] : [h.onEvent]))
  const onWatch = hooks.flatMap((h) => (h.onWatchLine === undefined ? [] : [h.onWatchLine]))
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
    onWatchLine: (component, request) => {
      if (onWatch.length === 0) return ignoreLine
      if (onWatch.length === 1) return onWatch[0](component, request)
      const lines = onWatch.map((f) => f(component, request))
      return (line) => {
        for (const see of lines) see(line)
      }
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
