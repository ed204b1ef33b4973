/**
 * The known-bug catalogue (FoundationDB's BUGGIFY, switched on by tests only): deliberately broken
 * variants of controllers, the scheduler and the kubelet, each a mistake a Kubernetes contributor
 * could make. A component reads `KnownBugs` once when it starts; the set is empty unless a test
 * provides one, so the correct code runs everywhere else (the CLI never provides it). The fuzzer's
 * catalogue tests plant one bug at a time and check that the invariant named for it catches it.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"

/** One planted bug, and where it lives. */
export type KnownBug =
  /** ReplicaSet controller: ignores its expectations and trusts a lagging pod cache, so it over-creates. */
  | "replicaSetStaleCache"
  /** ReplicaSet controller: counts and deletes pods its selector matches though another controller owns them. */
  | "replicaSetIgnoresOwnership"
  /** Deployment controller: a rolling update scales the new ReplicaSet to full size, past maxSurge. */
  | "deploymentIgnoresMaxSurge"
  /** Scheduler: its cache does not count assumed pods, so pods in flight over-commit a node. */
  | "schedulerIgnoresAssumed"
  /** Kubelet: a restarted kubelet does not re-adopt the running containers and starts new ones. */
  | "kubeletForgetsContainers"
  /** Garbage collector: an owner its graph has not observed yet is taken for gone, without a live GET. */
  | "gcIgnoresLiveOwner"
  /** Node-lifecycle controller: the grace period is the kubelet's heartbeat interval, not nodeMonitorGracePeriod. */
  | "nodeLifecycleNoGrace"
  /** Endpoints controller: a Running pod counts as ready, so not-ready pods are listed under `addresses`. */
  | "endpointsIncludeNotReady"
  /** PodGC: pods bound to a node the API does not have are deleted at once, with no quarantine for a joining node. */
  | "podGcNoQuarantine"

/** Every known bug, in the catalogue's order. */
export const knownBugs: ReadonlyArray<KnownBug> = [
  "replicaSetStaleCache",
  "replicaSetIgnoresOwnership",
  "deploymentIgnoresMaxSurge",
  "schedulerIgnoresAssumed",
  "kubeletForgetsContainers",
  "gcIgnoresLiveOwner",
  "nodeLifecycleNoGrace",
  "endpointsIncludeNotReady",
  "podGcNoQuarantine"
]

/** The bugs planted in this run; empty (the correct code) unless a test provides a set. */
export class KnownBugs extends Context.Reference<KnownBugs>()("minik8s/KnownBugs", {
  defaultValue: (): ReadonlySet<KnownBug> => new Set()
}) {}

/** Whether `bug` is planted: read once when a component starts, never per event. */
export const planted = (bug: KnownBug): Effect.Effect<boolean> => Effect.map(KnownBugs, (bugs) => bugs.has(bug))
