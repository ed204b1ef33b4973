/**
 * The kubelet's prober (Kubernetes' `prober` package): one worker per container probe
 * (liveness, readiness, startup) that runs it through the ContainerRuntime at
 * `initialDelaySeconds` after the container starts, then every `periodSeconds`, each within
 * `timeoutSeconds`, and changes its verdict only after `successThreshold` successes or
 * `failureThreshold` failures in a row. Readiness starts as Failure, liveness as Success, startup
 * as unknown; liveness and readiness wait for startup to succeed; a failed liveness or startup
 * probe holds its worker until the container is replaced. Verdicts are read by the pod sync; a
 * change wakes it through `onChange`.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberMap from "effect/FiberMap"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import type { Container, Pod, PodStatus, Probe } from "../api/Pod.js"
import type { EventRecorder } from "../client/EventRecorder.js"
import { type ContainerInfo, ContainerRuntime, type ProbeAction } from "../runtime/ContainerRuntime.js"
import type { RuntimePod } from "./RuntimePod.js"
import * as RuntimePodOps from "./RuntimePod.js"

export type ProbeKind = "liveness" | "readiness" | "startup"
export type Verdict = "Success" | "Failure"

export interface Prober {
  /**
   * Tells the prober the pod's current container instances: starts a worker for each probe in
   * the spec (once) and wakes the workers whose container changed. An instance `previous` shows
   * ready starts ready (a restarted kubelet does not flap its pods' readiness).
   */
  readonly update: (pod: Pod, runtimePod: RuntimePod, previous: PodStatus | undefined) => Effect.Effect<void>
  /** The verdict on a container instance; undefined when it has no such probe or none yet. */
  readonly result: (containerId: string, kind: ProbeKind) => Verdict | undefined
  /** Stops the pod's workers and forgets their verdicts. */
  readonly removePod: (uid: string) => Effect.Effect<void>
}

const kinds: ReadonlyArray<ProbeKind> = ["startup", "liveness", "readiness"]
const capitalized: Record<ProbeKind, string> = { liveness: "Liveness", readiness: "Readiness", startup: "Startup" }

const probeOf = (container: Container, kind: ProbeKind): Probe | undefined =>
  kind === "liveness"
    ? container.livenessProbe
    : kind === "readiness"
      ? container.readinessProbe
      : container.startupProbe

/** The probe's handler as the runtime takes it; a named port is looked up in the container's ports. */
export const actionOf = (probe: Probe, container: Container): ProbeAction | string => {
  const port = (p: number | string): number | string => {
    if (typeof p === "number") return p
    const found = (container.ports ?? []).find((cp) => cp.name === p)
    return found === undefined ? `unable to find port "${p}"` : (found.containerPort ?? 0)
  }
  if (probe.exec !== undefined) return { _tag: "Exec", command: probe.exec.command ?? [] }
  if (probe.httpGet !== undefined) {
    const p = port(probe.httpGet.port ?? 0)
    if (typeof p === "string") return p
    return {
      _tag: "HttpGet",
      scheme: probe.httpGet.scheme === "HTTPS" ? "HTTPS" : "HTTP",
      ...(probe.httpGet.host === undefined ? {} : { host: probe.httpGet.host }),
      port: p,
      path: probe.httpGet.path ?? "/",
      headers: (probe.httpGet.httpHeaders ?? []).map((h) => ({ name: h.name ?? "", value: h.value ?? "" }))
    }
  }
  if (probe.tcpSocket !== undefined) {
    const p = port(probe.tcpSocket.port ?? 0)
    if (typeof p === "string") return p
    return { _tag: "TcpSocket", ...(probe.tcpSocket.host === undefined ? {} : { host: probe.tcpSocket.host }), port: p }
  }
  // A gRPC health check is a connection to its port as far as a runtime without gRPC can tell.
  if (probe.grpc !== undefined) return { _tag: "TcpSocket", port: probe.grpc.port ?? 0 }
  return "probe has no handler"
}

interface Worker {
  readonly uid: string
  readonly kind: ProbeKind
  pod: Pod
  readonly container: Container
  readonly probe: Probe
  /** The container's latest instance, as last told. */
  target: ContainerInfo | undefined
  /** Whether the pod's last status showed the target instance ready. */
  readyBefore: boolean
  readonly wake: Queue.Queue<void>
}

/** A prober in the current scope; its workers stop when the scope closes. */
export const make = (
  recorder: EventRecorder,
  onChange: (uid: string) => Effect.Effect<void>
): Effect.Effect<Prober, never, ContainerRuntime | Scope.Scope> =>
  Effect.gen(function* () {
    const runtime = yield* ContainerRuntime
    const fibers = yield* FiberMap.make<string>()
    const workers = new Map<string, Worker>()
    const results = new Map<string, Map<ProbeKind, Verdict>>()

    const result = (containerId: string, kind: ProbeKind) => results.get(containerId)?.get(kind)
    const setResult = (containerId: string, kind: ProbeKind, verdict: Verdict | undefined) => {
      let byKind = results.get(containerId)
      if (byKind === undefined) {
        byKind = new Map()
        results.set(containerId, byKind)
      }
      if (verdict !== undefined) byKind.set(kind, verdict)
      else if (byKind.delete(kind) && byKind.size === 0) results.delete(containerId)
    }
    const podWorkers = (uid: string) => [...workers.values()].filter((w) => w.uid === uid)

    // A verdict change wakes the pod's sync and the container's other probes (startup gates the rest).
    const changed = (w: Worker) =>
      Effect.zipRight(
        Effect.forEach(podWorkers(w.uid), (other) => Queue.offer(other.wake, undefined), { discard: true }),
        onChange(w.uid)
      )

    const runProbe = (w: Worker, target: ContainerInfo): Effect.Effect<{ verdict: Verdict; message: string }> => {
      const action = actionOf(w.probe, w.container)
      if (typeof action === "string") return Effect.succeed({ verdict: "Failure", message: action })
      const timeout = Math.max(1, w.probe.timeoutSeconds ?? 1)
      return runtime.probe(target.id, action, timeout).pipe(
        Effect.timeoutOption(Duration.seconds(timeout)),
        Effect.map((answer) =>
          Option.isNone(answer)
            ? { verdict: "Failure" as const, message: `probe timed out after ${timeout}s` }
            : { verdict: answer.value.result, message: answer.value.message ?? "" }
        ),
        Effect.catchAll((error) => Effect.succeed({ verdict: "Failure" as const, message: error.message }))
      )
    }

    const runWorker = (w: Worker) =>
      Effect.gen(function* () {
        let containerId: string | undefined
        let lastResult: Verdict | undefined
        let run = 0
        let onHold = false
        const initial = (): Verdict | undefined =>
          w.kind === "readiness"
            ? w.readyBefore
              ? "Success"
              : "Failure"
            : w.kind === "liveness"
              ? "Success"
              : undefined

        /** One probe round; the milliseconds to wait before the next, or undefined to wait for a wake. */
        const round = Effect.gen(function* () {
          const target = w.target
          if (target === undefined) return undefined
          if (target.id !== containerId) {
            if (containerId !== undefined) setResult(containerId, w.kind, undefined)
            containerId = target.id
            setResult(containerId, w.kind, initial())
            lastResult = undefined
            run = 0
            onHold = false
          }
          if (target.state !== "Running") {
            if (result(target.id, w.kind) !== "Failure") {
              setResult(target.id, w.kind, "Failure")
              yield* changed(w)
            }
            return undefined
          }
          if (onHold) return undefined
          const startupPassed = w.container.startupProbe === undefined || result(target.id, "startup") === "Success"
          if (w.kind === "startup" ? startupPassed : !startupPassed) return undefined
          const now = yield* Clock.currentTimeMillis
          const due = (target.startedAt ?? now) + (w.probe.initialDelaySeconds ?? 0) * 1000
          if (due > now) return due - now
          const outcome = yield* runProbe(w, target)
          if (outcome.verdict === "Failure") {
            yield* recorder.event(
              w.pod,
              "Warning",
              "Unhealthy",
              `${capitalized[w.kind]} probe failed: ${outcome.message}`
            )
          }
          run = outcome.verdict === lastResult ? run + 1 : 1
          lastResult = outcome.verdict
          const threshold =
            outcome.verdict === "Failure" ? (w.probe.failureThreshold ?? 3) : (w.probe.successThreshold ?? 1)
          if (run >= threshold && result(target.id, w.kind) !== outcome.verdict) {
            setResult(target.id, w.kind, outcome.verdict)
            // A failed liveness or startup probe means a restart; probing that instance again is pointless.
            if (outcome.verdict === "Failure" && w.kind !== "readiness") {
              onHold = true
              run = 0
            }
            yield* changed(w)
          }
          return Math.max(1, w.probe.periodSeconds ?? 10) * 1000
        })

        while (true) {
          const wait = yield* round
          yield* wait === undefined
            ? Queue.take(w.wake)
            : Effect.race(Effect.sleep(Duration.millis(wait)), Queue.take(w.wake))
        }
      })

    const update = (pod: Pod, runtimePod: RuntimePod, previous: PodStatus | undefined) =>
      // A pod without probes (their spec cannot change) has no workers: most syncs end here.
      !(pod.spec?.containers ?? []).some((c) => kinds.some((kind) => probeOf(c, kind) !== undefined))
        ? Effect.void
        : Effect.gen(function* () {
            const uid = pod.metadata.uid ?? ""
            const readyIds = new Set(
              (previous?.containerStatuses ?? []).flatMap((s) =>
                s.ready === true && s.containerID !== undefined
                  ? [s.containerID.slice(s.containerID.indexOf("://") + 3)]
                  : []
              )
            )
            for (const container of pod.spec?.containers ?? []) {
              for (const kind of kinds) {
                const probe = probeOf(container, kind)
                if (probe === undefined) continue
                const key = `${uid}\u0000${container.name}\u0000${kind}`
                const target = RuntimePodOps.latest(runtimePod, container.name ?? "")
                let w = workers.get(key)
                if (w === undefined) {
                  const readyBefore = target !== undefined && readyIds.has(target.id)
                  w = { uid, kind, pod, container, probe, target, readyBefore, wake: yield* Queue.sliding<void>(1) }
                  workers.set(key, w)
                  yield* FiberMap.run(fibers, key, runWorker(w))
                  continue
                }
                w.pod = pod
                const moved = w.target?.id !== target?.id || w.target?.state !== target?.state
                w.target = target
                w.readyBefore = target !== undefined && readyIds.has(target.id)
                if (moved) yield* Queue.offer(w.wake, undefined)
              }
            }
          })

    const removePod = (uid: string) =>
      Effect.forEach(
        [...workers.entries()].filter(([, w]) => w.uid === uid),
        ([key, w]) =>
          Effect.zipRight(
            FiberMap.remove(fibers, key),
            Effect.sync(() => {
              workers.delete(key)
              if (w.target !== undefined) results.delete(w.target.id)
            })
          ),
        { discard: true }
      )

    return { update, result, removePod }
  })
