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

/** Every pod the runtime holds anything of, by pod uid. */
export const listAll: Effect.Effect<ReadonlyMap<string, RuntimePod>, RuntimeError, ContainerRuntime> = Effect.gen(
  function* () {
    const runtime = yield* ContainerRuntime
    const sandboxes = yield* runtime.listSandboxes
    const containers = yield* runtime.listContainers
    const pods = new Map<string, { sandboxes: Array<Sandbox>; containers: Array<ContainerInfo> }>()
    const entry = (uid: string) => {
      let found = pods.get(uid)
      if (found === undefined) {
        found = { sandboxes: [], containers: [] }
        pods.set(uid, found)
      }
      return found
    }
    for (const sandbox of sandboxes) entry(sandbox.pod.uid).sandboxes.push(sandbox)
    for (const container of containers) entry(container.pod.uid).containers.push(container)
    return new Map(
      [...pods].map(([uid, p]) => [
        uid,
        { uid, sandboxes: p.sandboxes.sort(newestFirst), containers: p.containers.sort(newestFirst) }
      ])
    )
  }
)

/** What the runtime holds of the pod with this uid (picked out, not grouped with every other pod's). */
export const get = (uid: string): Effect.Effect<RuntimePod, RuntimeError, ContainerRuntime> =>
  Effect.gen(function* () {
    const runtime = yield* ContainerRuntime
    const sandboxes = (yield* runtime.listSandboxes).filter((s) => s.pod.uid === uid)
    const containers = (yield* runtime.listContainers).filter((c) => c.pod.uid === uid)
    return { uid, sandboxes: sandboxes.sort(newestFirst), containers: containers.sort(newestFirst) }
  })

/** The latest instance of the named container. */
export const latest = (pod: RuntimePod, name: string): ContainerInfo | undefined =>
  pod.containers.find((c) => c.name === name)

/** The instances of the named container, newest first. */
export const instances = (pod: RuntimePod, name: string): ReadonlyArray<ContainerInfo> =>
  pod.containers.filter((c) => c.name === name)

/** Whether anything of the pod still runs (a container, or a ready sandbox). */
export const isRunning = (pod: RuntimePod): boolean =>
  pod.containers.some((c) => c.state === "Running") || pod.sandboxes.some((s) => s.state === "Ready")
