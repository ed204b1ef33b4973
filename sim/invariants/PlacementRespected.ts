/**
 * placementRespected: when the scheduler binds a pod (a pod without a node gets one), the node as
 * the scheduler knew it must admit the pod — its nodeSelector and required node affinity select
 * the node, and it tolerates the node's NoSchedule and NoExecute taints. The scheduler decides on
 * its cache a moment before the bind lands, and its cache may lag the store for longer (a broken
 * watch backs off, then re-lists): a stale view is Kubernetes' behaviour, not a bug, and the
 * binding API checks no taints. So a bind is judged against the versions of the node the
 * scheduler had received (its watch lines, GETs and LISTs) and held at some moment of the last
 * `taintRaceMillis`: it is a violation only when none of them admits the pod. When no scheduler
 * watch is fed (a checker driven by hand), the store's versions stand in. A pod created with
 * `spec.nodeName` is not judged: it bypasses the scheduler, whose rules these are; the kubelet's
 * admission decides whether it runs.
 */
import type { Node, Taint } from "../../core/api/Node.js"
import type { Pod } from "../../core/api/Pod.js"
import { matchesNode, requiredNodeAffinity } from "../../core/scheduler/plugins/NodeSelectors.js"
import { firstUntoleratedHardTaint } from "../../core/scheduler/plugins/Tolerations.js"
import { type InvariantContext, type InvariantHooks, nameOf } from "./Invariant.js"
import * as Received from "./Received.js"

/** How long the scheduler may decide before its bind lands (a binding round trip, with room to spare). */
export const taintRaceMillis = 2_000

const scheduler = "scheduler"

const taintId = (t: Taint) => `${t.key}=${t.value ?? ""}:${t.effect}`

/** A version of a node as known from `at` on (undefined: the node was gone). */
interface Version {
  readonly at: number
  readonly node: Node | undefined
}

/** Why `node` does not admit `pod`, or undefined when it does. */
const refusal = (pod: Pod, node: Node): string | undefined => {
  if (!matchesNode(requiredNodeAffinity(pod), node)) return ", which its node selector/affinity excludes"
  const taint = firstUntoleratedHardTaint(node.spec?.taints ?? [], pod.spec?.tolerations)
  return taint === undefined ? undefined : ` despite taint ${taintId(taint)}`
}

export const make = (context: InvariantContext): InvariantHooks => {
  // Per node, from one source: the version held `taintRaceMillis` ago (if any) and every one since, oldest first.
  const fromScheduler = new Map<string, Array<Version>>()
  const fromStore = new Map<string, Array<Version>>()
  let schedulerWatches = false

  const record = (versions: Map<string, Array<Version>>, name: string, node: Node | undefined) => {
    const now = context.now()
    const history = versions.get(name) ?? []
    history.push({ at: now, node })
    // Only the last version older than the window still matters.
    let first = 0
    while (first + 1 < history.length && history[first + 1]!.at <= now - taintRaceMillis) first++
    versions.set(name, first === 0 ? history : history.slice(first))
  }

  const received = Received.make({
    component: scheduler,
    kinds: new Set(["Node"]),
    object: (_kind, object, deleted) =>
      record(fromScheduler, object.metadata.name ?? "", deleted ? undefined : (object as Node)),
    watching: () => {
      schedulerWatches = true
    }
  })

  const bound = (pod: Pod, nodeName: string) => {
    // A pod bound to a node that does not exist never runs (PodGC deletes it); nothing to compare with.
    if (context.world.get("Node", "", nodeName) === undefined) return
    const since = context.now() - taintRaceMillis
    // A version is held from its arrival until the next one arrives.
    const held = ((schedulerWatches ? fromScheduler : fromStore).get(nodeName) ?? []).filter(
      (_, i, all) => all[i + 1] === undefined || all[i + 1]!.at > since
    )
    let why: string | undefined
    for (const { node } of held) {
      if (node === undefined) continue
      const refused = refusal(pod, node)
      if (refused === undefined) return
      why ??= refused
    }
    // Never known to the scheduler: not a placement it chose against a node it saw.
    if (why === undefined) return
    context.report(pod.metadata.uid ?? "", `pod ${nameOf(pod.metadata)} bound to ${nodeName}${why}`)
  }

  return {
    onWatchLine: received.onWatchLine,
    onResponse: received.onResponse,
    onEvent: (event) => {
      if (event.kind === "Node") {
        const name = event.object.metadata.name ?? ""
        record(fromStore, name, event.type === "DELETED" ? undefined : (event.object as Node))
        return
      }
      if (event.kind !== "Pod" || event.type === "DELETED") return
      const pod = event.object as Pod
      const node = pod.spec?.nodeName
      const old = event.old as Pod | undefined
      if (node !== undefined && old !== undefined && old.spec?.nodeName === undefined) bound(pod, node)
    }
  }
}
