/**
 * The pod garbage collector (pkg/controller/podgc): every `period` it force-deletes
 * - terminated pods (Succeeded or Failed) beyond `terminatedPodThreshold`, oldest first;
 * - terminating pods on a not-ready node an administrator tainted `node.kubernetes.io/out-of-service`;
 * - pods bound to a node that no longer exists, once the node has stayed missing for `quarantine`
 *   (the informer may simply lag) and the API confirms it is gone;
 * - terminating pods that were never scheduled (no kubelet will ever finish them).
 * A pod that is not yet terminal is first marked Failed (with a DisruptionTarget condition when
 * its node is gone), then deleted with grace period 0, as `markFailedAndDeletePod` does.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { type Node, Nodes } from "../api/Node.js"
import { type Pod, type PodCondition, Pods } from "../api/Pod.js"
import { rfc3339 } from "../api/time.js"
import { Client } from "../client/Client.js"
import { byNodeName, keyOf } from "../informer/Informer.js"
import { SharedInformers } from "../informer/SharedInformers.js"
import { planted } from "../testing/KnownBugs.js"
import { isPodTerminal } from "./PodConditions.js"
import { withPodCondition } from "./TaintEviction.js"

export interface PodGCOptions {
  /** How often it looks (`gcCheckPeriod`); default 20 s. */
  readonly period?: Duration.DurationInput
  /** How long a node must stay missing before its pods go; default 40 s. */
  readonly quarantine?: Duration.DurationInput
  /** Terminated pods kept at most (`--terminated-pod-gc-threshold`); zero or less: no limit; default 12,500. */
  readonly terminatedPodThreshold?: number
}

export const defaults = {
  period: Duration.seconds(20),
  quarantine: Duration.seconds(40),
  terminatedPodThreshold: 12_500
} as const

/** The taint that lets PodGC delete the terminating pods of a node that is down for good. */
export const outOfServiceTaintKey = "node.kubernetes.io/out-of-service"

/** PodGC's own index of the pods: terminal ones, and ones being deleted. */
const byState = "podgc-state"
const terminal = "terminal"
const terminating = "terminating"
const stateOf = (pod: Pod): Array<string> => {
  const states: Array<string> = []
  if (isPodTerminal(pod)) states.push(terminal)
  if (pod.metadata.deletionTimestamp !== undefined) states.push(terminating)
  return states
}

const compareStrings = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

const notReady = (node: Node) => node.status?.conditions?.find((c) => c.type === "Ready")?.status !== "True"

const orphaned: PodCondition = {
  type: "DisruptionTarget",
  status: "True",
  reason: "DeletionByPodGC",
  message: "PodGC: node no longer exists"
}

/** Starts the pod garbage collector in the current scope. */
export const make = (options: PodGCOptions = {}): Effect.Effect<void, never, Client | SharedInformers | Scope.Scope> =>
  Effect.gen(function* () {
    const client = yield* Client
    const informers = yield* SharedInformers
    const nodes = yield* informers.informer(Nodes)
    const pods = yield* informers.informer(Pods)
    const period = Duration.decode(options.period ?? defaults.period)
    const quarantine = (yield* planted("podGcNoQuarantine"))
      ? // Known bug podGcNoQuarantine: a node the API does not have yet is taken for one gone for good.
        0
      : Duration.toMillis(Duration.decode(options.quarantine ?? defaults.quarantine))
    const threshold = options.terminatedPodThreshold ?? defaults.terminatedPodThreshold
    // A pass reads these instead of every pod when it can: a cluster has tens of thousands of pods
    // and, most passes, none to collect.
    pods.addIndexer(byState, stateOf)
    // Missing node name → when its quarantine ends (epoch millis).
    const quarantined = new Map<string, number>()

    /** markFailedAndDeletePod: Failed (with the condition given) through the status, then a forced delete. */
    const forceDelete = (pod: Pod, condition?: PodCondition) =>
      Effect.gen(function* () {
        const namespace = pod.metadata.namespace ?? "default"
        const name = pod.metadata.name ?? ""
        if (!isPodTerminal(pod)) {
          const fresh = yield* client.get(Pods, name, { namespace })
          const failed: Pod = { ...fresh, status: { ...fresh.status, phase: "Failed" } }
          const now = rfc3339(yield* Effect.clockWith((clock) => clock.currentTimeMillis))
          yield* client.updateStatus(Pods, condition === undefined ? failed : withPodCondition(failed, condition, now))
        }
        yield* client.delete(Pods, name, {
          namespace,
          gracePeriodSeconds: 0,
          ...(pod.metadata.uid === undefined ? {} : { preconditions: { uid: pod.metadata.uid } })
        })
        yield* Effect.logInfo(`force-deleted pod ${namespace}/${name}`)
      }).pipe(
        Effect.retry({ while: (e) => e._tag === "Conflict", times: 2 }),
        Effect.catchAll((error) =>
          error._tag === "NotFound" ? Effect.void : Effect.logWarning(`force-deleting pod ${keyOf(pod)} failed`, error)
        )
      )

    const nodeExists = (name: string) =>
      client.get(Nodes, name).pipe(
        Effect.as(true),
        Effect.catchTag("NotFound", () => Effect.succeed(false))
      )

    const gcTerminated = (all: ReadonlyArray<Pod>) => {
      if (threshold <= 0 || pods.byIndex(byState, terminal).length <= threshold) return Effect.void
      // The index and `all` are the same cache at this step; the list keeps the informer's order for ties.
      const terminated = all.filter(isPodTerminal)
      const oldest = terminated
        // RFC 3339 times of one format order as strings (localeCompare is far slower on thousands).
        .sort((a, b) => compareStrings(a.metadata.creationTimestamp ?? "", b.metadata.creationTimestamp ?? ""))
        .slice(0, terminated.length - threshold)
      return forceDeleteAll(oldest)
    }

    /** The pods force-deleted one after another; nothing at all (no Effect step per pod) for none. */
    const forceDeleteAll = (doomed: ReadonlyArray<Pod>) =>
      doomed.length === 0 ? Effect.void : Effect.forEach(doomed, (pod) => forceDelete(pod), { discard: true })

    const anyTerminating = () => pods.byIndex(byState, terminating).length > 0

    const gcTerminating = (all: ReadonlyArray<Pod>) =>
      forceDeleteAll(
        all.filter((pod) => {
          if (pod.metadata.deletionTimestamp === undefined) return false
          const node = nodes.get(pod.spec?.nodeName ?? "")
          if (node === undefined || !notReady(node)) return false
          return (node.spec?.taints ?? []).some((t) => t.key === outOfServiceTaintKey)
        })
      )

    const gcOrphaned = (all: ReadonlyArray<Pod>, now: number) =>
      Effect.gen(function* () {
        // The nodes pods are bound to, against the informer's (a Node's key is its name).
        for (const nodeName of pods.indexValues(byNodeName)) {
          if (!quarantined.has(nodeName) && nodes.get(nodeName) === undefined)
            quarantined.set(nodeName, now + quarantine)
        }
        const existing = new Set([...quarantined.keys()].filter((name) => nodes.get(name) !== undefined))
        const deleted = new Set<string>()
        for (const [name, readyAt] of [...quarantined]) {
          if (readyAt > now) continue
          quarantined.delete(name)
          if (existing.has(name)) continue
          const exists = yield* Effect.either(nodeExists(name))
          if (exists._tag === "Right" && !exists.right) deleted.add(name)
        }
        if (deleted.size === 0) return
        for (const pod of all) if (deleted.has(pod.spec?.nodeName ?? "")) yield* forceDelete(pod, orphaned)
      })

    const gcUnscheduledTerminating = (all: ReadonlyArray<Pod>) =>
      forceDeleteAll(
        all.filter((pod) => pod.metadata.deletionTimestamp !== undefined && (pod.spec?.nodeName ?? "") === "")
      )

    const gc = Effect.gen(function* () {
      const now = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
      yield* gcTerminated(pods.list())
      if (anyTerminating()) yield* gcTerminating(pods.list())
      yield* gcOrphaned(pods.list(), now)
      if (anyTerminating()) yield* gcUnscheduledTerminating(pods.list())
    })

    yield* Effect.forkScoped(
      Effect.gen(function* () {
        yield* nodes.waitForSync
        yield* pods.waitForSync
        yield* Effect.forever(
          Effect.zipRight(
            gc.pipe(Effect.catchAllCause((cause) => Effect.logWarning("pod garbage collection failed", cause))),
            Effect.sleep(period)
          )
        )
      })
    )
  }).pipe(Effect.annotateLogs("component", "pod-garbage-collector"))
