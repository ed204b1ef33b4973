/**
 * The pod status a kubelet reports (Kubernetes' `generateAPIPodStatus`): container statuses from
 * the runtime's instances (state, lastState, ready, started, restartCount, ids), waiting reasons
 * of containers that could not start (CrashLoopBackOff, ErrImagePull …), the phase (`getPhase`),
 * the kubelet-owned conditions with their transition times kept while unchanged, pod and host
 * IPs and the start time. Fields and conditions others own are carried over. Pure.
 */
import type { Container, ContainerState, ContainerStatus, Pod, PodCondition, PodStatus } from "../api/Pod.js"
import type { ContainerInfo } from "../runtime/ContainerRuntime.js"
import { shouldContainerBeRestarted } from "./PodActions.js"
import * as RuntimePod from "./RuntimePod.js"
import { rfc3339 } from "../api/time.js"

/** Why a container could not be started on the last sync (the kubelet's reason cache). */
export interface StartFailure {
  /** `CrashLoopBackOff`, `ErrImagePull`, `ImagePullBackOff`, `ErrImageNeverPull`, `CreateContainerError`, `RunContainerError`. */
  readonly reason: string
  readonly message: string
}

export interface StatusInput {
  readonly pod: Pod
  /** The status the pod had: the last one written, or the API's. */
  readonly previous: PodStatus | undefined
  readonly runtimePod: RuntimePod.RuntimePod
  /** The engine's name in container ids (`docker://…`). */
  readonly runtimeType: string
  /** A running container passes its readiness probe (true when it has none). */
  readonly ready: (container: Container, info: ContainerInfo) => boolean
  /** A running container passed its startup probe (true when it has none). */
  readonly started: (container: Container, info: ContainerInfo) => boolean
  /** Why containers could not be started, by name. */
  readonly reasons: ReadonlyMap<string, StartFailure>
  /** The pod is done for good (deleted, or its containers will never run again): its phase must be final. */
  readonly terminal: boolean
  readonly hostIP: string
  /** When the kubelet first admitted the pod, RFC 3339. */
  readonly startTime: string
  /** Now, RFC 3339. */
  readonly now: string
}

/** Conditions the kubelet owns; the others (DisruptionTarget, readiness gates) are carried over. */
const kubeletConditions: ReadonlySet<string> = new Set([
  "PodReadyToStartContainers",
  "Initialized",
  "Ready",
  "ContainersReady",
  "PodScheduled"
])

const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

const goList = (names: ReadonlyArray<string>) => `[${names.join(" ")}]`

const time = (millis: number | undefined) => (millis === undefined ? undefined : rfc3339(millis))

/** The runtime instance as a container state (convertContainerStatus). */
const stateOf = (info: ContainerInfo, runtimeType: string): ContainerState => {
  if (info.state === "Running") {
    const startedAt = time(info.startedAt)
    return { running: startedAt === undefined ? {} : { startedAt } }
  }
  if (info.state === "Exited") {
    const [startedAt, finishedAt] = [time(info.startedAt), time(info.finishedAt)]
    return {
      terminated: {
        exitCode: info.exitCode ?? 0,
        ...(info.reason === undefined ? {} : { reason: info.reason }),
        ...(info.message === undefined ? {} : { message: info.message }),
        ...(startedAt === undefined ? {} : { startedAt }),
        ...(finishedAt === undefined ? {} : { finishedAt }),
        containerID: `${runtimeType}://${info.id}`
      }
    }
  }
  // Created but not started, or unknown: waiting to run.
  return { waiting: {} }
}

/** What a container that ran and can no longer be found is taken to have ended with (Kubernetes' words). */
const containerStatusUnknown = {
  reason: "ContainerStatusUnknown",
  message: "The container could not be located when the pod was deleted.  The container used to be Running",
  exitCode: 137
}

/** convertToAPIContainerStatuses for the init or the app containers. */
const containerStatuses = (
  input: StatusInput,
  containers: ReadonlyArray<Container>,
  previous: ReadonlyArray<ContainerStatus>,
  isInit: boolean
): Array<ContainerStatus> => {
  const { pod, runtimePod, runtimeType } = input
  const hasInit = (pod.spec?.initContainers ?? []).length > 0
  const defaultWaiting: ContainerState = { waiting: { reason: hasInit ? "PodInitializing" : "ContainerCreating" } }
  const statuses = containers.map((c): ContainerStatus => {
    const name = c.name ?? ""
    const image = c.image ?? ""
    const old = previous.find((s) => s.name === name)
    const [latest, before] = RuntimePod.instances(runtimePod, name)
    const status = ((): ContainerStatus => {
      if (latest === undefined) {
        // Nothing in the runtime (not started yet, or removed): an old final state stands; else wait.
        if (old?.state?.terminated !== undefined) return old
        // It ran and vanished (a node that rebooted): it counts as stopped, so the pod does not fall back to Pending.
        const vanished = old?.state?.running !== undefined && old.lastState?.terminated === undefined
        return {
          name,
          state: defaultWaiting,
          lastState: vanished ? { terminated: containerStatusUnknown } : (old?.lastState ?? {}),
          ready: false,
          restartCount: (old?.restartCount ?? 0) + (vanished && pod.metadata.deletionTimestamp === undefined ? 1 : 0),
          image,
          started: false
        }
      }
      const lastTerminated = before === undefined ? undefined : stateOf(before, runtimeType).terminated
      const started = latest.state === "Running" && input.started(c, latest)
      return {
        name,
        state: stateOf(latest, runtimeType),
        lastState: lastTerminated !== undefined ? { terminated: lastTerminated } : (old?.lastState ?? {}),
        ready: started && input.ready(c, latest),
        restartCount: latest.attempt,
        image: latest.image,
        imageID: latest.imageId,
        containerID: `${runtimeType}://${latest.id}`,
        started
      }
    })()
    // A container the next sync (re)starts, and which could not be started, waits with the reason why.
    const failure = input.reasons.get(name)
    const finishedInit = isInit && latest?.state === "Exited" && (latest.exitCode ?? 0) === 0
    if (finishedInit || failure === undefined || !shouldContainerBeRestarted(c, pod, runtimePod)) return status
    return {
      ...status,
      state: { waiting: { reason: failure.reason, message: failure.message } },
      lastState: status.state?.terminated !== undefined ? status.state : (status.lastState ?? {})
    }
  })
  // Kubernetes lists app containers by name, init containers in spec order.
  return isInit ? statuses : statuses.sort((a, b) => byteOrder(a.name ?? "", b.name ?? ""))
}

/** getPhase: Pending until every container has started, Running while any runs, then Succeeded or Failed. */
export const phaseOf = (
  pod: Pod,
  initStatuses: ReadonlyArray<ContainerStatus>,
  statuses: ReadonlyArray<ContainerStatus>,
  terminal: boolean
): string => {
  const spec = pod.spec ?? {}
  let pendingInitialization = 0
  let failedInitialization = 0
  for (const c of spec.initContainers ?? []) {
    const s = initStatuses.find((x) => x.name === c.name)
    if (s === undefined || s.state?.running !== undefined) pendingInitialization++
    else if (s.state?.terminated !== undefined) {
      if (s.state.terminated.exitCode !== 0) failedInitialization++
    } else if (s.state?.waiting !== undefined && s.lastState?.terminated !== undefined) {
      if (s.lastState.terminated.exitCode !== 0) failedInitialization++
    } else pendingInitialization++
  }
  let [unknown, running, waiting, stopped, succeeded] = [0, 0, 0, 0, 0]
  for (const c of spec.containers ?? []) {
    const s = statuses.find((x) => x.name === c.name)
    if (s === undefined) unknown++
    else if (s.state?.running !== undefined) running++
    else if (s.state?.terminated !== undefined) {
      stopped++
      if (s.state.terminated.exitCode === 0) succeeded++
    } else if (s.state?.waiting !== undefined) {
      if (s.lastState?.terminated !== undefined) stopped++
      else waiting++
    } else unknown++
  }
  const policy = spec.restartPolicy ?? "Always"
  if (failedInitialization > 0 && policy === "Never") return "Failed"
  const anyStarted = statuses.some((s) => s.state?.running !== undefined || s.state?.terminated !== undefined)
  if ((pendingInitialization > 0 && !anyStarted) || waiting > 0) return "Pending"
  if (running > 0 && unknown === 0) return "Running"
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (terminal) return stopped === succeeded ? "Succeeded" : "Failed"
    if (policy === "Always") return "Running"
    if (stopped === succeeded) return "Succeeded"
    if (policy === "Never") return "Failed"
    return "Running"
  }
  return "Pending"
}

const condition = (type: string, status: boolean, reason?: string, message?: string): PodCondition => ({
  type,
  status: status ? "True" : "False",
  ...(reason === undefined ? {} : { reason }),
  ...(message === undefined || message === "" ? {} : { message })
})

const notReadyMessage = (unknown: ReadonlyArray<string>, notReady: ReadonlyArray<string>, adjective: string) =>
  [
    ...(unknown.length > 0 ? [`containers with unknown status: ${goList(unknown)}`] : []),
    ...(notReady.length > 0 ? [`containers with ${adjective} status: ${goList(notReady)}`] : [])
  ].join(", ")

const initializedCondition = (
  pod: Pod,
  initStatuses: ReadonlyArray<ContainerStatus>,
  statuses: ReadonlyArray<ContainerStatus>,
  phase: string
): PodCondition => {
  const unknown: Array<string> = []
  const incomplete: Array<string> = []
  for (const c of pod.spec?.initContainers ?? []) {
    const s = initStatuses.find((x) => x.name === c.name)
    if (s === undefined) unknown.push(c.name ?? "")
    else if (s.state?.terminated?.exitCode !== 0) incomplete.push(c.name ?? "")
  }
  if (phase === "Succeeded" && unknown.length === 0) return condition("Initialized", true, "PodCompleted")
  // An app container that has run means initialization finished once.
  if (statuses.some((s) => s.state?.running !== undefined || s.state?.terminated !== undefined)) {
    return condition("Initialized", true)
  }
  const message = notReadyMessage(unknown, incomplete, "incomplete")
  return message === ""
    ? condition("Initialized", true)
    : condition("Initialized", false, "ContainersNotInitialized", message)
}

const containersReadyCondition = (pod: Pod, statuses: ReadonlyArray<ContainerStatus>, phase: string): PodCondition => {
  const unknown: Array<string> = []
  const unready: Array<string> = []
  for (const c of pod.spec?.containers ?? []) {
    const s = statuses.find((x) => x.name === c.name)
    if (s === undefined) unknown.push(c.name ?? "")
    else if (!s.ready) unready.push(c.name ?? "")
  }
  if (phase === "Succeeded" && unknown.length === 0) return condition("ContainersReady", false, "PodCompleted")
  const message = notReadyMessage(unknown, unready, "unready")
  return message === ""
    ? condition("ContainersReady", true)
    : condition("ContainersReady", false, "ContainersNotReady", message)
}

/** Ready: the containers are ready and every readiness gate's condition is True. */
const readyCondition = (pod: Pod, containersReady: PodCondition, others: ReadonlyArray<PodCondition>): PodCondition => {
  if (containersReady.status !== "True") return { ...containersReady, type: "Ready" }
  const messages = (pod.spec?.readinessGates ?? []).flatMap((gate) => {
    const found = others.find((c) => c.type === gate.conditionType)
    if (found === undefined)
      return [`corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`]
    return found.status === "True"
      ? []
      : [`the status of pod readiness gate "${gate.conditionType}" is not "True", but ${found.status}`]
  })
  return messages.length === 0
    ? condition("Ready", true)
    : condition("Ready", false, "ReadinessGatesNotReady", messages.join(", "))
}

/** Keeps a condition's lastTransitionTime while its status holds (the status manager's updateLastTransitionTime). */
const withTransitionTimes = (
  conditions: ReadonlyArray<PodCondition>,
  previous: ReadonlyArray<PodCondition>,
  now: string
): Array<PodCondition> =>
  conditions.map((c) => {
    if (!kubeletConditions.has(c.type ?? "")) return c
    const old = previous.find((p) => p.type === c.type)
    const since = old !== undefined && old.status === c.status ? (old.lastTransitionTime ?? now) : now
    return { ...c, lastTransitionTime: since }
  })

/** The pod's status as the kubelet reports it now. */
export const generate = (input: StatusInput): PodStatus => {
  const { pod, previous, runtimePod } = input
  const spec = pod.spec ?? {}
  const initStatuses = containerStatuses(input, spec.initContainers ?? [], previous?.initContainerStatuses ?? [], true)
  const statuses = containerStatuses(input, spec.containers ?? [], previous?.containerStatuses ?? [], false)
  let phase = phaseOf(pod, initStatuses, statuses, input.terminal)
  // A pod that reached a final phase stays there.
  if ((previous?.phase === "Succeeded" || previous?.phase === "Failed") && phase !== previous.phase) {
    phase = previous.phase
  }
  const others = (previous?.conditions ?? []).filter((c) => !kubeletConditions.has(c.type ?? ""))
  const containersReady = containersReadyCondition(pod, statuses, phase)
  const sandbox = runtimePod.sandboxes[0]
  const conditions = [
    ...others,
    condition("PodReadyToStartContainers", sandbox?.state === "Ready"),
    initializedCondition(pod, initStatuses, statuses, phase),
    readyCondition(pod, containersReady, others),
    containersReady,
    condition("PodScheduled", true)
  ]
  const podIP = spec.hostNetwork === true ? input.hostIP : sandbox?.state === "Ready" ? sandbox.ip : previous?.podIP
  return {
    ...previous,
    phase,
    conditions: withTransitionTimes(conditions, previous?.conditions ?? [], input.now),
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    ...(podIP === undefined ? {} : { podIP, podIPs: [{ ip: podIP }] }),
    startTime: input.startTime,
    ...(initStatuses.length === 0 ? {} : { initContainerStatuses: initStatuses }),
    containerStatuses: statuses
  }
}
