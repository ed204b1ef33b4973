/**
 * Carrying out a pod's actions on the ContainerRuntime (Kubernetes' `kubeGenericRuntimeManager`
 * SyncPod, startContainer, killContainer, killPodWithSyncResult and the image puller): kill what
 * must go (SIGTERM, then SIGKILL after the grace period), run the sandbox, pull the image per
 * imagePullPolicy with ImagePullBackOff, create and start containers with CrashLoopBackOff, and
 * report Events as the kubelet does. Failures to start are returned as waiting reasons, never raised.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { type Container, defaultPullPolicy, type Pod } from "../api/Pod.js"
import { formatDuration } from "../api/duration.js"
import type { EventRecorder } from "../client/EventRecorder.js"
import { type ContainerConfig, type ContainerInfo, ContainerRuntime, type PodRef } from "../runtime/ContainerRuntime.js"
import type { Backoff } from "./Backoff.js"
import type { ContainerToKill, PodActions } from "./PodActions.js"
import type { StartFailure } from "./PodStatus.js"
import * as RuntimePod from "./RuntimePod.js"

export interface SyncContext {
  readonly recorder: EventRecorder
  /** CrashLoopBackOff, per pod uid and container name. */
  readonly crashBackoff: Backoff
  /** ImagePullBackOff, per pod uid and image. */
  readonly imageBackoff: Backoff
}

export interface SyncResult {
  /** Per container tried: why it could not start, or undefined when it started. */
  readonly failures: ReadonlyMap<string, StartFailure | undefined>
  /** Milliseconds until a start that failed should be tried again. */
  readonly retryAfter: number | undefined
}

/** A container always gets this long to stop, unless a deletion says otherwise (minimumGracePeriodInSeconds). */
const minimumGracePeriodSeconds = 2
/** A failed start is retried this often while its backoff runs (the pod worker's backOffPeriod). */
const failedStartRetryMillis = 10_000

/** `name_namespace(uid)`, as the kubelet names a pod in messages. */
export const describePod = (pod: Pod) =>
  `${pod.metadata.name ?? ""}_${pod.metadata.namespace ?? ""}(${pod.metadata.uid ?? ""})`

export const podRef = (pod: Pod): PodRef => ({
  uid: pod.metadata.uid ?? "",
  namespace: pod.metadata.namespace ?? "",
  name: pod.metadata.name ?? ""
})

const specOf = (pod: Pod | undefined, name: string): Container | undefined =>
  [...(pod?.spec?.initContainers ?? []), ...(pod?.spec?.containers ?? [])].find((c) => c.name === name)

/** The pod's grace period: the deletion's, else the spec's, else 30 s. */
export const gracePeriodOf = (pod: Pod): number =>
  pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30

/**
 * Stops one container: SIGTERM, SIGKILL after the grace period (the probe's when a probe failure
 * is the reason, at least two seconds); `override` replaces it (a deletion's grace period).
 */
export const killContainer = (
  ctx: SyncContext,
  pod: Pod | undefined,
  info: ContainerInfo,
  options: { readonly message?: string; readonly probe?: ContainerToKill["probe"]; readonly override?: number } = {}
): Effect.Effect<void, never, ContainerRuntime> =>
  Effect.gen(function* () {
    const runtime = yield* ContainerRuntime
    const spec = specOf(pod, info.name)
    const probeGrace =
      options.probe === "liveness"
        ? spec?.livenessProbe?.terminationGracePeriodSeconds
        : options.probe === "startup"
          ? spec?.startupProbe?.terminationGracePeriodSeconds
          : undefined
    const grace =
      options.override ??
      Math.max(minimumGracePeriodSeconds, probeGrace ?? (pod === undefined ? 0 : gracePeriodOf(pod)))
    if (pod !== undefined) {
      yield* ctx.recorder.event(pod, "Normal", "Killing", options.message ?? `Stopping container ${info.name}`)
    }
    yield* runtime
      .stopContainer(info.id, grace)
      .pipe(Effect.catchAll((error) => Effect.logWarning(`could not stop container ${info.id}`, error)))
  })

/** Stops every container of the pod at once (each with its grace period), then its sandboxes. */
export const killPod = (
  ctx: SyncContext,
  pod: Pod | undefined,
  runtimePod: RuntimePod.RuntimePod,
  override?: number
): Effect.Effect<void, never, ContainerRuntime> =>
  Effect.gen(function* () {
    const runtime = yield* ContainerRuntime
    yield* Effect.forEach(
      runtimePod.containers.filter((c) => c.state !== "Exited"),
      (c) => killContainer(ctx, pod, c, override === undefined ? {} : { override }),
      { concurrency: "unbounded", discard: true }
    )
    for (const sandbox of runtimePod.sandboxes) {
      if (sandbox.state !== "Ready") continue
      yield* runtime
        .stopSandbox(sandbox.id)
        .pipe(Effect.catchAll((error) => Effect.logWarning(`could not stop sandbox ${sandbox.id}`, error)))
    }
  })

/** Removes everything the runtime holds of the pod (after it was killed). */
export const removePod = (runtimePod: RuntimePod.RuntimePod): Effect.Effect<void, never, ContainerRuntime> =>
  Effect.gen(function* () {
    const runtime = yield* ContainerRuntime
    for (const c of runtimePod.containers) yield* runtime.removeContainer(c.id)
    for (const s of runtimePod.sandboxes) yield* runtime.removeSandbox(s.id)
  }).pipe(Effect.catchAll((error) => Effect.logWarning(`could not remove pod ${runtimePod.uid}`, error)))

/**
 * The container garbage collector's per-pod rule (MaxPerPodContainer = 1): of each container's
 * exited instances only the newest stays, for `lastState`; an old sandbox goes once it is empty.
 */
export const collectGarbage = (runtimePod: RuntimePod.RuntimePod): Effect.Effect<void, never, ContainerRuntime> => {
  const keptExited = new Set<string>()
  const containers: Array<string> = []
  for (const c of runtimePod.containers) {
    if (c.state !== "Exited") continue
    if (!keptExited.has(c.name)) keptExited.add(c.name)
    else containers.push(c.id)
  }
  const sandboxes = runtimePod.sandboxes
    .slice(1)
    .filter((s) => s.state !== "Ready" && !runtimePod.containers.some((c) => c.sandboxId === s.id))
  // Most syncs find nothing to remove: no effect then.
  if (containers.length === 0 && sandboxes.length === 0) return Effect.void
  return Effect.gen(function* () {
    const runtime = yield* ContainerRuntime
    for (const id of containers) yield* runtime.removeContainer(id)
    for (const s of sandboxes) yield* runtime.removeSandbox(s.id)
  }).pipe(Effect.catchAll((error) => Effect.logWarning(`could not collect garbage of pod ${runtimePod.uid}`, error)))
}

type StartOutcome = { readonly failure: StartFailure; readonly retryAfter: number } | undefined

/** EnsureImageExists: the image per the container's pull policy, with a backoff between failed pulls. */
const ensureImage = (
  ctx: SyncContext,
  pod: Pod,
  container: Container
): Effect.Effect<StartOutcome, never, ContainerRuntime> =>
  Effect.gen(function* () {
    const runtime = yield* ContainerRuntime
    const image = container.image ?? ""
    const policy = container.imagePullPolicy ?? defaultPullPolicy(image)
    const warn = (reason: string, message: string) => ctx.recorder.event(pod, "Warning", reason, message)
    const present = yield* runtime.hasImage(image).pipe(Effect.orElseSucceed(() => false))
    if (present && policy !== "Always") {
      yield* ctx.recorder.event(pod, "Normal", "Pulled", `Container image "${image}" already present on machine`)
      return undefined
    }
    if (policy === "Never") {
      const message = `Container image "${image}" is not present with pull policy of Never`
      yield* warn("ErrImageNeverPull", message)
      return { failure: { reason: "ErrImageNeverPull", message }, retryAfter: failedStartRetryMillis }
    }
    const key = `${pod.metadata.uid ?? ""}_${image}`
    const now = yield* Clock.currentTimeMillis
    const waiting = ctx.imageBackoff.remainingSinceUpdate(key, now)
    if (waiting > 0) {
      const message = `Back-off pulling image "${image}"`
      yield* ctx.recorder.event(pod, "Normal", "BackOff", message)
      yield* warn("Failed", "Error: ImagePullBackOff")
      return { failure: { reason: "ImagePullBackOff", message }, retryAfter: waiting }
    }
    yield* ctx.recorder.event(pod, "Normal", "Pulling", `Pulling image "${image}"`)
    const pulled = yield* Effect.either(runtime.pullImage(image))
    const done = yield* Clock.currentTimeMillis
    if (pulled._tag === "Left") {
      ctx.imageBackoff.next(key, done, done)
      yield* warn("Failed", `Failed to pull image "${image}": ${pulled.left.message}`)
      yield* warn("Failed", "Error: ErrImagePull")
      return {
        failure: { reason: "ErrImagePull", message: pulled.left.message },
        retryAfter: ctx.imageBackoff.remainingSinceUpdate(key, done)
      }
    }
    const took = formatDuration(done - now)
    yield* ctx.recorder.event(
      pod,
      "Normal",
      "Pulled",
      `Successfully pulled image "${image}" in ${took} (${took} including waiting)`
    )
    return undefined
  })

const envOf = (container: Container): Record<string, string> =>
  Object.fromEntries((container.env ?? []).flatMap((e) => (e.value === undefined ? [] : [[e.name ?? "", e.value]])))

/** startContainer: backoff check, image, create, start; the attempt number is the restart count. */
const startContainer = (
  ctx: SyncContext,
  pod: Pod,
  runtimePod: RuntimePod.RuntimePod,
  sandboxId: string,
  container: Container,
  init: boolean
): Effect.Effect<StartOutcome, never, ContainerRuntime> =>
  Effect.gen(function* () {
    const runtime = yield* ContainerRuntime
    const name = container.name ?? ""
    const latest = RuntimePod.latest(runtimePod, name)
    if (latest?.state === "Exited") {
      // The finish of the last instance starts the backoff window (doBackOff).
      const key = `${pod.metadata.uid ?? ""}_${name}`
      const finished = latest.finishedAt ?? 0
      const now = yield* Clock.currentTimeMillis
      const waiting = ctx.crashBackoff.remainingSince(key, finished, now)
      if (waiting > 0) {
        const window = formatDuration(ctx.crashBackoff.window(key))
        yield* ctx.recorder.event(
          pod,
          "Warning",
          "BackOff",
          `Back-off restarting failed container ${name} in pod ${describePod(pod)}`
        )
        return {
          failure: {
            reason: "CrashLoopBackOff",
            message: `back-off ${window} restarting failed container=${name} pod=${describePod(pod)}`
          },
          retryAfter: waiting
        }
      }
      ctx.crashBackoff.next(key, finished, now)
    }
    const pulled = yield* ensureImage(ctx, pod, container)
    if (pulled !== undefined) return pulled
    const failed = (reason: string, message: string): Effect.Effect<StartOutcome> =>
      Effect.as(ctx.recorder.event(pod, "Warning", "Failed", `Error: ${message}`), {
        failure: { reason, message },
        retryAfter: failedStartRetryMillis
      })
    const config: ContainerConfig = {
      pod: podRef(pod),
      sandboxId,
      name,
      image: container.image ?? "",
      command: container.command ?? [],
      args: container.args ?? [],
      env: envOf(container),
      ...(container.workingDir === undefined ? {} : { workingDir: container.workingDir }),
      requests: container.resources?.requests ?? {},
      limits: container.resources?.limits ?? {},
      attempt: latest === undefined ? 0 : latest.attempt + 1,
      podAnnotations: pod.metadata.annotations ?? {},
      init
    }
    const created = yield* Effect.either(runtime.createContainer(config))
    if (created._tag === "Left") return yield* failed("CreateContainerError", errorMessage(created.left))
    yield* ctx.recorder.event(pod, "Normal", "Created", `Created container: ${name}`)
    const started = yield* Effect.either(runtime.startContainer(created.right))
    if (started._tag === "Left") return yield* failed("RunContainerError", errorMessage(started.left))
    yield* ctx.recorder.event(pod, "Normal", "Started", `Started container ${name}`)
    return undefined
  })

const errorMessage = (error: { readonly _tag: string; readonly message?: string; readonly id?: string }) =>
  error.message ?? `${error._tag}: ${error.id ?? ""}`

/** SyncPod: carries out `actions` for `pod`; what could not be started is reported, not failed. */
export const apply = (
  ctx: SyncContext,
  pod: Pod,
  runtimePod: RuntimePod.RuntimePod,
  actions: PodActions
): Effect.Effect<SyncResult, never, ContainerRuntime> =>
  Effect.gen(function* () {
    const runtime = yield* ContainerRuntime
    const failures = new Map<string, StartFailure | undefined>()
    let retryAfter: number | undefined
    const record = (name: string, outcome: StartOutcome) => {
      failures.set(name, outcome?.failure)
      if (outcome !== undefined) {
        retryAfter = Math.min(retryAfter ?? Infinity, Math.min(outcome.retryAfter, failedStartRetryMillis))
      }
    }

    if (actions.killPod) {
      yield* killPod(ctx, pod, runtimePod)
      // A new sandbox runs the init containers again from the first: their old instances go.
      if (actions.createSandbox) {
        const initNames = new Set((pod.spec?.initContainers ?? []).map((c) => c.name))
        for (const c of runtimePod.containers)
          if (initNames.has(c.name)) yield* runtime.removeContainer(c.id).pipe(Effect.ignore)
      }
    } else {
      yield* Effect.forEach(
        actions.containersToKill,
        (k) =>
          killContainer(ctx, pod, k.container, {
            message: k.message,
            ...(k.probe === undefined ? {} : { probe: k.probe })
          }),
        { concurrency: "unbounded", discard: true }
      )
    }

    let sandboxId = actions.sandboxId
    if (actions.createSandbox) {
      const sandbox = yield* Effect.either(
        runtime.runSandbox({
          pod: podRef(pod),
          attempt: actions.attempt,
          hostname: pod.spec?.hostname ?? pod.metadata.name ?? "",
          labels: pod.metadata.labels ?? {},
          annotations: pod.metadata.annotations ?? {}
        })
      )
      if (sandbox._tag === "Left") {
        yield* ctx.recorder.event(
          pod,
          "Warning",
          "FailedCreatePodSandBox",
          `Failed to create pod sandbox: ${sandbox.left.message}`
        )
        return { failures, retryAfter: failedStartRetryMillis }
      }
      sandboxId = sandbox.right.id
    }
    if (sandboxId === undefined) return { failures, retryAfter }
    // What the runtime holds after the kills and purge, so attempts count on from the latest instance.
    const current = yield* RuntimePod.get(pod.metadata.uid ?? "").pipe(Effect.orElseSucceed(() => runtimePod))

    if (actions.nextInitContainer !== undefined) {
      const init = (pod.spec?.initContainers ?? [])[actions.nextInitContainer]
      if (init !== undefined) record(init.name ?? "", yield* startContainer(ctx, pod, current, sandboxId, init, true))
      return { failures, retryAfter }
    }
    for (const index of actions.containersToStart) {
      const container = (pod.spec?.containers ?? [])[index]
      if (container === undefined) continue
      record(container.name ?? "", yield* startContainer(ctx, pod, current, sandboxId, container, false))
    }
    return { failures, retryAfter }
  })
