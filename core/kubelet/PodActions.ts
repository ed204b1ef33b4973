/**
 * What a pod sync must do to bring the runtime to the pod's spec (Kubernetes'
 * `computePodActions`): create the sandbox (again), run the next init container, start or restart
 * app containers per restartPolicy, replace containers whose image changed, kill containers that
 * failed a liveness or startup probe, or
 * kill the whole pod once nothing is left to run. Pure: the runtime's state and the probe results
 * go in, a plan comes out.
 */
import type { Container, Pod } from "../api/Pod.js"
import type { ContainerInfo } from "../runtime/ContainerRuntime.js"
import * as RuntimePod from "./RuntimePod.js"

/** A running container to stop, and why (the Killing event's message). */
export interface ContainerToKill {
  readonly container: ContainerInfo
  readonly spec: Container | undefined
  readonly message: string
  /** Set when a probe failure is the reason: its terminationGracePeriodSeconds may override the pod's. */
  readonly probe?: "liveness" | "startup"
}

export interface PodActions {
  /** Stop every container and the sandbox. */
  readonly killPod: boolean
  /** Then run a new sandbox with `attempt`. */
  readonly createSandbox: boolean
  readonly attempt: number
  /** The ready sandbox to start containers in, when it is kept. */
  readonly sandboxId: string | undefined
  /** Index in `spec.initContainers` of the init container to start next. */
  readonly nextInitContainer: number | undefined
  /** Indexes in `spec.containers` to start. */
  readonly containersToStart: ReadonlyArray<number>
  readonly containersToKill: ReadonlyArray<ContainerToKill>
}

/** Whether the actions change nothing in the runtime (the steady state of a running pod). */
export const isEmpty = (actions: PodActions): boolean =>
  !actions.killPod &&
  !actions.createSandbox &&
  actions.nextInitContainer === undefined &&
  actions.containersToStart.length === 0 &&
  actions.containersToKill.length === 0

/** A probe's verdict on a container instance, as the prober holds it. */
export type ProbeVerdict = (containerId: string, kind: "liveness" | "startup") => "Success" | "Failure" | undefined

/** Always and OnFailure restart failed containers; Never does not. */
export const shouldRestartOnFailure = (pod: Pod): boolean => (pod.spec?.restartPolicy ?? "Always") !== "Never"

/** Whether the named container should be (re)started now, per its latest instance and the restart policy. */
export const shouldContainerBeRestarted = (container: Container, pod: Pod, runtimePod: RuntimePod.RuntimePod) => {
  if (pod.metadata.deletionTimestamp !== undefined) return false
  const latest = RuntimePod.latest(runtimePod, container.name ?? "")
  if (latest === undefined) return true
  if (latest.state === "Running") return false
  if (latest.state === "Unknown" || latest.state === "Created") return true
  const policy = pod.spec?.restartPolicy ?? "Always"
  if (policy === "Never") return false
  if (policy === "OnFailure") return (latest.exitCode ?? 0) !== 0
  return true
}

const isInitContainerFailed = (c: ContainerInfo) =>
  (c.state === "Exited" && (c.exitCode ?? 0) !== 0) || c.state === "Unknown"

interface InitProgress {
  /** The latest instance of the failed init container, when one failed. */
  readonly failed: ContainerInfo | undefined
  /** The init container to start next. */
  readonly next: number | undefined
  readonly done: boolean
}

/** findNextInitContainerToRun: init containers run one at a time, in order, each to a zero exit. */
export const initProgress = (pod: Pod, runtimePod: RuntimePod.RuntimePod): InitProgress => {
  const inits = pod.spec?.initContainers ?? []
  if (inits.length === 0) return { failed: undefined, next: undefined, done: true }
  // A running app container means initialization finished once, even if its init containers are gone since.
  if ((pod.spec?.containers ?? []).some((c) => RuntimePod.latest(runtimePod, c.name ?? "")?.state === "Running")) {
    return { failed: undefined, next: undefined, done: true }
  }
  for (let i = inits.length - 1; i >= 0; i--) {
    const latest = RuntimePod.latest(runtimePod, inits[i].name ?? "")
    if (latest !== undefined && isInitContainerFailed(latest)) return { failed: latest, next: i, done: false }
  }
  for (let i = inits.length - 1; i >= 0; i--) {
    const latest = RuntimePod.latest(runtimePod, inits[i].name ?? "")
    if (latest === undefined) continue
    if (latest.state === "Running") return { failed: undefined, next: undefined, done: false }
    if (latest.state === "Exited") {
      return i === inits.length - 1
        ? { failed: undefined, next: undefined, done: true }
        : { failed: undefined, next: i + 1, done: false }
    }
  }
  return { failed: undefined, next: 0, done: false }
}

const containerSucceeded = (c: Container, runtimePod: RuntimePod.RuntimePod) => {
  const latest = RuntimePod.latest(runtimePod, c.name ?? "")
  return latest !== undefined && latest.state === "Exited" && (latest.exitCode ?? 0) === 0
}

/** The sandbox is missing, not ready, or not the only ready one: a new one is needed (PodSandboxChanged). */
const sandboxChanged = (runtimePod: RuntimePod.RuntimePod) => {
  const newest = runtimePod.sandboxes[0]
  if (newest === undefined) return { changed: true, attempt: 0, sandboxId: undefined }
  const ready = runtimePod.sandboxes.filter((s) => s.state === "Ready").length
  return newest.state !== "Ready" || ready > 1
    ? { changed: true, attempt: newest.attempt + 1, sandboxId: newest.id }
    : { changed: false, attempt: newest.attempt, sandboxId: newest.id }
}

/** The plan for one sync of `pod` over what the runtime holds of it. */
export const compute = (pod: Pod, runtimePod: RuntimePod.RuntimePod, probes: ProbeVerdict): PodActions => {
  const spec = pod.spec ?? { containers: [] }
  const containers = spec.containers ?? []
  const sandbox = sandboxChanged(runtimePod)
  const base = {
    killPod: sandbox.changed,
    createSandbox: sandbox.changed,
    attempt: sandbox.attempt,
    sandboxId: sandbox.changed ? undefined : sandbox.sandboxId,
    nextInitContainer: undefined,
    containersToStart: [],
    containersToKill: []
  }

  if (sandbox.changed) {
    // A pod that ran and must not restart gets no new sandbox: it is only killed (if anything is left).
    if (!shouldRestartOnFailure(pod) && sandbox.attempt !== 0 && runtimePod.containers.length > 0) {
      return { ...base, createSandbox: false }
    }
    const toStart = containers.flatMap((c, i) =>
      spec.restartPolicy === "OnFailure" && containerSucceeded(c, runtimePod) ? [] : [i]
    )
    if (toStart.length === 0 && initProgress(pod, runtimePod).done) return { ...base, createSandbox: false }
    // A new sandbox starts the pod over, from its first init container.
    if ((spec.initContainers ?? []).length > 0) return { ...base, nextInitContainer: 0 }
    return { ...base, containersToStart: toStart }
  }

  const init = initProgress(pod, runtimePod)
  if (!init.done) {
    if (init.next === undefined) return base
    if (init.failed !== undefined && !shouldRestartOnFailure(pod)) return { ...base, killPod: true }
    return { ...base, nextInitContainer: init.next }
  }

  const containersToStart: Array<number> = []
  const containersToKill: Array<ContainerToKill> = []
  let keep = 0
  containers.forEach((c, i) => {
    const latest = RuntimePod.latest(runtimePod, c.name ?? "")
    if (latest === undefined || latest.state !== "Running") {
      if (shouldContainerBeRestarted(c, pod, runtimePod)) containersToStart.push(i)
      return
    }
    // The only spec change a running pod allows is a new image: that restarts the container whatever the policy.
    if (latest.image !== (c.image ?? "")) {
      containersToStart.push(i)
      containersToKill.push({
        container: latest,
        spec: c,
        message: `Container ${c.name} definition changed, will be restarted`
      })
      return
    }
    const restart = shouldRestartOnFailure(pod)
    const failed =
      probes(latest.id, "liveness") === "Failure"
        ? ("liveness" as const)
        : probes(latest.id, "startup") === "Failure"
          ? ("startup" as const)
          : undefined
    if (failed === undefined) {
      keep++
      return
    }
    const message = `Container ${c.name} failed ${failed} probe`
    if (restart) containersToStart.push(i)
    containersToKill.push({
      container: latest,
      spec: c,
      message: restart ? `${message}, will be restarted` : message,
      probe: failed
    })
  })
  return {
    ...base,
    killPod: keep === 0 && containersToStart.length === 0,
    containersToStart,
    containersToKill
  }
}
