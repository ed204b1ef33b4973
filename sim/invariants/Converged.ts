/**
 * converged (liveness, at the end): every Deployment has readyReplicas = spec.replicas, unless
 * capacity does not allow it — some of its pods are pending as Unschedulable, or hold their place on
 * a node that is not Ready (they tolerate its taints: not evicted yet, by design) — or it is being deleted.
 */
import type { Deployment } from "../../core/api/Deployment.js"
import type { Pod } from "../../core/api/Pod.js"
import { controllerOf } from "../../core/controllers/ControllerRef.js"
import { replicasOf } from "../../core/controllers/deployment/Fenceposts.js"
import { isUnschedulable } from "../scenario/Checks.js"
import { type InvariantContext, type InvariantHooks, nameOf } from "./Invariant.js"

export const make = (context: InvariantContext): InvariantHooks => ({
  atEnd: () => {
    const { world } = context
    // Deployment uid → whether one of its pods cannot be placed.
    const replicaSetOwner = new Map<string, string>()
    for (const rs of world.list("ReplicaSet")) {
      const ref = controllerOf(rs)
      if (ref?.kind === "Deployment") replicaSetOwner.set(rs.metadata.uid ?? "", ref.uid ?? "")
    }
    const notReady = new Set(
      world
        .nodes()
        .filter((node) => !node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"))
        .map((node) => node.metadata.name ?? "")
    )
    const starved = new Set<string>()
    for (const pod of world.pods()) {
      const ref = controllerOf(pod)
      const owner = ref?.kind === "ReplicaSet" ? replicaSetOwner.get(ref.uid ?? "") : undefined
      const stranded = notReady.has((pod as Pod).spec?.nodeName ?? "")
      if (owner !== undefined && (isUnschedulable(pod as Pod) || stranded)) starved.add(owner)
    }
    for (const obj of world.list("Deployment")) {
      const d = obj as Deployment
      const uid = d.metadata.uid ?? ""
      if (d.metadata.deletionTimestamp !== undefined || starved.has(uid)) continue
      const ready = d.status?.readyReplicas ?? 0
      const want = replicasOf(d)
      if (ready !== want) context.report(uid, `deployment ${nameOf(d.metadata)}: readyReplicas ${ready}, want ${want}`)
    }
  }
})
