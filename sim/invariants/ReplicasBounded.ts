/**
 * replicasBounded: while a RollingUpdate Deployment rolls out, its pods (not terminating, owned
 * through its ReplicaSets) number at most replicas + maxSurge, and at least replicas −
 * maxUnavailable of them are available (surge rounds up, unavailable down: Fenceposts.ts).
 *
 * Those are promises about what the controller does, not about what happens to it, so a
 * Deployment is only held to them from a steady state (one ReplicaSet, asked for the Deployment's
 * replicas, every replica available) until the next one, and is let go (until steady again) when something else takes pods away: it
 * is scaled, a pod of it stops being available without the controller asking (a crash, a failed
 * probe, a deletion its ReplicaSet did not call for), or when the reply to a pod's create was lost on
 * the way back: its ReplicaSet, not knowing the pod exists, rightly makes another, as in
 * Kubernetes, and deletes the extra one once it sees it. Nothing is reported while a node is not
 * Ready or within `nodeTroubleMillis` after one stopped being Ready.
 */
import type { Deployment } from "../../core/api/Deployment.js"
import type { KubeObject } from "../../core/api/meta.js"
import type { Node } from "../../core/api/Node.js"
import type { Pod } from "../../core/api/Pod.js"
import type { ReplicaSet } from "../../core/api/ReplicaSet.js"
import { controllerOf } from "../../core/controllers/ControllerRef.js"
import { maxSurge, maxUnavailable, replicasOf, isRollingUpdate } from "../../core/controllers/deployment/Fenceposts.js"
import { isPodActive, isPodAvailable } from "../../core/controllers/PodConditions.js"
import type { WorldEvent } from "../scenario/World.js"
import { type InvariantContext, type InvariantHooks, nameOf } from "./Invariant.js"

/** How long after a node stopped being Ready rollouts are not judged (eviction and replacement take that long). */
export const nodeTroubleMillis = 5 * 60_000

/** uid → the uids it controls, kept from controller references. */
class Ownership {
  private readonly owned = new Map<string, Set<string>>()
  private readonly ownerOf = new Map<string, string>()

  set(uid: string, owner: string | undefined): void {
    const was = this.ownerOf.get(uid)
    if (was === owner) return
    if (was !== undefined) this.owned.get(was)?.delete(uid)
    if (owner === undefined) {
      this.ownerOf.delete(uid)
      return
    }
    this.ownerOf.set(uid, owner)
    let set = this.owned.get(owner)
    if (set === undefined) {
      set = new Set()
      this.owned.set(owner, set)
    }
    set.add(uid)
  }

  owner(uid: string): string | undefined {
    return this.ownerOf.get(uid)
  }

  children(uid: string): ReadonlySet<string> {
    return this.owned.get(uid) ?? new Set()
  }
}

const nodeReady = (node: Node): boolean => node.status?.conditions?.find((c) => c.type === "Ready")?.status === "True"

export const make = (context: InvariantContext): InvariantHooks => {
  const { world } = context
  const replicaSets = new Ownership() // Deployment uid → ReplicaSet uids
  const pods = new Ownership() // ReplicaSet uid → Pod uids
  const armed = new Set<string>() // Deployments held to the bounds
  const notReady = new Set<string>()
  let lastTrouble = -Infinity

  const ownerUid = (obj: KubeObject, kind: string): string | undefined => {
    const ref = controllerOf(obj)
    return ref !== undefined && ref.kind === kind ? ref.uid : undefined
  }

  const podsOf = (rsUid: string): ReadonlyArray<Pod> => {
    const out: Array<Pod> = []
    for (const uid of pods.children(rsUid)) {
      const pod = world.getByUid(uid)
      if (pod !== undefined) out.push(pod as Pod)
    }
    return out
  }

  const disarm = (uid: string) => {
    armed.delete(uid)
    context.resolve(`${uid}/surge`)
    context.resolve(`${uid}/unavailable`)
  }

  const judge = (d: Deployment) => {
    const uid = d.metadata.uid ?? ""
    if (!isRollingUpdate(d) || d.metadata.deletionTimestamp !== undefined) return disarm(uid)
    const replicas = replicasOf(d)
    const minReadySeconds = d.spec?.minReadySeconds ?? 0
    const now = context.now()
    let active = 0
    let available = 0
    let activeReplicaSets = 0
    // What the ReplicaSets are asked for: after a scale it differs until the Deployment controller passes it on.
    let wanted = 0
    for (const rsUid of replicaSets.children(uid)) {
      const rs = world.getByUid(rsUid) as ReplicaSet | undefined
      if (rs === undefined) continue
      wanted += rs.spec?.replicas ?? 1
      let mine = 0
      for (const pod of podsOf(rsUid)) {
        if (!isPodActive(pod)) continue
        mine++
        if (isPodAvailable(pod, minReadySeconds, now)) available++
      }
      active += mine
      if (mine > 0 || (rs.spec?.replicas ?? 1) > 0) activeReplicaSets++
    }
    if (activeReplicaSets <= 1 && wanted === replicas && active === replicas && available === replicas) {
      armed.add(uid)
      context.resolve(`${uid}/surge`)
      context.resolve(`${uid}/unavailable`)
      return
    }
    if (!armed.has(uid) || notReady.size > 0 || now - lastTrouble < nodeTroubleMillis) return
    const surge = maxSurge(d)
    const unavailable = maxUnavailable(d)
    const name = nameOf(d.metadata)
    if (active > replicas + surge)
      context.report(
        `${uid}/surge`,
        `deployment ${name}: ${active} pods, want at most ${replicas + surge} (replicas ${replicas} + maxSurge ${surge})`
      )
    if (available < replicas - unavailable)
      context.report(
        `${uid}/unavailable`,
        `deployment ${name}: ${available} available, want at least ${replicas - unavailable} (replicas ${replicas} - maxUnavailable ${unavailable})`
      )
  }

  const judgeOwnerOf = (rsUid: string | undefined) => {
    const dUid = rsUid === undefined ? undefined : replicaSets.owner(rsUid)
    const d = dUid === undefined ? undefined : world.getByUid(dUid)
    if (d !== undefined) judge(d as Deployment)
  }

  // A pod of an armed Deployment stopped being available: fine only when its ReplicaSet asked for fewer pods.
  const lostAvailability = (old: Pod, pod: Pod, gone: boolean, rsUid: string | undefined) => {
    const dUid = rsUid === undefined ? undefined : replicaSets.owner(rsUid)
    if (dUid === undefined || !armed.has(dUid)) return
    const d = world.getByUid(dUid) as Deployment | undefined
    const minReadySeconds = d?.spec?.minReadySeconds ?? 0
    const now = context.now()
    if (!isPodAvailable(old, minReadySeconds, now) || !isPodActive(old)) return
    if (!gone && isPodActive(pod) && isPodAvailable(pod, minReadySeconds, now)) return
    const rs = world.getByUid(rsUid!) as ReplicaSet | undefined
    const stillActive = !gone && isPodActive(pod)
    // Active pods of the ReplicaSet before this change, this one included.
    const before = podsOf(rsUid!).filter((p) => p.metadata.uid !== pod.metadata.uid && isPodActive(p)).length + 1
    const scaledDown = rs !== undefined && !stillActive && (rs.spec?.replicas ?? 1) < before
    if (!scaledDown) disarm(dUid)
  }

  const nodeChanged = (event: WorldEvent) => {
    const name = event.object.metadata.name ?? ""
    const ready = event.type !== "DELETED" && nodeReady(event.object as Node)
    const wasReady = event.old !== undefined && nodeReady(event.old as Node)
    if (ready) notReady.delete(name)
    else {
      if (event.type === "DELETED") notReady.delete(name)
      else notReady.add(name)
      if (wasReady) lastTrouble = context.now()
    }
  }

  return {
    onLostReply: (_component, request, response) => {
      if (request.method !== "POST" || response._tag !== "Json") return
      const created = response.body as KubeObject | null
      if (created?.kind !== "Pod") return
      const rsUid = ownerUid(created, "ReplicaSet")
      const dUid = rsUid === undefined ? undefined : replicaSets.owner(rsUid)
      if (dUid !== undefined) disarm(dUid)
    },
    onEvent: (event) => {
      switch (event.kind) {
        case "Node":
          return nodeChanged(event)
        case "Deployment": {
          const d = event.object as Deployment
          const uid = d.metadata.uid ?? ""
          if (event.type === "DELETED") return disarm(uid)
          if (event.old !== undefined && replicasOf(event.old as Deployment) !== replicasOf(d)) disarm(uid)
          return judge(d)
        }
        case "ReplicaSet": {
          const rs = event.object
          const uid = rs.metadata.uid ?? ""
          const before = replicaSets.owner(uid)
          replicaSets.set(uid, event.type === "DELETED" ? undefined : ownerUid(rs, "Deployment"))
          judgeOwnerOf(uid)
          if (before !== undefined && before !== replicaSets.owner(uid)) {
            const d = world.getByUid(before)
            if (d !== undefined) judge(d as Deployment)
          }
          return
        }
        case "Pod": {
          const pod = event.object as Pod
          const uid = pod.metadata.uid ?? ""
          const gone = event.type === "DELETED"
          const rsBefore = pods.owner(uid)
          if (event.old !== undefined) lostAvailability(event.old as Pod, pod, gone, rsBefore)
          pods.set(uid, gone ? undefined : ownerUid(pod, "ReplicaSet"))
          judgeOwnerOf(pods.owner(uid) ?? rsBefore)
          return
        }
      }
    }
  }
}
