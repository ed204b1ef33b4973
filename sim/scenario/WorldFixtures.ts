/**
 * Test support for the world view, checks and invariants: hand-made objects written straight into
 * a MemoryStore under the API server's keys, and a runner that executes a test program in a
 * Simulation (virtual time, seeded Random).
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Scope from "effect/Scope"
import type { Deployment } from "../../core/api/Deployment.js"
import type { KubeObject, OwnerReference } from "../../core/api/meta.js"
import type { Node, Taint } from "../../core/api/Node.js"
import type { Pod, Toleration } from "../../core/api/Pod.js"
import { byKind } from "../../core/api/registry.js"
import type { ReplicaSet } from "../../core/api/ReplicaSet.js"
import { rfc3339 } from "../../core/api/time.js"
import { objectKey } from "../../core/apiserver/StorageKey.js"
import * as MemoryStore from "../../core/store/MemoryStore.js"
import type { Store, Value } from "../../core/store/Store.js"
import { defaultStart, Simulation } from "../clock/Simulation.js"
import * as World from "./World.js"

/** Runs `program` in a fresh Simulation (seed 1) and returns its value; a failure throws with its cause. */
export const simulate = <A, E>(program: Effect.Effect<A, E, Scope.Scope>): A => {
  const exit = new Simulation({ seed: 1 }).run(Effect.scoped(program))
  if (Exit.isFailure(exit)) throw new Error(Cause.pretty(exit.cause))
  return exit.value
}

/** A MemoryStore, a world over it, and writes as the API server would store objects (no resourceVersion). */
/** A store and the world over it; `streaming`: the world follows the store's watch instead of observing it. */
export const setup = (store?: MemoryStore.MemoryStore, options: { readonly streaming?: boolean } = {}) =>
  Effect.gen(function* () {
    const s = store ?? (yield* MemoryStore.make)
    const { observe: _, ...streaming } = s
    const world = yield* World.make(options.streaming === true ? streaming : s)
    return { store: s, world, ...writer(s) }
  })

const keyOf = (obj: KubeObject): string => {
  const type = byKind(obj.apiVersion, obj.kind)
  if (type === undefined) throw new Error(`no resource type for ${obj.apiVersion} ${obj.kind}`)
  return objectKey(type, obj.metadata.namespace, obj.metadata.name ?? "")
}

/** `put` creates or overwrites an object; `remove` deletes it. */
export const writer = (store: Store["Type"]) => ({
  put: <A extends KubeObject>(obj: A) =>
    store.get(keyOf(obj)).pipe(
      Effect.flatMap((entry) => store.update(keyOf(obj), obj as unknown as Value, entry.modRevision)),
      Effect.catchTag("KeyNotFound", () => store.create(keyOf(obj), obj as unknown as Value)),
      Effect.orDie,
      Effect.asVoid
    ),
  remove: <A extends KubeObject>(obj: A) => Effect.asVoid(Effect.orDie(store.delete(keyOf(obj))))
})

/** An RFC 3339 time `millis` after the Simulation's start. */
export const at = (millis: number): string => rfc3339(defaultStart + millis)

export interface PodOptions {
  readonly namespace?: string
  readonly node?: string
  readonly labels?: Record<string, string>
  readonly cpu?: string
  readonly memory?: string
  readonly image?: string
  readonly phase?: string
  readonly ready?: boolean
  readonly restarts?: number
  readonly owner?: KubeObject
  readonly deleting?: boolean
  readonly nodeSelector?: Record<string, string>
  readonly tolerations?: ReadonlyArray<Toleration>
  readonly unschedulable?: boolean
}

const ownerRef = (owner: KubeObject): OwnerReference => ({
  apiVersion: owner.apiVersion,
  kind: owner.kind,
  name: owner.metadata.name ?? "",
  uid: owner.metadata.uid ?? "",
  controller: true
})

export const pod = (name: string, o: PodOptions = {}): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name,
    namespace: o.namespace ?? "default",
    uid: `uid-${o.namespace ?? "default"}-${name}`,
    labels: o.labels ?? {},
    ...(o.owner === undefined ? {} : { ownerReferences: [ownerRef(o.owner)] }),
    ...(o.deleting === true ? { deletionTimestamp: at(0) } : {})
  },
  spec: {
    containers: [
      {
        name: "c",
        image: o.image ?? "nginx:1.27",
        resources: { requests: { cpu: o.cpu ?? "100m", memory: o.memory ?? "64Mi" } }
      }
    ],
    ...(o.node === undefined ? {} : { nodeName: o.node }),
    ...(o.nodeSelector === undefined ? {} : { nodeSelector: o.nodeSelector }),
    ...(o.tolerations === undefined ? {} : { tolerations: o.tolerations })
  },
  status: {
    phase: o.phase ?? (o.node === undefined ? "Pending" : "Running"),
    conditions: [
      ...(o.unschedulable === true
        ? [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/1 nodes are available" }]
        : []),
      ...(o.ready === undefined ? [] : [{ type: "Ready", status: o.ready ? "True" : "False" }])
    ],
    containerStatuses:
      o.node === undefined
        ? []
        : [{ name: "c", ready: o.ready ?? false, restartCount: o.restarts ?? 0, image: o.image ?? "nginx:1.27" }]
  }
})

export interface NodeOptions {
  readonly cpu?: string
  readonly memory?: string
  readonly pods?: string
  readonly ready?: boolean | "Unknown"
  readonly labels?: Record<string, string>
  readonly taints?: ReadonlyArray<Taint>
  readonly unschedulable?: boolean
}

export const node = (name: string, o: NodeOptions = {}): Node => {
  const capacity = { cpu: o.cpu ?? "4", memory: o.memory ?? "8Gi", pods: o.pods ?? "110" }
  const ready = o.ready ?? true
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, uid: `uid-node-${name}`, labels: { "kubernetes.io/hostname": name, ...o.labels } },
    spec: {
      ...(o.taints === undefined ? {} : { taints: o.taints }),
      ...(o.unschedulable === undefined ? {} : { unschedulable: o.unschedulable })
    },
    status: {
      capacity,
      allocatable: capacity,
      conditions: [{ type: "Ready", status: ready === "Unknown" ? "Unknown" : ready ? "True" : "False" }]
    }
  }
}

export interface DeploymentOptions {
  readonly replicas?: number
  readonly maxSurge?: number | string
  readonly maxUnavailable?: number | string
  readonly status?: Record<string, number>
}

export const deployment = (name: string, o: DeploymentOptions = {}): Deployment => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: "default", uid: `uid-deployment-${name}`, generation: 1 },
  spec: {
    ...(o.replicas === undefined ? {} : { replicas: o.replicas }),
    selector: { matchLabels: { app: name } },
    strategy: {
      type: "RollingUpdate",
      rollingUpdate: { maxSurge: o.maxSurge ?? "25%", maxUnavailable: o.maxUnavailable ?? "25%" }
    },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image: "nginx:1.27" }] } }
  },
  ...(o.status === undefined ? {} : { status: o.status })
})

export const replicaSet = (name: string, replicas: number, owner?: KubeObject, ownerUid?: string): ReplicaSet => ({
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: {
    name,
    namespace: "default",
    uid: `uid-replicaset-${name}`,
    ...(owner === undefined
      ? ownerUid === undefined
        ? {}
        : {
            ownerReferences: [
              { apiVersion: "apps/v1", kind: "Deployment", name: "gone", uid: ownerUid, controller: true }
            ]
          }
      : { ownerReferences: [ownerRef(owner)] })
  },
  spec: {
    replicas,
    selector: { matchLabels: { rs: name } },
    template: { metadata: { labels: { rs: name } }, spec: { containers: [{ name: "c", image: "nginx:1.27" }] } }
  }
})
