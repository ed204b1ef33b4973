/**
 * The node-lifecycle controller (pkg/controller/nodelifecycle): watches kubelet heartbeats (the
 * node's Lease and its Ready condition's lastHeartbeatTime, timed by this controller's own Clock)
 * and, past the grace period, sets the node's conditions to Unknown and marks its pods not ready;
 * keeps the `not-ready`/`unreachable` NoExecute taints in step with the Ready condition (added at
 * a rate limited per zone, none at all while every zone is down), and the NoSchedule taints of
 * TaintNodesByCondition. It also starts the taint-eviction controller (TaintEviction.ts); the
 * pods of deleted nodes are PodGC's (PodGC.ts).
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type { ApiError } from "../api/errors.js"
import type { Unreachable } from "../client/Transport.js"
import { Leases } from "../api/Lease.js"
import type { Node, NodeCondition, Taint } from "../api/Node.js"
import { Nodes } from "../api/Node.js"
import type { Pod, PodCondition } from "../api/Pod.js"
import { Pods } from "../api/Pod.js"
import { canonical } from "../api/validation.js"
import { Client } from "../client/Client.js"
import * as EventRecorder from "../client/EventRecorder.js"
import { byNodeName, keyOf } from "../informer/Informer.js"
import { SharedInformers } from "../informer/SharedInformers.js"
import * as WorkQueue from "../informer/WorkQueue.js"
import { defaults as kubeletDefaults } from "../kubelet/KubeletOptions.js"
import { nodeLeaseNamespace } from "../kubelet/NodeStatus.js"
import { planted } from "../testing/KnownBugs.js"
import * as Controller from "./Controller.js"
import { timeMillis } from "../api/time.js"
import * as TaintEviction from "./TaintEviction.js"
import { rfc3339 } from "../api/time.js"

export interface NodeLifecycleOptions {
  /** How often node health is checked (`--node-monitor-period`); default 5 s. */
  readonly nodeMonitorPeriod?: Duration.DurationInput
  /** How long a node may go without a heartbeat before it is Unknown (`--node-monitor-grace-period`); default 40 s. */
  readonly nodeMonitorGracePeriod?: Duration.DurationInput
  /** The same for a node that never posted its status; default 60 s. */
  readonly nodeStartupGracePeriod?: Duration.DurationInput
  /** Nodes tainted NoExecute per second per zone (`--node-eviction-rate`); default 0.1. */
  readonly evictionLimiterQPS?: number
  /** The same in a partially disrupted large zone (`--secondary-node-eviction-rate`); default 0.01. */
  readonly secondaryEvictionLimiterQPS?: number
  /** Above this many nodes a zone is large (`--large-cluster-size-threshold`); default 50. */
  readonly largeClusterSizeThreshold?: number
  /** The share of not-ready nodes (more than 2) that makes a zone partially disrupted; default 0.55. */
  readonly unhealthyZoneThreshold?: number
  /** Run the taint-eviction controller too (Kubernetes' default); default true. */
  readonly taintEviction?: boolean
}

export const defaults = {
  nodeMonitorPeriod: Duration.seconds(5),
  nodeMonitorGracePeriod: Duration.seconds(40),
  nodeStartupGracePeriod: Duration.seconds(60),
  evictionLimiterQPS: 0.1,
  secondaryEvictionLimiterQPS: 0.01,
  largeClusterSizeThreshold: 50,
  unhealthyZoneThreshold: 0.55
} as const

/** `node.kubernetes.io/not-ready:NoExecute`: Ready is False. */
export const notReadyTaint: Taint = { key: "node.kubernetes.io/not-ready", effect: "NoExecute" }
/** `node.kubernetes.io/unreachable:NoExecute`: Ready is Unknown. */
export const unreachableTaint: Taint = { key: "node.kubernetes.io/unreachable", effect: "NoExecute" }
/** Nodes with this label do not count toward a zone's health. */
export const excludeDisruptionLabel = "node.kubernetes.io/exclude-disruption"

/** TaintNodesByCondition: the NoSchedule taint key for a condition's status. */
const conditionTaints: Record<string, Record<string, string>> = {
  Ready: { False: "node.kubernetes.io/not-ready", Unknown: "node.kubernetes.io/unreachable" },
  MemoryPressure: { True: "node.kubernetes.io/memory-pressure" },
  DiskPressure: { True: "node.kubernetes.io/disk-pressure" },
  NetworkUnavailable: { True: "node.kubernetes.io/network-unavailable" },
  PIDPressure: { True: "node.kubernetes.io/pid-pressure" }
}
const unschedulableTaintKey = "node.kubernetes.io/unschedulable"
const conditionTaintKeys = new Set([...Object.values(conditionTaints).flatMap(Object.values), unschedulableTaintKey])

/** The conditions a silent node's kubelet no longer vouches for (NetworkUnavailable is not the kubelet's). */
const kubeletConditionTypes = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"] as const

const sameTaint = (a: Taint, b: Taint) => a.key === b.key && a.effect === b.effect
const hasTaint = (node: Node, taint: Taint) => (node.spec?.taints ?? []).some((t) => sameTaint(t, taint))
const readyCondition = (node: Node): NodeCondition | undefined =>
  node.status?.conditions?.find((c) => c.type === "Ready")

/** `region:\0:zone` from the topology labels ("" when neither is set), as nodetopology.GetZoneKey. */
export const zoneKey = (node: Node): string => {
  const labels = node.metadata.labels ?? {}
  const region = labels["topology.kubernetes.io/region"] ?? labels["failure-domain.beta.kubernetes.io/region"] ?? ""
  const zone = labels["topology.kubernetes.io/zone"] ?? labels["failure-domain.beta.kubernetes.io/zone"] ?? ""
  return region === "" && zone === "" ? "" : `${region}:\u0000:${zone}`
}

type ZoneState = "Initial" | "Normal" | "PartialDisruption" | "FullDisruption"

/** ComputeZoneState over the Ready conditions of a zone's nodes (a missing one counts as not ready). */
export const zoneState = (
  ready: ReadonlyArray<NodeCondition | undefined>,
  unhealthyZoneThreshold: number
): Exclude<ZoneState, "Initial"> => {
  const readyNodes = ready.filter((c) => c?.status === "True").length
  const notReady = ready.length - readyNodes
  if (readyNodes === 0 && notReady > 0) return "FullDisruption"
  if (notReady > 2 && notReady / ready.length >= unhealthyZoneThreshold) return "PartialDisruption"
  return "Normal"
}

/** What the controller last saw of a node, stamped with its own clock (nodeHealthData). */
interface NodeHealth {
  readonly probeTimestamp: number
  readonly ready: NodeCondition | undefined
  readonly leaseRenewTime: number | undefined
}

/** A pass's verdict on one node: the Ready condition observed before and after, and what to write to mark it Unknown. */
interface HealthAssessment {
  readonly node: Node
  readonly observed: NodeCondition
  readonly current: NodeCondition | undefined
  readonly unknown?: { readonly conditions: ReadonlyArray<NodeCondition>; readonly saved: NodeHealth }
}

/** A zone's queue of nodes to taint NoExecute, drained at `qps` with a burst of one (RateLimitedTimedQueue). */
interface ZoneTainter {
  qps: number
  tokens: number
  refilledAt: number
  /** Waiting nodes, ordered by when they may be processed. */
  readonly queue: Array<{ readonly name: string; processAt: number }>
  /** Queued or done: a node is not queued twice until it is removed (UniqueQueue's set). */
  readonly members: Set<string>
}

const enqueue = (t: ZoneTainter, entry: { readonly name: string; processAt: number }) => {
  const at = t.queue.findIndex((e) => e.processAt > entry.processAt)
  if (at < 0) t.queue.push(entry)
  else t.queue.splice(at, 0, entry)
}

const refill = (t: ZoneTainter, now: number) => {
  if (t.qps > 0) t.tokens = Math.min(1, t.tokens + ((now - t.refilledAt) / 1000) * t.qps)
  t.refilledAt = now
}

/** Attempts at one node's health update per pass (NodeHealthUpdateRetry). */
const healthUpdateRetries = 5

/** Adds a node's Ready condition to its zone's, in place (a pass visits thousands of nodes). */
const observeZone = (
  zones: Map<string, Array<NodeCondition | undefined>>,
  zone: string,
  ready: NodeCondition | undefined
): void => {
  const conditions = zones.get(zone)
  if (conditions === undefined) zones.set(zone, [ready])
  else conditions.push(ready)
}

/**
 * Starts the node-lifecycle controller (and the taint-eviction controller unless disabled) in
 * the current scope; returns once started.
 */
export const make = (
  options: NodeLifecycleOptions = {}
): Effect.Effect<void, never, Client | SharedInformers | Scope.Scope> =>
  Effect.gen(function* () {
    const client = yield* Client
    const informers = yield* SharedInformers
    const nodes = yield* informers.informer(Nodes)
    const pods = yield* informers.informer(Pods)
    // The shared Lease informer of every namespace, as Kubernetes' factory gives (the garbage collector's too).
    const leases = yield* informers.informer(Leases)
    const recorder = yield* EventRecorder.make("node-controller")
    const millis = (d: Duration.DurationInput) => Duration.toMillis(Duration.decode(d))
    const monitorPeriod = millis(options.nodeMonitorPeriod ?? defaults.nodeMonitorPeriod)
    const monitorGrace = (yield* planted("nodeLifecycleNoGrace"))
      ? // Known bug nodeLifecycleNoGrace: the kubelet's heartbeat interval taken for the grace period.
        millis(kubeletDefaults.heartbeatInterval)
      : millis(options.nodeMonitorGracePeriod ?? defaults.nodeMonitorGracePeriod)
    const startupGrace = millis(options.nodeStartupGracePeriod ?? defaults.nodeStartupGracePeriod)
    const evictionQPS = options.evictionLimiterQPS ?? defaults.evictionLimiterQPS
    const secondaryQPS = options.secondaryEvictionLimiterQPS ?? defaults.secondaryEvictionLimiterQPS
    const largeCluster = options.largeClusterSizeThreshold ?? defaults.largeClusterSizeThreshold
    const unhealthyThreshold = options.unhealthyZoneThreshold ?? defaults.unhealthyZoneThreshold

    const health = new Map<string, NodeHealth>()
    const knownNodes = new Map<string, Node>()
    const zoneStates = new Map<string, ZoneState>()
    const tainters = new Map<string, ZoneTainter>()
    const nodesToRetry = new Set<string>()
    const wake = yield* Queue.sliding<void>(1)

    const nowMillis = Clock.currentTimeMillis

    // --- taints ---------------------------------------------------------------------------

    /** Adds (with timeAdded now) and removes taints in one compare-and-swap update, re-reading on conflicts. */
    const swapTaints = (name: string, add: ReadonlyArray<Taint>, remove: ReadonlyArray<Taint>) =>
      Effect.gen(function* () {
        const timeAdded = rfc3339(yield* nowMillis)
        const node = yield* client.get(Nodes, name)
        const current = node.spec?.taints ?? []
        let next = current.filter((t) => !remove.some((r) => sameTaint(r, t)))
        for (const taint of add.map((t) => ({ ...t, timeAdded }))) {
          const at = next.findIndex((t) => sameTaint(t, taint))
          if (at < 0) next = [...next, taint]
          else if (canonical(next[at]) !== canonical(taint)) next = next.map((t, i) => (i === at ? taint : t))
        }
        if (canonical(next) === canonical(current)) return
        const { taints: _, ...spec } = node.spec ?? {}
        yield* client.update(Nodes, { ...node, spec: next.length === 0 ? spec : { ...spec, taints: next } })
      }).pipe(Effect.retry({ while: (e) => e._tag === "Conflict", times: 4, schedule: Schedule.spaced("100 millis") }))

    const tainterFor = (zone: string): ZoneTainter => {
      let tainter = tainters.get(zone)
      if (tainter === undefined) {
        tainter = { qps: evictionQPS, tokens: 1, refilledAt: 0, queue: [], members: new Set() }
        tainters.set(zone, tainter)
      }
      return tainter
    }

    const removeFromTainter = (node: Node) => {
      const tainter = tainterFor(zoneKey(node))
      const name = node.metadata.name ?? ""
      const at = tainter.queue.findIndex((e) => e.name === name)
      if (at >= 0) tainter.queue.splice(at, 1)
      tainter.members.delete(name)
    }

    const swapLimiter = (zone: string, qps: number) =>
      Effect.gen(function* () {
        const tainter = tainterFor(zone)
        if (tainter.qps === qps) return
        refill(tainter, yield* nowMillis)
        // A drained bucket stays drained across the swap, as Kubernetes' SwapLimiter does.
        tainter.tokens = tainter.tokens >= 1 ? 1 : 0
        tainter.qps = qps
        yield* Queue.offer(wake, undefined)
      })

    /** markNodeForTainting: queue the node for the NoExecute taint of `status` (again, if that taint is missing). */
    const markNodeForTainting = (node: Node, status: "False" | "Unknown") =>
      Effect.gen(function* () {
        if (!hasTaint(node, status === "False" ? notReadyTaint : unreachableTaint)) removeFromTainter(node)
        const tainter = tainterFor(zoneKey(node))
        const name = node.metadata.name ?? ""
        if (tainter.members.has(name)) return
        tainter.members.add(name)
        enqueue(tainter, { name, processAt: yield* nowMillis })
        yield* Queue.offer(wake, undefined)
      })

    /** markNodeAsReachable: drop both NoExecute taints and any queued tainting. */
    const markNodeAsReachable = (node: Node) =>
      Effect.gen(function* () {
        const remove = [unreachableTaint, notReadyTaint].filter((t) => hasTaint(node, t))
        if (remove.length > 0) yield* swapTaints(node.metadata.name ?? "", [], remove)
        removeFromTainter(node)
      })

    /** One doNoExecuteTaintingPass: taints what the limiters allow; answers when there is more to do. */
    const noExecuteTaintingPass = Effect.gen(function* () {
      let next: number | undefined
      const later = (at: number) => {
        next = next === undefined ? at : Math.min(next, at)
      }
      for (const tainter of tainters.values()) {
        while (tainter.queue.length > 0) {
          const now = yield* nowMillis
          const entry = tainter.queue[0]
          if (entry.processAt > now) {
            later(entry.processAt)
            break
          }
          refill(tainter, now)
          // A zero rate never accepts (Kubernetes swaps in a never-accepting limiter).
          if (tainter.qps <= 0 || tainter.tokens < 1) {
            if (tainter.qps > 0) later(now + Math.ceil(((1 - tainter.tokens) / tainter.qps) * 1000))
            break
          }
          tainter.tokens -= 1
          const done = yield* taintNoExecute(entry.name)
          // The monitor may have dropped the entry meanwhile; only a still-queued one moves.
          const at = tainter.queue.indexOf(entry)
          if (at < 0) continue
          tainter.queue.splice(at, 1)
          if (!done) {
            entry.processAt = now + 50
            enqueue(tainter, entry)
          }
        }
      }
      return next
    })

    /** Sets the NoExecute taint matching the node's Ready condition; false to retry shortly. */
    const taintNoExecute = (name: string): Effect.Effect<boolean> => {
      const node = nodes.get(name)
      if (node === undefined) return Effect.succeed(true)
      const status = readyCondition(node)?.status
      if (status === undefined) return Effect.succeed(false)
      if (status !== "False" && status !== "Unknown") return Effect.succeed(true)
      const [add, opposite] = status === "False" ? [notReadyTaint, unreachableTaint] : [unreachableTaint, notReadyTaint]
      return swapTaints(name, [add], [opposite]).pipe(
        Effect.as(true),
        Effect.catchAll((error) => Effect.as(Effect.logWarning(`tainting node ${name} failed`, error), false))
      )
    }

    const noExecuteTaintingLoop = Effect.forever(
      Effect.gen(function* () {
        const next = yield* noExecuteTaintingPass
        const wait = Queue.take(wake)
        if (next === undefined) return yield* wait
        yield* Effect.timeoutOption(wait, Math.max(0, next - (yield* nowMillis)))
      })
    )

    /** doNoScheduleTaintingPass: the NoSchedule taints follow the conditions and `spec.unschedulable`. */
    const noScheduleTaintingPass = (name: string) =>
      Effect.gen(function* () {
        const node = nodes.get(name)
        if (node === undefined) return
        const wanted: Array<Taint> = []
        for (const c of node.status?.conditions ?? []) {
          const key = conditionTaints[c.type ?? ""]?.[c.status ?? ""]
          if (key !== undefined) wanted.push({ key, effect: "NoSchedule" })
        }
        if (node.spec?.unschedulable === true) wanted.push({ key: unschedulableTaintKey, effect: "NoSchedule" })
        const present = (node.spec?.taints ?? []).filter(
          (t) => t.effect === "NoSchedule" && conditionTaintKeys.has(t.key)
        )
        const add = wanted.filter((t) => !present.some((p) => sameTaint(p, t)))
        const remove = present.filter((p) => !wanted.some((t) => sameTaint(p, t)))
        if (add.length > 0 || remove.length > 0) yield* swapTaints(name, add, remove)
      })

    // --- node health ------------------------------------------------------------------------

    /** MarkPodsNotReady: the pods' Ready condition goes False (the kubelet that would do it is silent). */
    const markPodsNotReady = (onNode: ReadonlyArray<Pod>, nodeName: string) =>
      Effect.gen(function* () {
        const now = rfc3339(yield* nowMillis)
        let failed: unknown
        for (const pod of onNode) {
          if (pod.spec?.nodeName !== nodeName) continue
          const ready = pod.status?.conditions?.find((c) => c.type === "Ready")
          if (ready === undefined || ready.status === "False") continue
          const condition: PodCondition = { ...ready, status: "False", lastTransitionTime: now }
          const updated: Pod = {
            ...pod,
            status: {
              ...pod.status,
              conditions: pod.status!.conditions!.map((c) => (c.type === "Ready" ? condition : c))
            }
          }
          const result = yield* Effect.either(client.updateStatus(Pods, updated))
          if (result._tag === "Left") {
            if (result.left._tag !== "NotFound") failed = result.left
            continue
          }
          yield* recorder.event(result.right, "Warning", "NodeNotReady", "Node is not ready")
        }
        if (failed !== undefined) return yield* Effect.fail(failed)
      })

    /**
     * The grace period's verdict at `now` (tryUpdateNodeHealth without its write): the node's health
     * record is brought up to date; answers the Ready condition observed before and the one after,
     * and the conditions to write when the node is to be marked Unknown.
     */
    const assessNodeHealth = (node: Node, now: number): HealthAssessment => {
      const name = node.metadata.name ?? ""
      const currentReady = readyCondition(node)
      let saved = health.get(name)
      let observed: NodeCondition
      let grace: number
      if (currentReady === undefined) {
        observed = {
          type: "Ready",
          status: "Unknown",
          lastHeartbeatTime: node.metadata.creationTimestamp ?? null,
          lastTransitionTime: node.metadata.creationTimestamp ?? null
        }
        grace = startupGrace
        saved =
          saved === undefined
            ? {
                probeTimestamp: timeMillis(node.metadata.creationTimestamp) ?? now,
                ready: undefined,
                leaseRenewTime: undefined
              }
            : { ...saved, ready: undefined }
      } else {
        observed = currentReady
        grace = monitorGrace
      }
      if (saved === undefined || (saved.ready === undefined) !== (currentReady === undefined)) {
        saved = { probeTimestamp: now, ready: currentReady, leaseRenewTime: undefined }
      } else if (
        saved.ready !== undefined &&
        currentReady !== undefined &&
        saved.ready.lastHeartbeatTime !== currentReady.lastHeartbeatTime
      ) {
        saved = { ...saved, probeTimestamp: now, ready: currentReady }
      }
      const renewed = timeMillis(leases.get(`${nodeLeaseNamespace}/${name}`)?.spec?.renewTime)
      if (renewed !== undefined && (saved.leaseRenewTime === undefined || saved.leaseRenewTime < renewed)) {
        saved = { ...saved, leaseRenewTime: renewed, probeTimestamp: now }
      }
      health.set(name, saved)
      if (now <= saved.probeTimestamp + grace) return { node, observed, current: currentReady }

      const stamp = rfc3339(now)
      const conditions = [...(node.status?.conditions ?? [])]
      for (const type of kubeletConditionTypes) {
        const at = conditions.findIndex((c) => c.type === type)
        if (at < 0) {
          conditions.push({
            type,
            status: "Unknown",
            reason: "NodeStatusNeverUpdated",
            message: "Kubelet never posted node status.",
            lastHeartbeatTime: node.metadata.creationTimestamp ?? null,
            lastTransitionTime: stamp
          })
        } else if (conditions[at].status !== "Unknown") {
          conditions[at] = {
            ...conditions[at],
            status: "Unknown",
            reason: "NodeStatusUnknown",
            message: "Kubelet stopped posting node status.",
            lastTransitionTime: stamp
          }
        }
      }
      const current = conditions.find((c) => c.type === "Ready")
      if (canonical(current) === canonical(observed)) return { node, observed, current }
      return { node, observed, current, unknown: { conditions, saved } }
    }

    /** Writes the node as Unknown when the assessment says so; answers the node as it now is. */
    const writeNodeHealth = (assessment: HealthAssessment): Effect.Effect<HealthAssessment, ApiError | Unreachable> => {
      const { node, unknown } = assessment
      if (unknown === undefined) return Effect.succeed(assessment)
      const name = node.metadata.name ?? ""
      return Effect.gen(function* () {
        const updated = yield* client.updateStatus(Nodes, {
          ...node,
          status: { ...node.status, conditions: unknown.conditions }
        })
        health.set(name, { ...unknown.saved, ready: assessment.current })
        yield* Effect.logInfo(`node ${name} stopped posting status; marked Unknown`)
        const written: HealthAssessment = { node: updated, observed: assessment.observed, current: assessment.current }
        return written
      })
    }

    /** tryUpdateNodeHealth: the verdict now, written. */
    const tryUpdateNodeHealth = (node: Node) =>
      Effect.flatMap(nowMillis, (now) => writeNodeHealth(assessNodeHealth(node, now)))

    /** The assessment written, re-reading the node after a failed write (a kubelet may have written meanwhile). */
    const updateNodeHealth = (assessment: HealthAssessment) =>
      writeNodeHealth(assessment).pipe(
        Effect.catchAll(() =>
          client
            .get(Nodes, assessment.node.metadata.name ?? "")
            .pipe(
              Effect.flatMap(tryUpdateNodeHealth),
              Effect.retry({ times: healthUpdateRetries - 2, schedule: Schedule.spaced("20 millis") })
            )
        )
      )

    /** processTaintBaseEviction: NoExecute taints follow the Ready status observed before this pass's update. */
    const processTaintBasedEviction = (node: Node, observed: NodeCondition) => {
      switch (observed.status) {
        case "False":
          return hasTaint(node, unreachableTaint)
            ? swapTaints(node.metadata.name ?? "", [notReadyTaint], [unreachableTaint])
            : markNodeForTainting(node, "False")
        case "Unknown":
          return hasTaint(node, notReadyTaint)
            ? swapTaints(node.metadata.name ?? "", [unreachableTaint], [notReadyTaint])
            : markNodeForTainting(node, "Unknown")
        case "True":
          return markNodeAsReachable(node)
        default:
          return Effect.void
      }
    }

    /** A Ready node seen Ready, with no NoExecute taint: the pass has nothing to do for it but bookkeeping. */
    const isSteady = ({ node, observed, current, unknown }: HealthAssessment): boolean =>
      unknown === undefined &&
      observed.status === "True" &&
      current?.status === "True" &&
      !hasTaint(node, unreachableTaint) &&
      !hasTaint(node, notReadyTaint)

    const monitorNode = (node: Node, zones: Map<string, Array<NodeCondition | undefined>>, now: number) => {
      const name = node.metadata.name ?? ""
      const assessment = assessNodeHealth(node, now)
      // Most nodes, most passes: done here, without an Effect per node (undefined: nothing left to run).
      if (isSteady(assessment)) {
        if (node.metadata.labels?.[excludeDisruptionLabel] === undefined) {
          observeZone(zones, zoneKey(node), assessment.current)
        }
        removeFromTainter(node)
        nodesToRetry.delete(name)
        return undefined
      }
      return Effect.gen(function* () {
        const result = yield* Effect.either(updateNodeHealth(assessment))
        if (result._tag === "Left") {
          return yield* Effect.logWarning(`updating health of node ${name} failed; skipping it this pass`, result.left)
        }
        const { observed, current } = result.right
        if (node.metadata.labels?.[excludeDisruptionLabel] === undefined) {
          observeZone(zones, zoneKey(node), current)
        }
        if (current !== undefined) {
          yield* processTaintBasedEviction(result.right.node, observed).pipe(
            Effect.catchAll((error) => Effect.logWarning(`updating taints of node ${name} failed`, error))
          )
          const becameNotReady = current.status !== "True" && observed.status === "True"
          if (becameNotReady) {
            yield* recorder.event(
              result.right.node,
              "Normal",
              "NodeNotReady",
              `Node ${name} status is now: NodeNotReady`
            )
          }
          if (becameNotReady || (nodesToRetry.has(name) && observed.status !== "True")) {
            const marked = yield* Effect.either(markPodsNotReady(pods.byIndex(byNodeName, name), name))
            if (marked._tag === "Left") {
              nodesToRetry.add(name)
              return yield* Effect.logWarning(`marking pods of node ${name} not ready failed`, marked.left)
            }
          }
        }
        nodesToRetry.delete(name)
      })
    }

    /** handleDisruption: per-zone tainting rates, and no NoExecute taints at all while every zone is down. */
    const handleDisruption = (zones: Map<string, Array<NodeCondition | undefined>>, all: ReadonlyArray<Node>) =>
      Effect.gen(function* () {
        const newStates = new Map<string, ZoneState>()
        let allAreFullyDisrupted = true
        for (const [zone, conditions] of zones) {
          const state = zoneState(conditions, unhealthyThreshold)
          if (state !== "FullDisruption") allAreFullyDisrupted = false
          newStates.set(zone, state)
          if (!zoneStates.has(zone)) zoneStates.set(zone, "Initial")
        }
        let allWereFullyDisrupted = true
        for (const [zone, state] of [...zoneStates]) {
          if (!zones.has(zone)) {
            zoneStates.delete(zone)
            continue
          }
          if (state !== "FullDisruption") {
            allWereFullyDisrupted = false
            break
          }
        }
        if (allAreFullyDisrupted && allWereFullyDisrupted) return
        const limit = (zone: string, state: ZoneState) =>
          swapLimiter(
            zone,
            state === "PartialDisruption"
              ? (zones.get(zone)?.length ?? 0) > largeCluster
                ? secondaryQPS
                : 0
              : evictionQPS
          )
        if (allAreFullyDisrupted) {
          yield* Effect.logInfo("all nodes are not ready: entering master disruption mode, no evictions")
          for (const node of all) {
            yield* markNodeAsReachable(node).pipe(
              Effect.catchAll((e) => Effect.logWarning("removing taints failed", e))
            )
          }
          for (const zone of zoneStates.keys()) {
            yield* swapLimiter(zone, 0)
            zoneStates.set(zone, "FullDisruption")
          }
          return
        }
        if (allWereFullyDisrupted) {
          yield* Effect.logInfo("some nodes are ready: leaving master disruption mode")
          const now = yield* nowMillis
          for (const node of all) {
            const name = node.metadata.name ?? ""
            const h = health.get(name)
            if (h !== undefined) health.set(name, { ...h, probeTimestamp: now })
          }
          for (const zone of zoneStates.keys()) {
            const state = newStates.get(zone) ?? "Normal"
            yield* limit(zone, state)
            zoneStates.set(zone, state)
          }
          return
        }
        for (const [zone, state] of zoneStates) {
          const next = newStates.get(zone) ?? state
          if (next === state) continue
          yield* Effect.logInfo(`zone ${JSON.stringify(zone)} is now ${next}`)
          yield* limit(zone, next)
          zoneStates.set(zone, next)
        }
      })

    /** monitorNodeHealth: one pass over every node. */
    const monitorNodeHealth = Effect.gen(function* () {
      const all = nodes.list()
      const seen = new Set<string>()
      for (const node of all) {
        const name = node.metadata.name ?? ""
        seen.add(name)
        tainterFor(zoneKey(node))
        if (knownNodes.has(name)) continue
        knownNodes.set(name, node)
        yield* recorder.event(node, "Normal", "RegisteredNode", `Registered Node ${name} in Controller`)
        yield* markNodeAsReachable(node).pipe(Effect.catchAll((e) => Effect.logWarning("removing taints failed", e)))
      }
      for (const [name, node] of [...knownNodes]) {
        if (seen.has(name)) continue
        knownNodes.delete(name)
        health.delete(name)
        nodesToRetry.delete(name)
        yield* recorder.event(node, "Normal", "RemovingNode", `Removing Node ${name} from Controller`)
      }
      const zones = new Map<string, Array<NodeCondition | undefined>>()
      // Each node is judged at the time its turn comes, as Kubernetes reads its clock per node: a write takes time.
      let now = yield* nowMillis
      for (const node of all) {
        const rest = monitorNode(node, zones, now)
        if (rest === undefined) continue
        yield* rest
        now = yield* nowMillis
      }
      yield* handleDisruption(zones, all)
    })

    /** processPod: a pod newly bound to a node that is not ready is marked not ready too. */
    const processPod = (key: string) =>
      Effect.gen(function* () {
        const pod = pods.get(key)
        const nodeName = pod?.spec?.nodeName ?? ""
        if (pod === undefined || nodeName === "") return
        const ready = health.get(nodeName)?.ready
        if (ready === undefined || nodes.get(nodeName) === undefined) return
        if (ready.status !== "True") yield* markPodsNotReady([pod], nodeName)
      })

    // --- wiring -----------------------------------------------------------------------------

    const every = (period: number, pass: Effect.Effect<void, unknown>, what: string) =>
      Effect.gen(function* () {
        while (true) {
          yield* pass.pipe(Effect.catchAllCause((cause) => Effect.logWarning(`${what} failed`, cause)))
          yield* Effect.sleep(period)
        }
      })

    const nodeQueue = yield* WorkQueue.make()
    const podQueue = yield* WorkQueue.make()

    yield* Effect.forkScoped(
      Effect.gen(function* () {
        yield* nodes.waitForSync
        yield* pods.waitForSync
        yield* leases.waitForSync
        yield* nodes.addHandler(Controller.enqueueHandler(nodeQueue))
        yield* pods.addHandler({
          onAdd: (pod) => ((pod.spec?.nodeName ?? "") === "" ? Effect.void : podQueue.add(keyOf(pod))),
          onUpdate: (old, pod) =>
            (pod.spec?.nodeName ?? "") !== "" && pod.spec?.nodeName !== old.spec?.nodeName
              ? podQueue.add(keyOf(pod))
              : Effect.void
        })
        yield* Controller.run({ name: "node-lifecycle-nodes", queue: nodeQueue }, noScheduleTaintingPass)
        yield* Controller.run({ name: "node-lifecycle-pods", queue: podQueue }, processPod)
        yield* Effect.forkScoped(noExecuteTaintingLoop)
        yield* Effect.forkScoped(every(monitorPeriod, monitorNodeHealth, "monitoring node health"))
      })
    )
    if (options.taintEviction !== false) yield* TaintEviction.make()
  }).pipe(Effect.annotateLogs("component", "node-lifecycle-controller"))
