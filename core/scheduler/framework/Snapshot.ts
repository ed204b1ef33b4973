/**
 * The scheduler cache's view for scheduling cycles (`internal/cache.Snapshot`): the NodeInfos of
 * nodes whose Node object is known, by name, the nodes holding pods with affinity terms and the
 * nodes reporting images. The NodeInfos are shared, not copied; the derived lists are computed on
 * first use, so a snapshot must be rebuilt when nodes, pods with affinity terms, or a node's
 * images come or go (the cache does).
 */
import type { NodeInfo } from "./NodeInfo.js"
import type { Snapshot } from "./Plugin.js"

export const make = (nodeInfos: ReadonlyArray<NodeInfo>): Snapshot => {
  const nodes = nodeInfos.every((n) => n.node !== undefined) ? nodeInfos : nodeInfos.filter((n) => n.node !== undefined)
  let byName: Map<string, NodeInfo> | undefined
  let withAffinity: ReadonlyArray<NodeInfo> | undefined
  let withRequiredAntiAffinity: ReadonlyArray<NodeInfo> | undefined
  let withImages: ReadonlyArray<NodeInfo> | undefined
  return {
    nodes,
    get: (nodeName) => (byName ??= new Map(nodes.map((n) => [n.name, n]))).get(nodeName),
    get nodesWithAffinityPods() {
      return (withAffinity ??= nodes.filter((n) => n.podsWithAffinity.length > 0))
    },
    get nodesWithRequiredAntiAffinityPods() {
      return (withRequiredAntiAffinity ??= nodes.filter((n) => n.podsWithRequiredAntiAffinity.length > 0))
    },
    get nodesWithImages() {
      return (withImages ??= nodes.filter((n) => n.imageSizes !== undefined))
    }
  }
}
