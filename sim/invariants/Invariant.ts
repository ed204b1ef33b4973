/**
 * What every invariant checker shares: the world it watches, a way to report a violation once
 * (not on every event that still shows it), and the virtual time. Each invariant is one module
 * under sim/invariants/ returning the hooks it needs; `Invariants.ts` wires the chosen ones.
 *
 * Users add their own in TypeScript as a `CustomInvariant` (passed to `Invariants.make` or the
 * scenario runner as `custom`); its violations carry its name. For example, "no pod of `app=db`
 * ever runs on `node-1`":
 *
 * ```ts
 * import type { Pod } from "./core/api/Pod.js"
 * import { type CustomInvariant, nameOf } from "./sim/invariants/Invariant.js"
 *
 * export const dbNotOnNode1: CustomInvariant = {
 *   name: "dbNotOnNode1",
 *   make: (context) => ({
 *     onEvent: (event) => {
 *       const { metadata, spec } = event.object as Pod
 *       if (event.kind !== "Pod" || metadata.labels?.app !== "db") return
 *       if (spec?.nodeName === "node-1") context.report(metadata.uid ?? "", `pod ${nameOf(metadata)} on node-1`)
 *     }
 *   })
 * }
 * ```
 */
import type { ApiRequest, ApiResponse, WatchLine } from "../../core/apiserver/ApiRequest.js"
import type { Timing } from "../scenario/Scenario.js"
import type { World, WorldEvent } from "../scenario/World.js"

export interface Violation {
  /** An `InvariantName`, or a custom invariant's name. */
  readonly invariant: string
  /** Virtual milliseconds since the run started. */
  readonly time: number
  readonly message: string
}

/** What only the runner knows at the end of a run. */
export interface EndState {
  /** Every container the simulated runtimes still hold, with the uid of the pod it was started for. */
  readonly containers: ReadonlyArray<{ readonly node: string; readonly podUid: string }>
}

/** One container a simulated runtime holds now, running or not. */
export interface RuntimeContainer {
  readonly node: string
  readonly podUid: string
  /** The container's name in its pod's spec. */
  readonly container: string
  /** The runtime's id of this container (a restart makes a new one). */
  readonly id: string
  readonly running: boolean
}

export interface InvariantContext {
  readonly world: World
  /** Records a violation under `key` unless the one under that key is still open. */
  readonly report: (key: string, message: string) => void
  /** Closes the violation under `key`: should it happen again, it is reported again. */
  readonly resolve: (key: string) => void
  /** Virtual epoch milliseconds now. */
  readonly now: () => number
  /** Every container the simulated runtimes hold now (none on a node that is down). */
  readonly containers: () => ReadonlyArray<RuntimeContainer>
  /** The cluster's timing (heartbeat interval, grace periods …). */
  readonly timing: Timing
}

/** The hooks an invariant uses; each is optional. */
export interface InvariantHooks {
  /** After every change the world applies (and once per object already there when checking starts). */
  readonly onEvent?: (event: WorldEvent) => void
  /** Once per watch stream a component opens; the returned function sees each line it receives. */
  readonly onWatchLine?: (component: string, request: ApiRequest) => (line: WatchLine) => void
  /** Each response (not a watch) a component received from the API server, as it receives it. */
  readonly onResponse?: (component: string, request: ApiRequest, response: ApiResponse) => void
  /** Each response a component never received (its link cut on the way back): a write it asked for may be applied, unknown to it. */
  readonly onLostReply?: (component: string, request: ApiRequest, response: ApiResponse) => void
  /** At the end of the run, after quiescence. */
  readonly atEnd?: (end: EndState) => void
}

/** An invariant written by a user: its name (carried by its violations) and its checker. */
export interface CustomInvariant {
  readonly name: string
  readonly make: (context: InvariantContext) => InvariantHooks
}

/** How often (virtual ms, at most) a checker reading `containers()` on the world's events reads them. */
export const runtimePollMillis = 1_000

/** `web-1` in `default`, `team/web-1` elsewhere, `node-1` for cluster-scoped objects. */
export const nameOf = (metadata: {
  readonly namespace?: string | undefined
  readonly name?: string | undefined
}): string =>
  metadata.namespace === undefined || metadata.namespace === "default"
    ? (metadata.name ?? "")
    : `${metadata.namespace}/${metadata.name ?? ""}`

type WatchLineHook = NonNullable<InvariantHooks["onWatchLine"]>

/** One `onWatchLine` hook that feeds each line to every one of `hooks`, in order. */
export const everyWatchLine =
  (hooks: ReadonlyArray<WatchLineHook>): WatchLineHook =>
  (component, request) => {
    const sees = hooks.map((hook) => hook(component, request))
    return (line) => {
      for (const see of sees) see(line)
    }
  }
