/**
 * What the container runtime holds for one pod (Kubernetes' `kubecontainer.PodStatus`): its
 * sandboxes and containers, newest first, so "the container named x" means its latest instance
 * and the one before it gives `lastState`.
 */
import * as Effect from "effect/Effect"
import type { ContainerInfo, RuntimeError, Sandbox } from "../runtime/ContainerRuntime.js"
import { ContainerRuntime } from "../runtime/ContainerRuntime.js"

export interface RuntimePod {
  readonly uid: string
  /** Newest first (by attempt, then creation). */
  readonly sandboxes: ReadonlyArray<Sandbox>
  /** Newest first (by attempt, then creation). */
  readonly containers: ReadonlyArray<ContainerInfo>
}

const newestFirst = <A extends { readonly attempt: number; readonly createdAt: number; readonly id: string }>(
  a: A,
  b: A
) => b.attempt - a.attempt || b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)

/** A pod with nothing in the runtime. */
export const empty = (uid: string): RuntimePod => ({ uid, sandboxes: [], containers: [] })

/** Groups what the runtime lists by pod uid. */
const byPod = (
  sandboxes: ReadonlyArray<Sandbox>,
  containers: ReadonlyArray<ContainerInfo>
): ReadonlyMap<string, RuntimePod> => {
  const pods = new Map<string, { uid: string; sandboxes: Array<Sandbox>; containers: Array<ContainerInfo> }>()
  const entry = (uid: string) => {
    let found = pods.get(uid)
    if (found === undefined) {
      found = { uid, sandboxes: [], containers: [] }
      pods.set(uid, found)
    }
    return found
  }
  for (const sandbox of sandboxes) entry(sandbox.pod.uid).sandboxes.push(sandbox)
  for (const container of containers) entry(container.pod.uid).containers.push(container)
  for (const p of pods.values()) {
    p.sandboxes.sort(newestFirst)
    p.containers.sort(newestFirst)
  }
  return pods
}

// The grouping of the last listings, by the sandboxes' array: a runtime that answers the same arrays
// again (MemoryRuntime, while nothing changed) gets the same map, which tells the relist nothing changed.
const grouped = new WeakMap<
  ReadonlyArray<Sandbox>,
  { readonly containers: ReadonlyArray<ContainerInfo>; readonly pods: ReadonlyMap<string, RuntimePod> }
>()

const groupedByPod = (
  sandboxes: ReadonlyArray<Sandbox>,
  containers: ReadonlyArray<ContainerInfo>
): ReadonlyMap<string, RuntimePod> => {
  const last = grouped.get(sandboxes)
  if (last !== undefined && last.containers === containers) return last.pods
  const pods = byPod(sandboxes, containers)
  grouped.set(sandboxes, { containers, pods })
  return pods
}

/** Every pod `runtime` holds anything of, by pod uid; the same map as before while its listings are the same arrays. */
export const listFrom = (
  runtime: ContainerRuntime["Type"]
): Effect.Effect<ReadonlyMap<string, RuntimePod>, RuntimeError> =>
  Effect.flatMap(runtime.listSandboxes, (sandboxes) =>
    Effect.map(runtime.listContainers, (containers) => groupedByPod(sandboxes, containers))
  )

/** Whether the two show the same sandboxes and containers in the same states (PLEG's "nothing changed"). */
export const sameStates = (a: RuntimePod | undefined, b: RuntimePod | undefined): boolean => {
  if (a === undefined || b === undefined) return a === b
  if (a.sandboxes.length !== b.sandboxes.length || a.containers.length !== b.containers.length) return false
  for (let i = 0; i < a.sandboxes.length; i++) {
    const [x, y] = [a.sandboxes[i], b.sandboxes[i]]
    if (x.id !== y.id || x.state !== y.state) return false
  }
  for (let i = 0; i < a.containers.length; i++) {
    const [x, y] = [a.containers[i], b.containers[i]]
    if (x.id !== y.id || x.state !== y.state) return false
  }
  return true
}

/** What the runtime holds of the pod with this uid (its own listing, not every pod's). */
export const get = (uid: string): Effect.Effect<RuntimePod, RuntimeError, ContainerRuntime> =>
  // Plain steps, not Effect.gen: every sync of every pod starts here.
  Effect.flatMap(ContainerRuntime, (runtime) =>
    Effect.map(runtime.listPod(uid), (listing) => ({
      uid,
      sandboxes: [...listing.sandboxes].sort(newestFirst),
      containers: [...listing.containers].sort(newestFirst)
    }))
  )

/** The latest instance of the named container. */
export const latest = (pod: RuntimePod, name: string): ContainerInfo | undefined =>
  pod.containers.find((c) => c.name === name)

/** The instances of the named container, newest first. */
export const instances = (pod: RuntimePod, name: string): ReadonlyArray<ContainerInfo> =>
  pod.containers.filter((c) => c.name === name)

/** Whether anything of the pod still runs (a container, or a ready sandbox). */
export const isRunning = (pod: RuntimePod): boolean =>
  pod.containers.some((c) => c.state === "Running") || pod.sandboxes.some((s) => s.state === "Ready")
