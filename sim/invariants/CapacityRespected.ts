/**
 * capacityRespected: on every node, the requests of the pods bound to it that have not terminated
 * (Succeeded/Failed; terminating pods still hold their resources) fit its allocatable — CPU,
 * memory, ephemeral storage, extended resources and the pod count, summed as the scheduler sums
 * them (`Resource.podRequests`: init containers as Kubernetes counts them, plus overhead).
 *
 * Capacity binds the scheduler only: a pod created with `spec.nodeName` bypasses it, and the
 * kubelet's admission rejects it if it does not fit (Failed, `OutOfcpu` …). So a pod the scheduler
 * bound (seen first without a node) counts from its binding; a pod created bound counts only once
 * its kubelet admitted it (a start time, or Running) — a rejected one is Failed and never counts.
 */
import type { Node } from "../../core/api/Node.js"
import type { Pod } from "../../core/api/Pod.js"
import { isPodTerminal } from "../../core/controllers/PodConditions.js"
import * as Resource from "../../core/scheduler/framework/Resource.js"
import type { InvariantContext, InvariantHooks } from "./Invariant.js"

interface Usage {
  readonly requested: Resource.Resource
  pods: number
}

const mebi = 1024 * 1024

const amount = (resource: string, n: number): string =>
  resource === "cpu" ? `${n}m` : resource === "memory" && n % mebi === 0 ? `${n / mebi}Mi` : String(n)

/** `[resource, requested, allocatable]` for each resource of `usage` and `allocatable`. */
const compared = (usage: Usage, allocatable: Resource.Resource): ReadonlyArray<readonly [string, number, number]> => {
  const r = usage.requested
  const rows: Array<readonly [string, number, number]> = [
    ["cpu", r.milliCpu, allocatable.milliCpu],
    ["memory", r.memory, allocatable.memory],
    ["ephemeral-storage", r.ephemeralStorage, allocatable.ephemeralStorage],
    ["pods", usage.pods, allocatable.allowedPodNumber]
  ]
  const scalars = new Set([...r.scalar.keys(), ...allocatable.scalar.keys()])
  for (const name of [...scalars].sort()) rows.push([name, r.scalar.get(name) ?? 0, allocatable.scalar.get(name) ?? 0])
  return rows
}

/** The kubelet took a pod created bound: it set the start time (or the pod runs). */
const admitted = (pod: Pod): boolean => pod.status?.startTime !== undefined || pod.status?.phase === "Running"

export const make = (context: InvariantContext): InvariantHooks => {
  const usage = new Map<string, Usage>()
  // Uids of the pods seen without a node: the scheduler binds them.
  const scheduled = new Set<string>()
  // Each counted pod by uid: the node it counts on and its requests (immutable once bound).
  const counted = new Map<string, { readonly node: string; readonly requests: Resource.Resource }>()

  const usageOf = (node: string): Usage => {
    let u = usage.get(node)
    if (u === undefined) {
      u = { requested: Resource.empty(), pods: 0 }
      usage.set(node, u)
    }
    return u
  }

  const check = (nodeName: string) => {
    const node = context.world.get("Node", "", nodeName) as Node | undefined
    const list = node?.status?.allocatable ?? node?.status?.capacity
    // A node that has not reported what it has yet offers nothing to compare with.
    if (list === undefined) return
    const u = usageOf(nodeName)
    for (const [resource, requested, allocatable] of compared(u, Resource.fromList(list))) {
      const key = `${nodeName}/${resource}`
      if (requested <= allocatable || (resource === "pods" && list.pods === undefined)) context.resolve(key)
      else
        context.report(
          key,
          `node ${nodeName}: ${resource} requests ${amount(resource, requested)} > allocatable ${amount(resource, allocatable)}`
        )
    }
  }

  const podChanged = (pod: Pod, gone: boolean) => {
    const uid = pod.metadata.uid ?? ""
    if (pod.spec?.nodeName === undefined) scheduled.add(uid)
    const counts = !gone && !isPodTerminal(pod) && (scheduled.has(uid) || admitted(pod))
    const node = counts ? pod.spec?.nodeName : undefined
    if (gone) scheduled.delete(uid)
    const before = counted.get(uid)
    if (before?.node === node) return
    if (before !== undefined) {
      const u = usageOf(before.node)
      Resource.addTo(u.requested, before.requests, -1)
      u.pods--
      counted.delete(uid)
      check(before.node)
    }
    if (node !== undefined) {
      const requests = Resource.podRequests(pod)
      const u = usageOf(node)
      Resource.addTo(u.requested, requests)
      u.pods++
      counted.set(uid, { node, requests })
      check(node)
    }
  }

  return {
    onEvent: (event) => {
      if (event.kind === "Pod") podChanged(event.object as Pod, event.type === "DELETED")
      else if (event.kind === "Node" && event.type !== "DELETED") check(event.object.metadata.name ?? "")
    }
  }
}
