/**
 * The core/v1 Pod: schema (its spec is in PodSpec.ts, Container.ts and SchedulingConstraints.ts,
 * re-exported here; its status has conditions and container statuses), Kubernetes' defaulting
 * (SetDefaults_Pod and the DefaultTolerationSeconds, Priority and ServiceAccount admission
 * defaults), validation (ValidatePod, ValidatePodUpdate), field selectors and kubectl's columns.
 * Also the `Binding` posted to `pods/binding`.
 */
import * as Schema from "effect/Schema"
import { type Container, ResourceList, ResourceRequirements } from "./Container.js"
import { age } from "./duration.js"
import type { FieldError } from "./errors.js"
import { Int32, Int64 } from "./IntOrString.js"
import { ObjectMeta } from "./meta.js"
import { ObjectReference } from "./ObjectReference.js"
import { defaultPodSpec, PodSpec, validatePodSpec } from "./PodSpec.js"
import { requiredField } from "./requiredField.js"
import { ageColumn, nameColumn, type ResourceType } from "./resource.js"
import type { Toleration } from "./SchedulingConstraints.js"
import * as V from "./validation.js"

export * from "./Container.js"
export * from "./PodSpec.js"
export * from "./SchedulingConstraints.js"

const opt = Schema.optional
const id = (name: string) => ({ identifier: `io.k8s.api.core.v1.${name}` })

export const PodCondition = Schema.Struct({
  type: requiredField(Schema.String),
  status: requiredField(Schema.String),
  observedGeneration: opt(Int64),
  lastProbeTime: opt(Schema.NullOr(Schema.String)),
  lastTransitionTime: opt(Schema.NullOr(Schema.String)),
  reason: opt(Schema.String),
  message: opt(Schema.String)
}).annotations(id("PodCondition"))
export type PodCondition = typeof PodCondition.Type

export const ContainerStateWaiting = Schema.Struct({
  reason: opt(Schema.String),
  message: opt(Schema.String)
}).annotations(id("ContainerStateWaiting"))

export const ContainerStateRunning = Schema.Struct({ startedAt: opt(Schema.String) }).annotations(
  id("ContainerStateRunning")
)

export const ContainerStateTerminated = Schema.Struct({
  exitCode: requiredField(Int32),
  signal: opt(Int32),
  reason: opt(Schema.String),
  message: opt(Schema.String),
  startedAt: opt(Schema.String),
  finishedAt: opt(Schema.String),
  containerID: opt(Schema.String)
}).annotations(id("ContainerStateTerminated"))

/** At most one of waiting, running, terminated is set. */
export const ContainerState = Schema.Struct({
  waiting: opt(ContainerStateWaiting),
  running: opt(ContainerStateRunning),
  terminated: opt(ContainerStateTerminated)
}).annotations(id("ContainerState"))
export type ContainerState = typeof ContainerState.Type

export const ContainerStatus = Schema.Struct({
  name: requiredField(Schema.String),
  state: opt(ContainerState),
  lastState: opt(ContainerState),
  ready: requiredField(Schema.Boolean),
  restartCount: requiredField(Int32),
  image: requiredField(Schema.String),
  imageID: opt(Schema.String),
  containerID: opt(Schema.String),
  started: opt(Schema.Boolean),
  allocatedResources: opt(ResourceList),
  resources: opt(ResourceRequirements),
  stopSignal: opt(Schema.String)
}).annotations(id("ContainerStatus"))
export type ContainerStatus = typeof ContainerStatus.Type

export const PodIP = Schema.Struct({ ip: requiredField(Schema.String) }).annotations(id("PodIP"))
export const HostIP = Schema.Struct({ ip: requiredField(Schema.String) }).annotations(id("HostIP"))

export const PodStatus = Schema.Struct({
  observedGeneration: opt(Int64),
  phase: opt(Schema.String),
  conditions: opt(Schema.Array(PodCondition)),
  message: opt(Schema.String),
  reason: opt(Schema.String),
  nominatedNodeName: opt(Schema.String),
  hostIP: opt(Schema.String),
  hostIPs: opt(Schema.Array(HostIP)),
  podIP: opt(Schema.String),
  podIPs: opt(Schema.Array(PodIP)),
  startTime: opt(Schema.String),
  initContainerStatuses: opt(Schema.Array(ContainerStatus)),
  containerStatuses: opt(Schema.Array(ContainerStatus)),
  qosClass: opt(Schema.String),
  ephemeralContainerStatuses: opt(Schema.Array(Schema.Unknown)),
  resize: opt(Schema.String),
  resourceClaimStatuses: opt(Schema.Array(Schema.Unknown))
}).annotations(id("PodStatus"))
export type PodStatus = typeof PodStatus.Type

export const Pod = Schema.Struct({
  apiVersion: Schema.Literal("v1"),
  kind: Schema.Literal("Pod"),
  metadata: ObjectMeta,
  spec: opt(PodSpec),
  status: opt(PodStatus)
}).annotations(id("Pod"))
export type Pod = typeof Pod.Type

/** What the scheduler posts to `pods/{name}/binding`: the pod goes to `target.name`. */
export const Binding = Schema.Struct({
  apiVersion: Schema.Literal("v1"),
  kind: Schema.Literal("Binding"),
  metadata: ObjectMeta,
  target: requiredField(ObjectReference)
}).annotations(id("Binding"))
export type Binding = typeof Binding.Type

/** ValidatePodBinding: the target is a node, named. */
export const validateBinding = (binding: Binding): ReadonlyArray<FieldError> => {
  const kind = binding.target?.kind ?? ""
  return [
    ...(kind === "" || kind === "Node" ? [] : [V.notSupported("target.kind", kind, ["Node", "<empty>"])]),
    ...((binding.target?.name ?? "") === "" ? [V.required("target.name")] : [])
  ]
}

// ---------------------------------------------------------------------------------------------
// Defaulting

// Limits without requests mean requests equal to the limits (Pods only, not templates).
const requestsFromLimits = (c: Container): Container => {
  const limits = c.resources?.limits
  if (limits === undefined) return c
  return { ...c, resources: { ...c.resources, requests: { ...limits, ...c.resources?.requests } } }
}

const tolerates = (tolerations: ReadonlyArray<Toleration>, key: string) =>
  tolerations.some(
    (t) => (t.key === key || (t.key ?? "") === "") && (t.effect === "NoExecute" || (t.effect ?? "") === "")
  )

/** `--default-not-ready-toleration-seconds` and `--default-unreachable-toleration-seconds`. */
export const defaultTolerationSeconds = 300

/** The DefaultTolerationSeconds admission plugin: tolerate not-ready and unreachable nodes for `seconds`. */
const defaultTolerations = (
  tolerations: ReadonlyArray<Toleration> | undefined,
  seconds: number
): ReadonlyArray<Toleration> => {
  const given = tolerations ?? []
  const added = ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"]
    .filter((key) => !tolerates(given, key))
    .map((key) => ({ key, operator: "Exists", effect: "NoExecute", tolerationSeconds: seconds }))
  return [...given, ...added]
}

/** The pod with the DefaultTolerationSeconds plugin's tolerations, for a server configured with other seconds. */
export const withDefaultTolerations = (pod: Pod, seconds: number): Pod => ({
  ...pod,
  spec: { ...pod.spec, tolerations: defaultTolerations(pod.spec?.tolerations, seconds) }
})

/** Kubernetes' defaults for a Pod, plus the admission defaults every pod gets on create. */
export const defaults = (pod: Pod): Pod => {
  // defaultPodSpec's result is a fresh copy, so it takes the pod-only fields in place.
  const spec: { -readonly [K in keyof PodSpec]: PodSpec[K] } = defaultPodSpec(pod.spec ?? {})
  if (spec.containers !== undefined) spec.containers = spec.containers.map(requestsFromLimits)
  if (spec.initContainers !== undefined) spec.initContainers = spec.initContainers.map(requestsFromLimits)
  spec.enableServiceLinks = spec.enableServiceLinks ?? true
  const serviceAccount = spec.serviceAccount
  spec.serviceAccountName = spec.serviceAccountName ?? serviceAccount ?? "default"
  spec.serviceAccount = serviceAccount ?? spec.serviceAccountName
  spec.tolerations = defaultTolerations(spec.tolerations, defaultTolerationSeconds)
  spec.priority = spec.priority ?? 0
  spec.preemptionPolicy = spec.preemptionPolicy ?? "PreemptLowerPriority"
  return { ...pod, spec }
}

// ---------------------------------------------------------------------------------------------
// Validation

const updatableFields = [
  "`spec.containers[*].image`",
  "`spec.initContainers[*].image`",
  "`spec.activeDeadlineSeconds`",
  "`spec.tolerations` (only additions to existing tolerations)",
  "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
].join(",")

const sameToleration = (old: Toleration, t: Toleration) =>
  V.canonical({ ...old, tolerationSeconds: t.tolerationSeconds }) === V.canonical(t)

/** ValidatePodUpdate: a pod's spec is immutable except images, a shorter deadline and added tolerations. */
const validateUpdate = (pod: Pod, old: Pod): ReadonlyArray<FieldError> => {
  const errors: Array<FieldError> = []
  const [spec, was] = [pod.spec ?? {}, old.spec ?? {}]
  if (spec.activeDeadlineSeconds === undefined) {
    if (was.activeDeadlineSeconds !== undefined) {
      errors.push(V.invalid("spec.activeDeadlineSeconds", null, "must not update from a positive integer to nil value"))
    }
  } else if (was.activeDeadlineSeconds !== undefined && was.activeDeadlineSeconds < spec.activeDeadlineSeconds) {
    errors.push(
      V.invalid(
        "spec.activeDeadlineSeconds",
        spec.activeDeadlineSeconds,
        "must be less than or equal to previous value"
      )
    )
  }
  const oldTolerations = was.tolerations ?? []
  if (!oldTolerations.every((o) => (spec.tolerations ?? []).some((t) => sameToleration(o, t)))) {
    errors.push(V.forbidden("spec.tolerations", "existing toleration can not be modified except its tolerationSeconds"))
  }
  const withImages = (containers: ReadonlyArray<Container>, from: ReadonlyArray<Container> | undefined) =>
    containers.map((c, i) => (from?.[i] === undefined ? c : { ...c, image: from[i].image }))
  const munged: PodSpec = {
    ...spec,
    ...(spec.containers === undefined ? {} : { containers: withImages(spec.containers, was.containers) }),
    ...(spec.initContainers === undefined
      ? {}
      : { initContainers: withImages(spec.initContainers, was.initContainers) }),
    activeDeadlineSeconds: was.activeDeadlineSeconds,
    tolerations: was.tolerations,
    terminationGracePeriodSeconds:
      (was.terminationGracePeriodSeconds ?? 0) < 0 && spec.terminationGracePeriodSeconds === 1
        ? was.terminationGracePeriodSeconds
        : spec.terminationGracePeriodSeconds
  }
  if (V.canonical(munged) !== V.canonical(was)) {
    errors.push(V.forbidden("spec", `pod updates may not change fields other than ${updatableFields}`))
  }
  return errors
}

/** ValidatePod on create, ValidatePodUpdate on update. */
export const validate = (pod: Pod, old: Pod | undefined): ReadonlyArray<FieldError> => [
  ...V.metadata(pod.metadata, old?.metadata, true, V.nameIsDNSSubdomain),
  ...validatePodSpec("spec", pod.spec ?? {}),
  ...(old === undefined ? [] : validateUpdate(pod, old))
]

// ---------------------------------------------------------------------------------------------
// Printing

const restartable = (spec: PodSpec, name: string) =>
  (spec.initContainers ?? []).some((c) => (c.name ?? "") === name && c.restartPolicy === "Always")

const later = (a: string, b: string | undefined) => (b !== undefined && b > a ? b : a)

interface Summary {
  readonly ready: number
  readonly total: number
  readonly reason: string
  readonly restarts: number
  readonly lastRestart: string
}

/** What `kubectl get pods` shows: ready/total, STATUS (reason), restarts (printPod). */
export const summarize = (pod: Pod): Summary => {
  const spec = pod.spec ?? {}
  const status = pod.status ?? {}
  let reason = (status.reason ?? "") !== "" ? status.reason! : (status.phase ?? "")
  if ((status.conditions ?? []).some((c) => c.type === "PodScheduled" && c.reason === "SchedulingGated")) {
    reason = "SchedulingGated"
  }
  const total =
    (spec.containers ?? []).length + (spec.initContainers ?? []).filter((c) => c.restartPolicy === "Always").length
  let ready = 0
  let restarts = 0
  let lastRestart = ""
  let sidecarRestarts = 0
  let lastSidecarRestart = ""
  let initializing = false
  const inits = status.initContainerStatuses ?? []
  for (let i = 0; i < inits.length; i++) {
    const c = inits[i]
    const isSidecar = restartable(spec, c.name ?? "")
    restarts += c.restartCount ?? 0
    lastRestart = later(lastRestart, c.lastState?.terminated?.finishedAt)
    if (isSidecar) {
      sidecarRestarts += c.restartCount ?? 0
      lastSidecarRestart = later(lastSidecarRestart, c.lastState?.terminated?.finishedAt)
    }
    const terminated = c.state?.terminated
    const waiting = c.state?.waiting
    if (terminated !== undefined && (terminated.exitCode ?? 0) === 0) continue
    if (isSidecar && c.started === true) {
      if (c.ready === true) ready++
      continue
    }
    if (terminated !== undefined) {
      reason =
        (terminated.reason ?? "") !== ""
          ? `Init:${terminated.reason}`
          : (terminated.signal ?? 0) !== 0
            ? `Init:Signal:${terminated.signal}`
            : `Init:ExitCode:${terminated.exitCode ?? 0}`
    } else if (waiting !== undefined && (waiting.reason ?? "") !== "" && waiting.reason !== "PodInitializing") {
      reason = `Init:${waiting.reason}`
    } else {
      reason = `Init:${i}/${(spec.initContainers ?? []).length}`
    }
    initializing = true
    break
  }
  const initialized = (status.conditions ?? []).some((c) => c.type === "Initialized" && c.status === "True")
  if (!initializing || initialized) {
    restarts = sidecarRestarts
    lastRestart = lastSidecarRestart
    let hasRunning = false
    const statuses = status.containerStatuses ?? []
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i]
      restarts += c.restartCount ?? 0
      lastRestart = later(lastRestart, c.lastState?.terminated?.finishedAt)
      const waiting = c.state?.waiting
      const terminated = c.state?.terminated
      if (waiting !== undefined && (waiting.reason ?? "") !== "") reason = waiting.reason!
      else if (terminated !== undefined && (terminated.reason ?? "") !== "") reason = terminated.reason!
      else if (terminated !== undefined) {
        reason = (terminated.signal ?? 0) !== 0 ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode ?? 0}`
      } else if (c.ready === true && c.state?.running !== undefined) {
        hasRunning = true
        ready++
      }
    }
    if (reason === "Completed" && hasRunning) {
      const podReady = (status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True")
      reason = podReady ? "Running" : "NotReady"
    }
  }
  if (pod.metadata.deletionTimestamp !== undefined && status.reason === "NodeLost") reason = "Unknown"
  else if (pod.metadata.deletionTimestamp !== undefined && status.phase !== "Succeeded" && status.phase !== "Failed") {
    reason = "Terminating"
  }
  return { ready, total, reason, restarts, lastRestart }
}

// The Ready, Status and Restarts cells of one Table row share one summary.
const summaries = new WeakMap<Pod, Summary>()
const rowSummary = (pod: Pod): Summary => {
  let summary = summaries.get(pod)
  if (summary === undefined) {
    summary = summarize(pod)
    summaries.set(pod, summary)
  }
  return summary
}

const readinessGates = (pod: Pod): string => {
  const gates = pod.spec?.readinessGates ?? []
  if (gates.length === 0) return "<none>"
  const conditions = pod.status?.conditions ?? []
  const passing = gates.filter((g) => conditions.find((c) => c.type === g.conditionType)?.status === "True").length
  return `${passing}/${gates.length}`
}

const none = (s: string | undefined) => (s === undefined || s === "" ? "<none>" : s)

export const Pods: ResourceType<Pod> = {
  group: "",
  version: "v1",
  kind: "Pod",
  plural: "pods",
  singular: "pod",
  shortNames: ["po"],
  namespaced: true,
  categories: ["all"],
  schema: Pod,
  defaults,
  validate,
  fields: {
    "spec.nodeName": (p) => p.spec?.nodeName ?? "",
    "spec.restartPolicy": (p) => p.spec?.restartPolicy ?? "",
    "spec.schedulerName": (p) => p.spec?.schedulerName ?? "",
    "spec.serviceAccountName": (p) => p.spec?.serviceAccountName ?? "",
    "spec.hostNetwork": (p) => String(p.spec?.hostNetwork ?? false),
    "status.phase": (p) => p.status?.phase ?? "",
    "status.podIP": (p) => p.status?.podIP ?? "",
    "status.nominatedNodeName": (p) => p.status?.nominatedNodeName ?? ""
  },
  columns: [
    nameColumn("pod"),
    {
      name: "Ready",
      type: "string",
      priority: 0,
      description: "The aggregate readiness state of this pod for accepting traffic.",
      cell: (p) => {
        const s = rowSummary(p)
        return `${s.ready}/${s.total}`
      }
    },
    {
      name: "Status",
      type: "string",
      priority: 0,
      description: "The aggregate status of the containers in this pod.",
      cell: (p) => rowSummary(p).reason
    },
    {
      name: "Restarts",
      type: "string",
      priority: 0,
      description:
        "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
      cell: (p, now) => {
        const s = rowSummary(p)
        return s.restarts !== 0 && s.lastRestart !== ""
          ? `${s.restarts} (${age(s.lastRestart, now)} ago)`
          : `${s.restarts}`
      }
    },
    ageColumn("pod"),
    {
      name: "IP",
      type: "string",
      priority: 1,
      description: "IP address allocated to the pod.",
      cell: (p) => none(p.status?.podIPs?.[0]?.ip ?? p.status?.podIP)
    },
    {
      name: "Node",
      type: "string",
      priority: 1,
      description: "The node the pod is bound to.",
      cell: (p) => none(p.spec?.nodeName)
    },
    {
      name: "Nominated Node",
      type: "string",
      priority: 1,
      description: "The node the scheduler nominated for this pod while preempting.",
      cell: (p) => none(p.status?.nominatedNodeName)
    },
    {
      name: "Readiness Gates",
      type: "string",
      priority: 1,
      description: "How many of the pod's readiness gates are true.",
      cell: readinessGates
    }
  ],
  statusSubresource: true,
  hasGeneration: true
}
