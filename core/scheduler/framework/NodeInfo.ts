/**
 * What the scheduler knows about one node (`framework.NodeInfo`): the Node object, the pods on it
 * (bound or assumed), their summed requests, the host ports in use, and the pods with affinity
 * terms. The scheduler cache keeps one per node and updates it incrementally; plugins only read it.
 * What filters and scorers read for every node of every pod (taints, labels, images) is taken out
 * of the Node object once, when it changes.
 */
import type { Node, Taint } from "../../api/Node.js"
import type { Pod } from "../../api/Pod.js"
import * as Resource from "./Resource.js"

/** A pod with what the scheduler derives from it computed once. */
export interface PodInfo {
  readonly pod: Pod
  /** `namespace/name`. */
  readonly key: string
  readonly requests: Resource.Resource
  readonly nonZeroRequests: Resource.Resource
  /** As `hostPortsOf` writes them. */
  readonly hostPorts: ReadonlyArray<string>
}

/** `protocol/hostIP/hostPort` of every host port a pod asks for. */
export const hostPortsOf = (pod: Pod): ReadonlyArray<string> => {
  const ports: Array<string> = []
  for (const c of pod.spec?.containers ?? [])
    for (const p of c.ports ?? [])
      if ((p.hostPort ?? 0) > 0) ports.push(`${p.protocol ?? "TCP"}/${p.hostIP ?? "0.0.0.0"}/${p.hostPort}`)
  return ports
}

// Pod objects are never changed in place (informer objects are frozen), so one PodInfo serves every
// plugin of every cycle that sees the same object, and the cache when it places it.
const podInfos = new WeakMap<Pod, PodInfo>()

/** The pod's PodInfo, computed once per pod object. */
export const podInfo = (pod: Pod): PodInfo => {
  let info = podInfos.get(pod)
  if (info === undefined) {
    info = {
      pod,
      key: `${pod.metadata.namespace ?? "default"}/${pod.metadata.name ?? ""}`,
      requests: Resource.podRequests(pod),
      nonZeroRequests: Resource.podRequests(pod, true),
      hostPorts: hostPortsOf(pod)
    }
    podInfos.set(pod, info)
  }
  return info
}

/** `nginx` and `nginx:latest` are the same image: an untagged name gets `:latest`. */
export const normalizedImageName = (name: string): string =>
  name.lastIndexOf(":") <= name.lastIndexOf("/") ? `${name}:latest` : name

/** A node's `status.images` as normalized name → size, read defensively (the field is loosely typed). */
const imageSizesOf = (node: Node): ReadonlyMap<string, number> | undefined => {
  if ((node.status?.images?.length ?? 0) === 0) return undefined
  const sizes = new Map<string, number>()
  for (const i of node.status?.images ?? []) {
    const image = i as { names?: unknown; sizeBytes?: unknown }
    if (!Array.isArray(image.names)) continue
    const size = typeof image.sizeBytes === "number" ? image.sizeBytes : 0
    for (const name of image.names) if (typeof name === "string") sizes.set(normalizedImageName(name), size)
  }
  return sizes.size === 0 ? undefined : sizes
}

/** The pod has pod affinity or anti-affinity terms (InterPodAffinity must look at it). */
export const hasAffinity = (pod: Pod) =>
  pod.spec?.affinity?.podAffinity !== undefined || pod.spec?.affinity?.podAntiAffinity !== undefined

const hasRequiredAntiAffinity = (pod: Pod) =>
  (pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0

const noLabels: Readonly<Record<string, string>> = Object.freeze({})
const noTaints: ReadonlyArray<Taint> = Object.freeze([])

export class NodeInfo {
  /** The node's name (also when the Node object is not known yet: pods can arrive first). */
  readonly name: string
  /** Set with `setNode` / `clearNode`, which keep the fields derived from it in step. */
  node: Node | undefined = undefined
  /** The node's labels (empty before the Node object is known). */
  labels: Readonly<Record<string, string>> = noLabels
  /** `spec.taints` (empty when none). */
  taints: ReadonlyArray<Taint> = noTaints
  /** `spec.unschedulable` (cordoned). */
  unschedulable = false
  /** The images the node reports holding, by normalized name, with their sizes in bytes; undefined: none. */
  imageSizes: ReadonlyMap<string, number> | undefined = undefined
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
    this.labels = node.metadata.labels ?? noLabels
    this.taints = node.spec?.taints ?? noTaints
    this.unschedulable = node.spec?.unschedulable === true
    this.imageSizes = imageSizesOf(node)
    this.allocatable = Resource.fromList(node.status?.allocatable ?? node.status?.capacity)
    this.generation++
  }

  /** The Node object is gone (its pods may still be here until they go too). */
  clearNode(): void {
    this.node = undefined
    this.labels = noLabels
    this.taints = noTaints
    this.unschedulable = false
    this.imageSizes = undefined
    this.generation++
  }

  addPod(info: PodInfo): void {
    this.pods.push(info)
    if (hasAffinity(info.pod)) this.podsWithAffinity.push(info)
    if (hasRequiredAntiAffinity(info.pod)) this.podsWithRequiredAntiAffinity.push(info)
    Resource.addTo(this.requested, info.requests)
    Resource.addTo(this.nonZeroRequested, info.nonZeroRequests)
    for (const port of info.hostPorts) this.usedPorts.set(port, (this.usedPorts.get(port) ?? 0) + 1)
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
    for (const port of info!.hostPorts) {
      const n = (this.usedPorts.get(port) ?? 0) - 1
      if (n > 0) this.usedPorts.set(port, n)
      else this.usedPorts.delete(port)
    }
    this.generation++
    return true
  }
}
