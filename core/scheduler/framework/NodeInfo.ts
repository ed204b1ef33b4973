/**
 * What the scheduler knows about one node (`framework.NodeInfo`): the Node object, the pods on it
 * (bound or assumed), their summed requests, the host ports in use, and the pods with affinity
 * terms. The scheduler cache keeps one per node and updates it incrementally; plugins only read it.
 */
import type { Node } from "../../api/Node.js"
import type { Pod } from "../../api/Pod.js"
import * as Resource from "./Resource.js"

/** A pod with its requests computed once. */
export interface PodInfo {
  readonly pod: Pod
  /** `namespace/name`. */
  readonly key: string
  readonly requests: Resource.Resource
  readonly nonZeroRequests: Resource.Resource
}

export const podInfo = (pod: Pod): PodInfo => ({
  pod,
  key: `${pod.metadata.namespace ?? "default"}/${pod.metadata.name ?? ""}`,
  requests: Resource.podRequests(pod),
  nonZeroRequests: Resource.podRequests(pod, true)
})

/** `protocol/hostIP/hostPort` of every host port a pod asks for. */
export const hostPortsOf = (pod: Pod): ReadonlyArray<string> => {
  const ports: Array<string> = []
  for (const c of pod.spec?.containers ?? [])
    for (const p of c.ports ?? [])
      if ((p.hostPort ?? 0) > 0) ports.push(`${p.protocol ?? "TCP"}/${p.hostIP ?? "0.0.0.0"}/${p.hostPort}`)
  return ports
}

const hasAffinity = (pod: Pod) =>
  pod.spec?.affinity?.podAffinity !== undefined || pod.spec?.affinity?.podAntiAffinity !== undefined

const hasRequiredAntiAffinity = (pod: Pod) =>
  (pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0

export class NodeInfo {
  /** The node's name (also when the Node object is not known yet: pods can arrive first). */
  readonly name: string
  node: Node | undefined
  readonly pods: Array<PodInfo> = []
  readonly podsWithAffinity: Array<PodInfo> = []
  readonly podsWithRequiredAntiAffinity: Array<PodInfo> = []
  /** Sum of the pods' requests. */
  readonly requested: Resource.Resource = Resource.empty()
  /** Sum of the pods' requests with the scoring defaults for unset CPU / memory. */
  readonly nonZeroRequested: Resource.Resource = Resource.empty()
  allocatable: Resource.Resource = Resource.empty()
  /** Host ports in use, as `hostPortsOf` writes them, with how many pods use each. */
  readonly usedPorts: Map<string, number> = new Map()
  /** Bumped on every change, so snapshots can copy only what changed. */
  generation = 0

  constructor(name: string, node?: Node) {
    this.name = name
    if (node !== undefined) this.setNode(node)
  }

  setNode(node: Node): void {
    this.node = node
    this.allocatable = Resource.fromList(node.status?.allocatable ?? node.status?.capacity)
    this.generation++
  }

  addPod(info: PodInfo): void {
    this.pods.push(info)
    if (hasAffinity(info.pod)) this.podsWithAffinity.push(info)
    if (hasRequiredAntiAffinity(info.pod)) this.podsWithRequiredAntiAffinity.push(info)
    Resource.addTo(this.requested, info.requests)
    Resource.addTo(this.nonZeroRequested, info.nonZeroRequests)
    for (const port of hostPortsOf(info.pod)) this.usedPorts.set(port, (this.usedPorts.get(port) ?? 0) + 1)
    this.generation++
  }

  /** Removes the pod with this key; false when it is not here. */
  removePod(key: string): boolean {
    const at = this.pods.findIndex((p) => p.key === key)
    if (at < 0) return false
    const [info] = this.pods.splice(at, 1)
    const drop = (list: Array<PodInfo>) => {
      const i = list.findIndex((p) => p.key === key)
      if (i >= 0) list.splice(i, 1)
    }
    drop(this.podsWithAffinity)
    drop(this.podsWithRequiredAntiAffinity)
    Resource.addTo(this.requested, info!.requests, -1)
    Resource.addTo(this.nonZeroRequested, info!.nonZeroRequests, -1)
    for (const port of hostPortsOf(info!.pod)) {
      const n = (this.usedPorts.get(port) ?? 0) - 1
      if (n > 0) this.usedPorts.set(port, n)
      else this.usedPorts.delete(port)
    }
    this.generation++
    return true
  }

  /** The node's labels (empty before the Node object is known). */
  get labels(): Readonly<Record<string, string>> {
    return this.node?.metadata.labels ?? {}
  }
}
