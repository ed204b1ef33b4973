/**
 * What a kubelet is told at start (the flags and KubeletConfiguration fields we keep): its node's
 * name, capacity, labels and taints, its server's port, and the periods of its loops, with
 * Kubernetes' defaults.
 */
import * as Duration from "effect/Duration"
import type { ResourceList } from "../api/Container.js"
import type { Taint } from "../api/Node.js"
import { defaultMinWatchTimeout } from "../informer/Informer.js"

export interface KubeletOptions {
  readonly nodeName: string
  /** The node's capacity (`cpu`, `memory`, `pods`, …); allocatable is the same (no reservations). */
  readonly capacity: ResourceList
  readonly labels?: Readonly<Record<string, string>>
  /** Taints the node registers with (`--register-with-taints`). */
  readonly taints?: ReadonlyArray<Taint>
  /** How often the node heartbeats (its Lease renewal and status); default 10 s. */
  readonly heartbeatInterval?: Duration.DurationInput
  /** How often every pod is synced even without a change; default 60 s (`syncFrequency`). */
  readonly syncFrequency?: Duration.DurationInput
  /** How often the runtime is listed besides its events (the PLEG relist); default 10 s. */
  readonly runtimeRelistPeriod?: Duration.DurationInput
  /** Its informers' watches last between this and twice this, then resume; default 5 minutes (client-go's). */
  readonly minWatchTimeout?: Duration.DurationInput
  /** The cap of CrashLoopBackOff and ImagePullBackOff; default 300 s. */
  readonly maxContainerRestartBackoff?: Duration.DurationInput
  /**
   * The port the kubelet's HTTP server (logs) listens on, advertised in the Node's
   * `status.daemonEndpoints.kubeletEndpoint.Port`; default 10250.
   */
  readonly kubeletPort?: number
}

/** Kubernetes' defaults for the periods. */
export const defaults = {
  heartbeatInterval: Duration.seconds(10),
  syncFrequency: Duration.seconds(60),
  runtimeRelistPeriod: Duration.seconds(10),
  minWatchTimeout: defaultMinWatchTimeout,
  maxContainerRestartBackoff: Duration.seconds(300)
} as const

/** The options' periods, with the defaults filled in. */
export const periods = (options: KubeletOptions): { readonly [K in keyof typeof defaults]: Duration.Duration } => ({
  heartbeatInterval: Duration.decode(options.heartbeatInterval ?? defaults.heartbeatInterval),
  syncFrequency: Duration.decode(options.syncFrequency ?? defaults.syncFrequency),
  runtimeRelistPeriod: Duration.decode(options.runtimeRelistPeriod ?? defaults.runtimeRelistPeriod),
  minWatchTimeout: Duration.decode(options.minWatchTimeout ?? defaults.minWatchTimeout),
  maxContainerRestartBackoff: Duration.decode(options.maxContainerRestartBackoff ?? defaults.maxContainerRestartBackoff)
})
