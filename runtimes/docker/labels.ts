/**
 * What the Docker runtime writes on every container it creates, so that `docker ps -a` alone tells
 * which node, pod, sandbox and attempt a container belongs to (as dockershim's `io.kubernetes.*`
 * labels do): a restarted node agent re-adopts exactly its own containers, and `minik8s down` finds
 * leftovers by `io.minik8s.node`. Also the containers' names, unique per node, pod and attempt.
 */
import type { ContainerConfig, PodRef, SandboxConfig } from "../../core/runtime/ContainerRuntime.js"

/** The node agent that owns the container. */
export const nodeLabel = "io.minik8s.node"
export const podUidLabel = "io.minik8s.pod.uid"
export const podNamespaceLabel = "io.minik8s.pod.namespace"
export const podNameLabel = "io.minik8s.pod.name"
/** `sandbox` or `container`. */
export const typeLabel = "io.minik8s.type"
/** The container's name in the pod spec (`POD` for a sandbox, as in dockershim). */
export const containerNameLabel = "io.minik8s.container.name"
/** The sandbox's or container's attempt (restart count). */
export const attemptLabel = "io.minik8s.attempt"
/** The sandbox a container runs in. */
export const sandboxIdLabel = "io.minik8s.sandbox.id"

export type ContainerType = "sandbox" | "container"

/** The container name of sandboxes; a pod's container names are DNS labels, so it cannot clash. */
const sandboxContainerName = "POD"

type Labels = Readonly<Record<string, string>>

const podLabels = (nodeName: string, pod: PodRef): Labels => ({
  [nodeLabel]: nodeName,
  [podUidLabel]: pod.uid,
  [podNamespaceLabel]: pod.namespace,
  [podNameLabel]: pod.name
})

export const sandboxLabels = (nodeName: string, config: SandboxConfig): Labels => ({
  ...podLabels(nodeName, config.pod),
  [typeLabel]: "sandbox",
  [containerNameLabel]: sandboxContainerName,
  [attemptLabel]: String(config.attempt)
})

export const containerLabels = (nodeName: string, config: ContainerConfig): Labels => ({
  ...podLabels(nodeName, config.pod),
  [typeLabel]: "container",
  [containerNameLabel]: config.name,
  [attemptLabel]: String(config.attempt),
  [sandboxIdLabel]: config.sandboxId
})

/** The Docker label filters selecting this node's sandboxes or containers (`docker ps --filter label=…`). */
export const ownedBy = (nodeName: string, type: ContainerType, extra: Labels = {}): ReadonlyArray<string> => [
  `${nodeLabel}=${nodeName}`,
  `${typeLabel}=${type}`,
  ...Object.entries(extra).map(([key, value]) => `${key}=${value}`)
]

/** Whether a container's labels say it is this node's sandbox or container. */
export const isOwned = (labels: Labels | undefined, nodeName: string, type: ContainerType): boolean =>
  labels?.[nodeLabel] === nodeName && labels[typeLabel] === type

export const podOf = (labels: Labels): PodRef => ({
  uid: labels[podUidLabel] ?? "",
  namespace: labels[podNamespaceLabel] ?? "",
  name: labels[podNameLabel] ?? ""
})

export const attemptOf = (labels: Labels): number => {
  const attempt = Number(labels[attemptLabel])
  return Number.isInteger(attempt) ? attempt : 0
}

// Docker names allow [a-zA-Z0-9][a-zA-Z0-9_.-]*; the pieces are DNS names and uids already.
const part = (text: string) => text.replace(/[^a-zA-Z0-9.-]/g, "-")

const nameOf = (nodeName: string, pod: PodRef, container: string, attempt: number) =>
  ["minik8s", nodeName, pod.namespace, pod.name, container, String(attempt), pod.uid].map(part).join("_")

/** `minik8s_<node>_<namespace>_<pod>_POD_<attempt>_<uid>`. */
export const sandboxName = (nodeName: string, config: SandboxConfig): string =>
  nameOf(nodeName, config.pod, sandboxContainerName, config.attempt)

/** `minik8s_<node>_<namespace>_<pod>_<container>_<attempt>_<uid>`. */
export const containerName = (nodeName: string, config: ContainerConfig): string =>
  nameOf(nodeName, config.pod, config.name, config.attempt)
