/**
 * replicaSetBounded: a ReplicaSet never creates a pod while it already has as many active pods
 * (not terminal, not terminating, controlled by it) as it may: the largest `spec.replicas` it had
 * over the last `nodeMonitorGracePeriod` (a scale-down in flight leaves pods over the new count
 * until they are deleted) plus its share of its Deployment's maxSurge (in proportion to its
 * replicas). A creation beyond that is the over-create of a controller trusting a stale cache.
 *
 * Outside failures only: a create whose answer was lost (an ambiguous commit, a crash right after
 * the write) leaves a pod its controller does not know it made, so it may rightly make another.
 * So only pods whose create was acknowledged (onResponse) count as already there — or every pod,
 * when no response is fed at all (a world without a network). Pods already there when checking
 * starts count, and their appearance is not a creation.
 */
import type { Deployment } from "../../core/api/Deployment.js"
import type { Pod } from "../../core/api/Pod.js"
import type { ReplicaSet } from "../../core/api/ReplicaSet.js"
import type { ApiRequest, ApiResponse } from "../../core/apiserver/ApiRequest.js"
import { controllerOf } from "../../core/controllers/ControllerRef.js"
import { isRollingUpdate, maxSurge, replicasOf } from "../../core/controllers/deployment/Fenceposts.js"
import { isPodActive } from "../../core/controllers/PodConditions.js"
import { acknowledged } from "./AcknowledgedWrite.js"
import { type InvariantContext, type InvariantHooks, nameOf } from "./Invariant.js"

/** A ReplicaSet's `spec.replicas` from `at` on. */
interface Scale {
  readonly at: number
  readonly replicas: number
}

export const make = (context: InvariantContext): InvariantHooks => {
  const { world } = context
  const window = context.timing.nodeMonitorGracePeriod
  const startRevision = world.revision()
  // Per ReplicaSet uid: its scales, oldest first, the first one in force at the window's start.
  const scales = new Map<string, Array<Scale>>()
  const podsOf = new Map<string, Set<string>>()
  const ownerOf = new Map<string, string>()
  const acknowledgedPods = new Set<string>()
  let responses = false

  const largestReplicas = (rsUid: string, now: number): number => {
    const list = scales.get(rsUid) ?? []
    while (list.length > 1 && list[1].at <= now - window) list.shift()
    return list.reduce((max, s) => Math.max(max, s.replicas), 0)
  }

  const surgeShare = (rs: ReplicaSet, replicas: number): number => {
    const ref = controllerOf(rs)
    const d = ref?.kind === "Deployment" ? (world.getByUid(ref.uid ?? "") as Deployment | undefined) : undefined
    if (d === undefined || !isRollingUpdate(d) || replicasOf(d) === 0) return 0
    const surge = maxSurge(d)
    return Math.min(surge, Math.ceil((surge * replicas) / replicasOf(d)))
  }

  const activePods = (rsUid: string, counts: (pod: Pod) => boolean): number => {
    let n = 0
    for (const uid of podsOf.get(rsUid) ?? []) {
      const pod = world.getByUid(uid) as Pod | undefined
      if (pod !== undefined && isPodActive(pod) && counts(pod)) n++
    }
    return n
  }

  const setOwner = (podUid: string, rsUid: string | undefined) => {
    const was = ownerOf.get(podUid)
    if (was === rsUid) return
    if (was !== undefined) podsOf.get(was)?.delete(podUid)
    if (rsUid === undefined) {
      ownerOf.delete(podUid)
      return
    }
    ownerOf.set(podUid, rsUid)
    let set = podsOf.get(rsUid)
    if (set === undefined) {
      set = new Set()
      podsOf.set(rsUid, set)
    }
    set.add(podUid)
  }

  const created = (pod: Pod, rs: ReplicaSet, now: number) => {
    const rsUid = rs.metadata.uid ?? ""
    const uid = pod.metadata.uid ?? ""
    const active = activePods(
      rsUid,
      (p) => p.metadata.uid !== uid && (!responses || acknowledgedPods.has(p.metadata.uid ?? ""))
    )
    const replicas = largestReplicas(rsUid, now)
    const share = surgeShare(rs, replicas)
    if (active < replicas + share) return
    context.report(
      rsUid,
      `replicaset ${nameOf(rs.metadata)}: pod ${pod.metadata.name ?? ""} created while ${active} of its pods were active, want at most ${replicas + share} (replicas ${replicas} + maxSurge share ${share})`
    )
  }

  // Back within its current replicas: a later over-create is reported again.
  const settle = (rsUid: string) => {
    const rs = world.getByUid(rsUid) as ReplicaSet | undefined
    if (rs === undefined || activePods(rsUid, () => true) <= (rs.spec?.replicas ?? 1)) context.resolve(rsUid)
  }

  return {
    onEvent: (event) => {
      const now = context.now()
      if (event.kind === "ReplicaSet") {
        const uid = event.object.metadata.uid ?? ""
        if (event.type === "DELETED") {
          scales.delete(uid)
          podsOf.delete(uid)
          context.resolve(uid)
          return
        }
        const replicas = (event.object as ReplicaSet).spec?.replicas ?? 1
        const list = scales.get(uid)
        if (list === undefined) scales.set(uid, [{ at: now, replicas }])
        else if (list.at(-1)!.replicas !== replicas) list.push({ at: now, replicas })
        settle(uid)
        return
      }
      if (event.kind !== "Pod") return
      const pod = event.object as Pod
      const uid = pod.metadata.uid ?? ""
      const was = ownerOf.get(uid)
      if (event.type === "DELETED") {
        setOwner(uid, undefined)
        acknowledgedPods.delete(uid)
        if (was !== undefined) settle(was)
        return
      }
      const ref = controllerOf(pod)
      const rsUid = ref?.kind === "ReplicaSet" ? ref.uid : undefined
      const rs = rsUid === undefined ? undefined : (world.getByUid(rsUid) as ReplicaSet | undefined)
      if (event.type === "ADDED") {
        if (Number(pod.metadata.resourceVersion) <= startRevision) acknowledgedPods.add(uid)
        else if (rs !== undefined) created(pod, rs, now)
      }
      setOwner(uid, rs === undefined ? undefined : rsUid)
      if (was !== undefined) settle(was)
      if (rsUid !== undefined && rsUid !== was) settle(rsUid)
    },
    onResponse: (_component: string, request: ApiRequest, response: ApiResponse) => {
      responses = true
      const write = acknowledged(request, response)
      if (write?.method === "POST" && write.kind === "Pod" && write.uid !== undefined) acknowledgedPods.add(write.uid)
    }
  }
}
