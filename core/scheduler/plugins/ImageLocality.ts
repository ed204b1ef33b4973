/**
 * ImageLocality: prefers nodes that already hold the pod's container images, weighted by image
 * size and by how widely the image is spread over the cluster (so one node holding a popular image
 * does not attract everything), between 23 MB and 1000 MB per container as Kubernetes scales it.
 * Nodes report images in `status.images` (`names`, `sizeBytes`); without any, every node scores 0.
 */
import type { Pod } from "../../api/Pod.js"
import { normalizedImageName } from "../framework/NodeInfo.js"
import * as Plugin from "../framework/Plugin.js"
import { reader } from "./PluginArgs.js"
import { stateData } from "./StateData.js"

export const Name = "ImageLocality"

const mb = 1024 * 1024
const minThreshold = 23 * mb
const maxContainerThreshold = 1000 * mb

export { normalizedImageName }

const podImages = (pod: Pod): ReadonlyArray<string> =>
  [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => normalizedImageName(c.image ?? ""))

interface PreScoreState {
  readonly images: ReadonlyArray<string>
  readonly snapshot: Plugin.Snapshot
  /** How many nodes hold each of the pod's images; counted when a node first turns out to hold one. */
  numNodes: ReadonlyMap<string, number> | undefined
}

/** How many nodes of the snapshot hold each of these images. */
const countNodes = (images: ReadonlyArray<string>, snapshot: Plugin.Snapshot): ReadonlyMap<string, number> => {
  const wanted = new Set(images)
  const numNodes = new Map<string, number>()
  for (const node of snapshot.nodesWithImages)
    for (const name of wanted) if (node.imageSizes!.has(name)) numNodes.set(name, (numNodes.get(name) ?? 0) + 1)
  return numNodes
}

/** `calculatePriority`: the summed image scores clamped to the thresholds, as 0..100. */
export const priority = (sum: number, containers: number): number => {
  const maxThreshold = maxContainerThreshold * containers
  const clamped = Math.min(Math.max(sum, minThreshold), maxThreshold)
  return Math.floor((Plugin.maxNodeScore * (clamped - minThreshold)) / (maxThreshold - minThreshold))
}

export const make: Plugin.PluginFactory = (args) => {
  reader(Name, args, [])
  const preScoreState = stateData<PreScoreState>(`PreScore${Name}`)
  return {
    name: Name,
    preScore: (state, pod, _nodes, snapshot) => {
      // Where no node reports images every score is 0, which changes no choice.
      if (snapshot.nodesWithImages.length === 0) return Plugin.skip
      preScoreState.write(state, { images: podImages(pod), snapshot, numNodes: undefined })
      return Plugin.success
    },
    score: (state, _pod, node) => {
      const sizes = node.imageSizes
      if (sizes === undefined) return 0
      const s = preScoreState.read(state)
      if (s === undefined) return 0
      const numNodes = (s.numNodes ??= countNodes(s.images, s.snapshot))
      const total = s.snapshot.nodes.length
      let sum = 0
      for (const image of s.images) {
        const size = sizes.get(image)
        if (size !== undefined) sum += Math.floor((size * (numNodes.get(image) ?? 0)) / total)
      }
      return priority(sum, s.images.length)
    }
  }
}
