/**
 * The taint-eviction controller (pkg/controller/tainteviction): deletes the pods on a node with
 * NoExecute taints they do not tolerate — at once when a taint is not tolerated at all, after the
 * smallest `tolerationSeconds` of the tolerations used otherwise, never for tolerations without
 * one. The countdown starts when the controller first sees the pod must go (as Kubernetes does),
 * and is cancelled when the taints go away or the pod's tolerations change to tolerate them.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type { Taint } from "../api/Node.js"
import { Nodes } from "../api/Node.js"
import type { Pod, PodCondition, Toleration } from "../api/Pod.js"
import { Pods } from "../api/Pod.js"
import { canonical } from "../api/validation.js"
import { Client } from "../client/Client.js"
import * as EventRecorder from "../client/EventRecorder.js"
import { byNodeName, keyOf, splitKey } from "../informer/Informer.js"
import { SharedInformers } from "../informer/SharedInformers.js"
import * as WorkQueue from "../informer/WorkQueue.js"
import * as Controller from "./Controller.js"
import { rfc3339 } from "../api/time.js"

/** Whether the toleration tolerates the taint (`Toleration.ToleratesTaint`): empty key/effect match any. */
export const toleratesTaint = (toleration: Toleration, taint: Taint): boolean => {
  if ((toleration.effect ?? "") !== "" && toleration.effect !== taint.effect) return false
  if ((toleration.key ?? "") !== "" && toleration.key !== taint.key) return false
  switch (toleration.operator ?? "Equal") {
    case "":
    case "Equal":
      return (toleration.value ?? "") === (taint.value ?? "")
    case "Exists":
      return true
    default:
      return false
  }
}

/**
 * GetMatchingTolerations: whether every taint is tolerated, and the first toleration used for
 * each (empty when one is not tolerated).
 */
export const matchingTolerations = (
  taints: ReadonlyArray<Taint>,
  tolerations: ReadonlyArray<Toleration>
): { readonly allTolerated: boolean; readonly used: ReadonlyArray<Toleration> } => {
  const used: Array<Toleration> = []
  for (const taint of taints) {
    const toleration = tolerations.find((t) => toleratesTaint(t, taint))
    if (toleration === undefined) return { allTolerated: false, used: [] }
    used.push(toleration)
  }
  return { allTolerated: true, used }
}

/** getMinTolerationTime in milliseconds: the smallest `tolerationSeconds` (≤ 0 counts as 0); `undefined` is forever. */
export const minTolerationMillis = (tolerations: ReadonlyArray<Toleration>): number | undefined => {
  if (tolerations.length === 0) return 0
  let min: number | undefined
  for (const t of tolerations) {
    if (t.tolerationSeconds === undefined) continue
    if (t.tolerationSeconds <= 0) return 0
    min = min === undefined ? t.tolerationSeconds : Math.min(min, t.tolerationSeconds)
  }
  return min === undefined ? undefined : min * 1000
}

/** A node's NoExecute taints. */
export const noExecuteTaints = (taints: ReadonlyArray<Taint> | undefined): ReadonlyArray<Taint> =>
  (taints ?? []).filter((t) => t.effect === "NoExecute")

/** Sets (or refreshes) a pod condition as `UpdatePodCondition` does: the transition time moves only on a status change. */
export const withPodCondition = (pod: Pod, condition: PodCondition, now: string): Pod => {
  const conditions = pod.status?.conditions ?? []
  const was = conditions.find((c) => c.type === condition.type)
  const next: PodCondition = {
    ...condition,
    lastTransitionTime: was !== undefined && was.status === condition.status ? (was.lastTransitionTime ?? now) : now
  }
  if (
    was !== undefined &&
    canonical({ ...was, lastProbeTime: undefined }) === canonical({ ...next, lastProbeTime: undefined })
  )
    return pod
  return {
    ...pod,
    status: {
      ...pod.status,
      conditions:
        was === undefined ? [...conditions, next] : conditions.map((c) => (c.type === condition.type ? next : c))
    }
  }
}

/** How often a failed eviction is retried before it is dropped (the next node or pod change schedules it again). */
const deleteRetries = 5

interface ScheduledEviction {
  readonly createdAt: number
  /** Set once the timer fired: the key stays, so the pod is not scheduled twice (TimedWorkerQueue). */
  fired: boolean
  fiber?: Fiber.RuntimeFiber<void>
}

/** Starts the taint-eviction controller in the current scope; returns once started. */
export const make = (): Effect.Effect<void, never, Client | SharedInformers | Scope.Scope> =>
  Effect.gen(function* () {
    const client = yield* Client
    const informers = yield* SharedInformers
    const nodes = yield* informers.informer(Nodes)
    const pods = yield* informers.informer(Pods)
    const recorder = yield* EventRecorder.make("taint-eviction-controller")
    const scope = yield* Effect.scope
    const taintedNodes = new Map<string, ReadonlyArray<Taint>>()
    const scheduled = new Map<string, ScheduledEviction>()

    const podEvent = (key: string, message: string) => {
      const { namespace, name } = splitKey(key)
      const pod = pods.get(key)
      const ref: Pod = pod ?? { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: namespace ?? "default" } }
      return recorder.event(ref, "Normal", "TaintManagerEviction", `${message} ${key}`)
    }

    const cancel = (key: string) =>
      Effect.suspend(() => {
        const eviction = scheduled.get(key)
        scheduled.delete(key)
        if (eviction === undefined || eviction.fired) return Effect.void
        return Effect.zipRight(
          eviction.fiber === undefined ? Effect.void : Fiber.interruptFork(eviction.fiber),
          podEvent(key, "Cancelling deletion of Pod")
        )
      })

    // addConditionAndDeletePod: mark the pod a disruption target, then delete it gracefully.
    const evict = (key: string) =>
      Effect.gen(function* () {
        const { namespace, name } = splitKey(key)
        const pod = yield* client.get(Pods, name, { namespace: namespace ?? "default" })
        const marked = withPodCondition(
          pod,
          {
            type: "DisruptionTarget",
            status: "True",
            reason: "DeletionByTaintManager",
            message: "Taint manager: deleting due to NoExecute taint"
          },
          rfc3339(yield* Clock.currentTimeMillis)
        )
        if (marked !== pod) yield* client.updateStatus(Pods, marked)
        yield* client.delete(Pods, name, { namespace: namespace ?? "default" })
      })

    const fire = (key: string, eviction: ScheduledEviction, delayMillis: number) =>
      Effect.gen(function* () {
        yield* Effect.sleep(delayMillis)
        eviction.fired = true
        yield* podEvent(key, "Marking for deletion Pod")
        yield* Effect.logInfo(`deleting pod ${key}`)
        const result = yield* evict(key).pipe(
          Effect.retry({
            times: deleteRetries - 1,
            schedule: Schedule.spaced("10 millis"),
            while: (e) => e._tag !== "NotFound"
          }),
          Effect.either
        )
        // A failure forgets the eviction, so the next change of the node or pod schedules it again.
        if (result._tag === "Left" && result.left._tag !== "NotFound" && scheduled.get(key) === eviction) {
          scheduled.delete(key)
          yield* Effect.logWarning(`evicting pod ${key} failed`, result.left)
        }
      })

    const schedule = (key: string, createdAt: number, fireAt: number, now: number) =>
      Effect.suspend(() => {
        if (scheduled.has(key)) return Effect.void
        const eviction: ScheduledEviction = { createdAt, fired: false }
        scheduled.set(key, eviction)
        return Effect.map(Effect.forkIn(fire(key, eviction, Math.max(0, fireAt - now)), scope), (fiber) => {
          eviction.fiber = fiber
        })
      })

    const processPodOnNode = (
      key: string,
      tolerations: ReadonlyArray<Toleration>,
      taints: ReadonlyArray<Taint>,
      now: number
    ) =>
      Effect.gen(function* () {
        if (taints.length === 0) return yield* cancel(key)
        const { allTolerated, used } = matchingTolerations(taints, tolerations)
        if (!allTolerated) {
          yield* cancel(key)
          return yield* schedule(key, now, now, now)
        }
        const wait = minTolerationMillis(used)
        if (wait === undefined) return yield* cancel(key)
        // A countdown already running keeps its start (and, as in Kubernetes, its end); one that fired stays done.
        const existing = scheduled.get(key)
        if (existing !== undefined && (existing.fired || existing.createdAt < now)) return
        if (existing !== undefined) yield* cancel(key)
        yield* schedule(key, now, now + wait, now)
      })

    const handleNode = (name: string) =>
      Effect.gen(function* () {
        const node = nodes.get(name)
        // A deleted node's pods keep their countdowns (PodGC removes them anyway).
        if (node === undefined) {
          taintedNodes.delete(name)
          return
        }
        const taints = noExecuteTaints(node.spec?.taints)
        if (taints.length === 0) taintedNodes.delete(name)
        else taintedNodes.set(name, taints)
        const onNode = pods.byIndex(byNodeName, name)
        const now = yield* Clock.currentTimeMillis
        for (const pod of onNode) {
          if (taints.length === 0) yield* cancel(keyOf(pod))
          else yield* processPodOnNode(keyOf(pod), pod.spec?.tolerations ?? [], taints, now)
        }
      })

    const handlePod = (key: string) =>
      Effect.gen(function* () {
        const pod = pods.get(key)
        if (pod === undefined) return yield* cancel(key)
        const nodeName = pod.spec?.nodeName ?? ""
        const taints = taintedNodes.get(nodeName)
        if (nodeName === "" || taints === undefined) return
        yield* processPodOnNode(key, pod.spec?.tolerations ?? [], taints, yield* Clock.currentTimeMillis)
      })

    const queue = yield* WorkQueue.make()
    const nodeKey = (name: string) => `node/${name}`
    const podKey = (pod: Pod) => `pod/${keyOf(pod)}`
    const taintsChanged = (a: ReadonlyArray<Taint> | undefined, b: ReadonlyArray<Taint> | undefined) =>
      canonical(noExecuteTaints(a)) !== canonical(noExecuteTaints(b))
    // A pod on a node without NoExecute taints is left alone by handlePod, so its events are not
    // queued. No taint is missed: handleNode records a node's taints and, in the same step, takes the
    // pods the informer holds on it, so a pod added before that step is among them and one added
    // after it sees the taints here. A deleted pod is queued while a countdown may be running for it.
    const onTaintedNode = (pod: Pod) => taintedNodes.has(pod.spec?.nodeName ?? "")
    const podMoved = (a: Pod, b: Pod) =>
      a.spec?.nodeName !== b.spec?.nodeName || canonical(a.spec?.tolerations) !== canonical(b.spec?.tolerations)

    yield* Effect.forkScoped(
      Effect.gen(function* () {
        yield* nodes.waitForSync
        yield* pods.waitForSync
        yield* nodes.addHandler({
          onAdd: (node) => queue.add(nodeKey(node.metadata.name ?? "")),
          onUpdate: (old, node) =>
            taintsChanged(old.spec?.taints, node.spec?.taints)
              ? queue.add(nodeKey(node.metadata.name ?? ""))
              : Effect.void,
          onDelete: (node) => queue.add(nodeKey(node.metadata.name ?? ""))
        })
        yield* pods.addHandler({
          onAdd: (pod) => (onTaintedNode(pod) ? queue.add(podKey(pod)) : Effect.void),
          onUpdate: (old, pod) => (podMoved(old, pod) && onTaintedNode(pod) ? queue.add(podKey(pod)) : Effect.void),
          onDelete: (pod) => (onTaintedNode(pod) || scheduled.has(keyOf(pod)) ? queue.add(podKey(pod)) : Effect.void)
        })
        yield* Controller.run({ name: "taint-eviction-controller", queue }, (key) =>
          key.startsWith("node/") ? handleNode(key.slice("node/".length)) : handlePod(key.slice("pod/".length))
        )
      })
    )
  }).pipe(Effect.annotateLogs("component", "taint-eviction-controller"))
