/**
 * The scheduler cache (kube-scheduler's `internal/cache`): a NodeInfo per node, kept up to date
 * incrementally from the informers' node and bound-pod events, plus *assumed* pods — pods this
 * scheduler has decided to place but whose binding the informer has not shown yet — so the next
 * cycle already counts their requests.
 */
import type { Node } from "../api/Node.js"
import type { Pod } from "../api/Pod.js"
import { isPodTerminal } from "../controllers/PodConditions.js"
import { hasAffinity, NodeInfo, type PodInfo, podInfo } from "./framework/NodeInfo.js"
import type { Snapshot } from "./framework/Plugin.js"
import * as Snapshots from "./framework/Snapshot.js"
import { podKey } from "./SchedulingQueue.js"

interface PodState {
  readonly pod: Pod
  readonly nodeName: string
  assumed: boolean
}

export class Cache {
  private readonly nodeInfos = new Map<string, NodeInfo>()
  private readonly pods = new Map<string, PodState>()
  private snapshotCache: Snapshot | undefined

  private nodeInfo(name: string): NodeInfo {
    let info = this.nodeInfos.get(name)
    if (info === undefined) {
      info = new NodeInfo(name)
      this.nodeInfos.set(name, info)
    }
    return info
  }

  /** The current view for a scheduling cycle; rebuilt only when nodes or affinity pods come or go. */
  snapshot(): Snapshot {
    if (this.snapshotCache === undefined) {
      this.snapshotCache = Snapshots.make([...this.nodeInfos.values()].filter((n) => n.node !== undefined))
    }
    return this.snapshotCache
  }

  addNode(node: Node): void {
    const info = this.nodeInfo(node.metadata.name ?? "")
    const hadImages = info.imageSizes !== undefined
    if (info.node === undefined) this.snapshotCache = undefined
    info.setNode(node)
    if ((info.imageSizes !== undefined) !== hadImages) this.snapshotCache = undefined
  }

  updateNode(node: Node): void {
    this.addNode(node)
  }

  removeNode(node: Node): void {
    const name = node.metadata.name ?? ""
    const info = this.nodeInfos.get(name)
    if (info === undefined) return
    // Pods still on it keep their NodeInfo until they go, as Kubernetes does; it just leaves the snapshot.
    if (info.pods.length === 0) this.nodeInfos.delete(name)
    else info.clearNode()
    this.snapshotCache = undefined
  }

  private place(info: PodInfo, nodeName: string, assumed: boolean): void {
    this.nodeInfo(nodeName).addPod(info)
    this.pods.set(info.key, { pod: info.pod, nodeName, assumed })
    if (hasAffinity(info.pod)) this.snapshotCache = undefined
  }

  private unplace(key: string): void {
    const state = this.pods.get(key)
    if (state === undefined) return
    this.pods.delete(key)
    const info = this.nodeInfos.get(state.nodeName)
    if (info === undefined) return
    info.removePod(key)
    if (info.node === undefined && info.pods.length === 0) this.nodeInfos.delete(state.nodeName)
    if (hasAffinity(state.pod)) this.snapshotCache = undefined
  }

  /** A bound pod seen by the informer (confirms an assumed pod). */
  addPod(pod: Pod): void {
    const nodeName = pod.spec?.nodeName ?? ""
    if (nodeName === "" || isPodTerminal(pod)) return
    const info = podInfo(pod)
    this.unplace(info.key)
    this.place(info, nodeName, false)
  }

  updatePod(pod: Pod): void {
    if (isPodTerminal(pod)) this.removePod(pod)
    else this.addPod(pod)
  }

  removePod(pod: Pod): void {
    this.unplace(podKey(pod))
  }

  /** Counts the pod on `nodeName` before its binding is confirmed. */
  assumePod(pod: Pod, nodeName: string): void {
    const info = podInfo(pod)
    this.unplace(info.key)
    // The requests do not depend on the node: the assumed copy shares the pod's PodInfo figures.
    this.place({ ...info, pod: { ...pod, spec: { ...pod.spec, nodeName } } }, nodeName, true)
  }

  /** The binding failed: the assumed pod no longer counts. */
  forgetPod(pod: Pod): void {
    const key = podKey(pod)
    if (this.pods.get(key)?.assumed === true) this.unplace(key)
  }

  isAssumed(key: string): boolean {
    return this.pods.get(key)?.assumed === true
  }

  /** The node a pod is counted on (bound or assumed). */
  nodeOf(key: string): string | undefined {
    return this.pods.get(key)?.nodeName
  }

  get nodeCount(): number {
    return this.snapshot().nodes.length
  }
}
