/**
 * The differential oracle (Sieve's): a faulty run's end state and per-object create/delete counts
 * against the same workload run without faults. `record` follows a world from now on; the
 * fingerprint at the end says, per object identity — `kind namespace/name`, with the random
 * suffix of a `generateName`'d object collapsed to `*` so the pods of one ReplicaSet count
 * together — how many are live (not being deleted; for pods also not terminal: a pod a fault
 * failed is replaced, not revived), the replica counts of Deployments and ReplicaSets, and, for
 * objects with a fixed name, how often each was created and deleted. Events are left out (reports
 * differ with timing), Leases too but for their create/delete counts (heartbeats renew them, but a
 * Lease is made once per node or leader and never deleted unless its owner is), and so are the create/delete counts of pods
 * with a controller: their controller rightly recreates them after node faults, so only their
 * live count is compared.
 *
 * The scenario's own actions can meet an object in another state when faults delay the cluster (an
 * `apply` finds the object it deleted earlier still terminating, so it updates it instead of making a
 * new one): the runs then ask for different things, so an object whose actions met it differently,
 * and what it controls, is not compared.
 */
import * as Duration from "effect/Duration"
import type { KubeObject } from "../../core/api/meta.js"
import type { Node } from "../../core/api/Node.js"
import type { Pod } from "../../core/api/Pod.js"
import { resources } from "../../core/api/registry.js"
import { controllerOf } from "../../core/controllers/ControllerRef.js"
import { isPodTerminal } from "../../core/controllers/PodConditions.js"
import * as PodGC from "../../core/controllers/PodGC.js"
import type { Met } from "../scenario/Run.js"
import type { World } from "../scenario/World.js"

/** The replica counts of a Deployment or ReplicaSet at the end. */
export interface Replicas {
  readonly spec: number
  readonly status: number
  readonly ready: number
}

export interface Fingerprint {
  /** Identity → live objects at the end (identities with none are left out). */
  readonly live: Readonly<Record<string, number>>
  /** Identity of a live Deployment or ReplicaSet → its replica counts. */
  readonly replicas: Readonly<Record<string, Replicas>>
  /** Identity of an object with a fixed name → its creates and deletes while recording. */
  readonly lifecycle: Readonly<Record<string, { readonly created: number; readonly deleted: number }>>
  /** Identity of each bare pod (no controller) → the node it was bound to. */
  readonly barePods: Readonly<Record<string, string>>
  /**
   * Nodes that were not Ready at some point. A bare pod bound to one (in either run) is not
   * compared: whether the taint manager evicted it before the node came back is a race of timing.
   */
  readonly failedNodes: ReadonlyArray<string>
  /**
   * Node → the longest it was missing from the API while recording (simulated ms), for nodes that
   * were: not registered yet, or deleted. A bare pod bound to one missing for PodGC's quarantine or
   * longer (in either run) is not compared: PodGC rightly deletes it if a pass finds the node still
   * missing once the quarantine is over, and whether one did is timing. A shorter absence must not
   * cost a pod (known bug podGcNoQuarantine).
   */
  readonly missingNodes: Readonly<Record<string, number>>
  /**
   * Whether some node is not Ready at the end. Then which pods it strands (and so the ready counts
   * of their Deployments and ReplicaSets) depends on where the scheduler had put them: those counts
   * are not compared, only the replicas wanted.
   */
  readonly nodeDownAtEnd: boolean
  /** Identity → the identity of its controller (a ReplicaSet's Deployment, a pod's ReplicaSet), for objects that have one. */
  readonly controllers: Readonly<Record<string, string>>
  /**
   * Identity of each controller (ReplicaSet, and its Deployment) → the nodes its pods were bound
   * to. One with a pod on a node that was not Ready at some point has ready counts that depend on
   * timing: whether its pods there were evicted, and where (and whether) their replacements could go.
   */
  readonly podNodes: Readonly<Record<string, ReadonlyArray<string>>>
  /** Identity of each object the scenario's actions acted on → what each found of it, in order (`3 terminating`). */
  readonly met: Readonly<Record<string, ReadonlyArray<string>>>
}

export interface Recorder {
  /** Notes what a step's action found of the objects it acts on (Run's `onAction`). */
  readonly action: (step: number, met: ReadonlyArray<Met>) => void
  /** The fingerprint of the world now (call it at the end of the run). */
  readonly fingerprint: () => Fingerprint
}

const ignoredKinds = new Set(["Event", "Lease"])
const scaledKinds = new Set(["Deployment", "ReplicaSet"])

const isGenerated = (obj: KubeObject): boolean => {
  const prefix = obj.metadata.generateName
  return prefix !== undefined && prefix !== "" && (obj.metadata.name ?? "").startsWith(prefix)
}

/** `pod default/web-5d8f-*`, `replicaset default/web-5d8f`, `node node-1`. */
const identityOf = (kind: string, obj: KubeObject): string =>
  identity(kind, obj.metadata.namespace, isGenerated(obj) ? `${obj.metadata.generateName}*` : (obj.metadata.name ?? ""))

const identity = (kind: string, namespace: string | undefined, name: string): string =>
  `${kind.toLowerCase()} ${namespace === undefined ? name : `${namespace}/${name}`}`

const isLive = (kind: string, obj: KubeObject): boolean =>
  obj.metadata.deletionTimestamp === undefined && (kind !== "Pod" || !isPodTerminal(obj as Pod))

const sorted = <A>(entries: Iterable<readonly [string, A]>): Record<string, A> =>
  Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

/** Starts recording `world`'s creates and deletes from now on; `elapsed` tells the simulated time in milliseconds. */
export const record = (world: World, elapsed: () => number): Recorder => {
  const start = elapsed()
  const registered = new Set(world.nodes().map((node) => node.metadata.name ?? ""))
  // A node deleted while recording → when; any other node not registered has been missing since the start.
  const deletedAt = new Map<string, number>()
  const missingFor = (name: string) => elapsed() - (deletedAt.get(name) ?? start)
  const longestMissing = new Map<string, number>()
  const noteMissing = (name: string) => {
    const missing = missingFor(name)
    if (missing > (longestMissing.get(name) ?? 0)) longestMissing.set(name, missing)
  }
  const lifecycle = new Map<string, { created: number; deleted: number }>()
  const failedNodes = new Set<string>()
  const barePods = new Map<string, string>()
  const controllers = new Map<string, string>()
  const podNodes = new Map<string, Set<string>>()
  const met = new Map<string, Array<string>>()
  world.onEvent((event) => {
    const obj = event.object
    const controller = controllerOf(obj)
    const id = identityOf(event.kind, obj)
    if (controller !== undefined)
      controllers.set(id, identity(controller.kind ?? "", obj.metadata.namespace, controller.name ?? ""))
    if (event.kind === "Pod" && controller !== undefined) {
      const node = (obj as Pod).spec?.nodeName
      const owner = controllers.get(id)!
      if (node !== undefined) {
        let nodes = podNodes.get(owner)
        if (nodes === undefined) podNodes.set(owner, (nodes = new Set()))
        nodes.add(node)
      }
    }
    if (event.kind === "Node") {
      const name = obj.metadata.name ?? ""
      if (event.type === "ADDED" && !registered.has(name)) {
        noteMissing(name)
        registered.add(name)
        deletedAt.delete(name)
      } else if (event.type === "DELETED") {
        registered.delete(name)
        deletedAt.set(name, elapsed())
      }
      const ready = (obj as Node).status?.conditions?.find((c) => c.type === "Ready")
      if (ready !== undefined && ready.status !== "True") failedNodes.add(obj.metadata.name ?? "")
    }
    if (event.kind === "Pod" && controllerOf(obj) === undefined) {
      const node = (obj as Pod).spec?.nodeName
      if (node !== undefined) barePods.set(identityOf("Pod", obj), node)
    }
    if (event.type === "MODIFIED" || event.kind === "Event") return
    if (isGenerated(obj) || (event.kind === "Pod" && controller !== undefined)) return
    let counts = lifecycle.get(id)
    if (counts === undefined) {
      counts = { created: 0, deleted: 0 }
      lifecycle.set(id, counts)
    }
    if (event.type === "ADDED") counts.created++
    else counts.deleted++
  })
  return {
    action: (step, objects) => {
      for (const object of objects) {
        const id = identity(object.kind, object.namespace, object.name)
        met.set(id, [...(met.get(id) ?? []), `${step} ${object.state}`])
      }
    },
    fingerprint: () => {
      for (const name of new Set(barePods.values())) if (!registered.has(name)) noteMissing(name)
      const live = new Map<string, number>()
      const replicas = new Map<string, Replicas>()
      for (const { kind } of resources) {
        if (ignoredKinds.has(kind)) continue
        for (const obj of world.list(kind)) {
          if (!isLive(kind, obj)) continue
          const id = identityOf(kind, obj)
          live.set(id, (live.get(id) ?? 0) + 1)
          if (!scaledKinds.has(kind)) continue
          const o = obj as { readonly spec?: { readonly replicas?: number }; readonly status?: Record<string, unknown> }
          replicas.set(id, {
            spec: o.spec?.replicas ?? 1,
            status: Number(o.status?.replicas ?? 0),
            ready: Number(o.status?.readyReplicas ?? 0)
          })
        }
      }
      return {
        live: sorted(live),
        replicas: sorted(replicas),
        lifecycle: sorted(lifecycle),
        barePods: sorted(barePods),
        failedNodes: [...failedNodes].sort(),
        missingNodes: sorted(longestMissing),
        nodeDownAtEnd: world
          .nodes()
          .some((node) => !node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")),
        controllers: sorted(controllers),
        podNodes: sorted([...podNodes].map(([owner, nodes]) => [owner, [...nodes].sort()] as const)),
        met: sorted(met)
      }
    }
  }
}

const union = (a: object, b: object): ReadonlyArray<string> => [...new Set([...Object.keys(a), ...Object.keys(b)])]

const times = (n: number) => (n === 1 ? "once" : `${n} times`)

/** The differences of `faulty` from `baseline`, one readable line each, in identity order. */
export const compare = (faulty: Fingerprint, baseline: Fingerprint): ReadonlyArray<string> => {
  const lines: Array<[string, string]> = []
  const failed = new Set([...faulty.failedNodes, ...baseline.failedNodes])
  const quarantine = Duration.toMillis(PodGC.defaults.quarantine)
  const gone = new Set(
    [...Object.entries(faulty.missingNodes), ...Object.entries(baseline.missingNodes)]
      .filter(([, missing]) => missing >= quarantine)
      .map(([node]) => node)
  )
  const unjudged = new Set(
    [...Object.entries(faulty.barePods), ...Object.entries(baseline.barePods)]
      .filter(([, node]) => failed.has(node) || gone.has(node))
      .map(([id]) => id)
  )
  // A ReplicaSet with a pod on a failed node, and its Deployment.
  const disturbed = new Set<string>()
  for (const fingerprint of [faulty, baseline])
    for (const [owner, nodes] of Object.entries(fingerprint.podNodes)) {
      if (!nodes.some((node) => failed.has(node))) continue
      disturbed.add(owner)
      const deployment = faulty.controllers[owner] ?? baseline.controllers[owner]
      if (deployment !== undefined) disturbed.add(deployment)
    }
  // An object whose controller is gone at the end in either run: whether the controller made it before it went is timing.
  const ownerGone = (id: string) => {
    const owner = faulty.controllers[id] ?? baseline.controllers[id]
    return owner !== undefined && ((faulty.live[owner] ?? 0) === 0 || (baseline.live[owner] ?? 0) === 0)
  }
  // An object the scenario's actions met in another state than without faults, and what it controls (transitively).
  const metDifferently = new Set(
    union(faulty.met, baseline.met).filter((id) => (faulty.met[id] ?? []).join() !== (baseline.met[id] ?? []).join())
  )
  const askedDifferently = (id: string): boolean => {
    // Ownership chains are short (pod, ReplicaSet, Deployment); the bound only guards against a cycle.
    for (let at: string | undefined = id, hops = 0; at !== undefined && hops < 8; hops++) {
      if (metDifferently.has(at)) return true
      at = faulty.controllers[at] ?? baseline.controllers[at]
    }
    return false
  }
  const compared = (a: object, b: object) => union(a, b).filter((id) => !unjudged.has(id) && !askedDifferently(id))
  for (const id of compared(faulty.live, baseline.live)) {
    const [f, b] = [faulty.live[id] ?? 0, baseline.live[id] ?? 0]
    if (f !== b) lines.push([id, `${id}: ${f} live, ${b} without faults`])
  }
  for (const id of compared(faulty.replicas, baseline.replicas)) {
    const [f, b] = [faulty.replicas[id], baseline.replicas[id]]
    if (f === undefined || b === undefined) continue
    const fields =
      faulty.nodeDownAtEnd || baseline.nodeDownAtEnd || disturbed.has(id)
        ? (["spec"] as const)
        : (["spec", "status", "ready"] as const)
    for (const field of fields) {
      const label = field === "spec" ? "spec.replicas" : field === "status" ? "status.replicas" : "readyReplicas"
      if (f[field] !== b[field]) lines.push([id, `${id}: ${label} ${f[field]}, ${b[field]} without faults`])
    }
  }
  for (const id of compared(faulty.lifecycle, baseline.lifecycle)) {
    if (ownerGone(id)) continue
    const f = faulty.lifecycle[id] ?? { created: 0, deleted: 0 }
    const b = baseline.lifecycle[id] ?? { created: 0, deleted: 0 }
    if (f.created !== b.created)
      lines.push([id, `${id}: created ${times(f.created)}, ${times(b.created)} without faults`])
    if (f.deleted !== b.deleted)
      lines.push([id, `${id}: deleted ${times(f.deleted)}, ${times(b.deleted)} without faults`])
  }
  return lines.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, line]) => line)
}
