/**
 * What every invariant checker shares: the world it watches, a way to report a violation once
 * (not on every event that still shows it), and the virtual time. Each invariant is one module
 * under sim/invariants/ returning the hooks it needs; `Invariants.ts` wires the chosen ones.
 */
import type { ApiRequest, WatchLine } from "../../core/apiserver/ApiRequest.js"
import type { InvariantName } from "../scenario/Scenario.js"
import type { World, WorldEvent } from "../scenario/World.js"

export interface Violation {
  readonly invariant: InvariantName
  /** Virtual milliseconds since the run started. */
  readonly time: number
  readonly message: string
}

/** What only the runner knows at the end of a run. */
export interface EndState {
  /** Every container the simulated runtimes still hold, with the uid of the pod it was started for. */
  readonly containers: ReadonlyArray<{ readonly node: string; readonly podUid: string }>
}

export interface InvariantContext {
  readonly world: World
  /** Records a violation under `key` unless the one under that key is still open. */
  readonly report: (key: string, message: string) => void
  /** Closes the violation under `key`: should it happen again, it is reported again. */
  readonly resolve: (key: string) => void
  /** Virtual epoch milliseconds now. */
  readonly now: () => number
}

/** The hooks an invariant uses; each is optional. */
export interface InvariantHooks {
  /** After every change the world applies (and once per object already there when checking starts). */
  readonly onEvent?: (event: WorldEvent) => void
  /** Once per watch stream a component opens; the returned function sees each line it receives. */
  readonly onWatchLine?: (component: string, request: ApiRequest) => (line: WatchLine) => void
  /** At the end of the run, after quiescence. */
  readonly atEnd?: (end: EndState) => void
}

/** `web-1` in `default`, `team/web-1` elsewhere, `node-1` for cluster-scoped objects. */
export const nameOf = (metadata: {
  readonly namespace?: string | undefined
  readonly name?: string | undefined
}): string =>
  metadata.namespace === undefined || metadata.namespace === "default"
    ? (metadata.name ?? "")
    : `${metadata.namespace}/${metadata.name ?? ""}`
