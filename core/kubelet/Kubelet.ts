/**
 * The kubelet: the node agent over the ContainerRuntime. It registers and heartbeats its Node
 * (NodeStatus), watches the pods bound to it, admits each (resources must fit), and keeps one
 * worker per pod that brings the runtime to the pod's spec and reports the pod's status: init
 * containers in order, restarts per restartPolicy with CrashLoopBackOff, probes, image pulls,
 * graceful deletion (containers stopped within the grace period, then the pod deleted for good).
 * Syncs are triggered by pod events, runtime events, a relist of the runtime, probe verdicts,
 * backoff expiry and a periodic resync. At start it re-adopts what the runtime already runs and
 * removes what belongs to no pod here; closing its scope stops the kubelet, not the containers.
 */
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as HashMap from "effect/HashMap"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type { Pod } from "../api/Pod.js"
import { Pods } from "../api/Pod.js"
import * as PullStream from "../apiserver/PullStream.js"
import { Client } from "../client/Client.js"
import * as EventRecorder from "../client/EventRecorder.js"
import * as Informer from "../informer/Informer.js"
import { ContainerRuntime } from "../runtime/ContainerRuntime.js"
import { planted } from "../testing/KnownBugs.js"
import * as Backoff from "./Backoff.js"
import { periods } from "./KubeletOptions.js"
import * as NodeStatus from "./NodeStatus.js"
import * as PodActions from "./PodActions.js"
import * as PodAdmission from "./PodAdmission.js"
import type { StartFailure } from "./PodStatus.js"
import * as PodStatus from "./PodStatus.js"
import * as PodWorkers from "./PodWorkers.js"
import * as Prober from "./Prober.js"
import * as RuntimePod from "./RuntimePod.js"
import * as StatusWriter from "./StatusWriter.js"
import * as SyncPod from "./SyncPod.js"
import { rfc3339 } from "../api/time.js"

/** What the kubelet is started with: its KubeletOptions plus the node-status knobs. */
export type KubeletOptions = NodeStatus.NodeStatusOptions

/** What the kubelet knows of one pod it was given. */
interface PodRecord {
  /** The latest state seen (the last one, once deleted). */
  pod: Pod
  /** Gone from the API server (or no longer bound here). */
  deleted: boolean
  readonly admission: PodAdmission.AdmitResult
  /** When the kubelet first synced the pod, RFC 3339. */
  startTime: string | undefined
  /** Why containers could not start on the last try, by name (the reason cache). */
  readonly failures: Map<string, StartFailure>
  /** The pod's worker fiber has the pod's name in its log annotations (set on its first sync). */
  annotated: boolean
}

const isTerminalPhase = (phase: string | undefined) => phase === "Succeeded" || phase === "Failed"

/** Creation order (oldest first), as the kubelet admits pods. */
const byCreation = (a: Pod, b: Pod) => {
  const [x, y] = [a.metadata.creationTimestamp ?? "", b.metadata.creationTimestamp ?? ""]
  const [m, n] = [a.metadata.name ?? "", b.metadata.name ?? ""]
  return x < y ? -1 : x > y ? 1 : m < n ? -1 : m > n ? 1 : 0
}

/** The engine name in container ids: `docker` for "docker://27.5.1". */
const runtimeTypeOf = (version: string) => {
  const at = version.indexOf("://")
  return at < 0 ? version : version.slice(0, at)
}

/** A sync's outcome when the pod needs no sync until something about it changes. */
const quiet: PodWorkers.SyncOutcome = { done: false }

/** What a sync with nothing to do in the runtime did. */
const nothingDone: SyncPod.SyncResult = { failures: new Map(), retryAfter: undefined }

/** How soon a pod status write that failed is tried again (the status manager's syncPeriod). */
const statusRetryMillis = 10_000

/** The runtime as it looks to a kubelet that lists only what it started itself (known bug kubeletForgetsContainers). */
const forgetting = (runtime: ContainerRuntime["Type"]): Effect.Effect<ContainerRuntime["Type"]> =>
  Effect.gen(function* () {
    const sandboxes = yield* runtime.listSandboxes.pipe(Effect.orElseSucceed(() => []))
    const containers = yield* runtime.listContainers.pipe(Effect.orElseSucceed(() => []))
    const before = new Set([...sandboxes.map((s) => s.id), ...containers.map((c) => c.id)])
    return {
      ...runtime,
      listSandboxes: Effect.map(runtime.listSandboxes, (all) => all.filter((s) => !before.has(s.id))),
      listContainers: Effect.map(runtime.listContainers, (all) => all.filter((c) => !before.has(c.id))),
      listPod: (podUid) =>
        Effect.map(runtime.listPod(podUid), (listing) => ({
          sandboxes: listing.sandboxes.filter((s) => !before.has(s.id)),
          containers: listing.containers.filter((c) => !before.has(c.id))
        }))
    }
  })

/**
 * Starts a kubelet in the current scope: node registration and heartbeats, the pod informer,
 * the pod workers and the runtime watchers. Returns at once.
 */
export const make = (options: KubeletOptions): Effect.Effect<void, never, Client | ContainerRuntime | Scope.Scope> =>
  Effect.gen(function* () {
    const runtime = (yield* planted("kubeletForgetsContainers"))
      ? // Known bug kubeletForgetsContainers: the containers already running are no pod's, so they are started again.
        yield* forgetting(yield* ContainerRuntime)
      : yield* ContainerRuntime
    const client = yield* Client
    const scope = yield* Effect.scope
    const nodeName = options.nodeName
    const { syncFrequency, runtimeRelistPeriod, minWatchTimeout, maxContainerRestartBackoff } = periods(options)
    const hostIP = options.nodeIP ?? NodeStatus.defaultNodeIP(nodeName)

    yield* NodeStatus.run(options)
    const recorder = yield* EventRecorder.make("kubelet", nodeName)
    const statusWriter = yield* StatusWriter.make
    const informer = yield* Informer.make(Pods, { fieldSelector: `spec.nodeName=${nodeName}`, minWatchTimeout })
    const maxBackoff = Duration.toMillis(maxContainerRestartBackoff)
    const ctx: SyncPod.SyncContext = {
      recorder,
      crashBackoff: Backoff.make(10_000, maxBackoff),
      imageBackoff: Backoff.make(10_000, maxBackoff)
    }
    const records = new Map<string, PodRecord>()
    let runtimeType = "unknown"

    const latestStatus = (record: PodRecord) => statusWriter.latest(record.pod)
    const isTerminal = (record: PodRecord) => isTerminalPhase(latestStatus(record)?.phase)

    /** Admission against the pods admitted before that still run (HandlePodAdditions' canAdmitPod). */
    const admit = (pod: Pod): PodAdmission.AdmitResult => {
      if (isTerminalPhase(pod.status?.phase) || pod.metadata.deletionTimestamp !== undefined) return { admitted: true }
      const running = [...records.values()]
        .filter((r) => r.admission.admitted && !r.deleted && !isTerminal(r))
        .map((r) => r.pod)
      return PodAdmission.admit(pod, running, options.capacity)
    }

    const remember = (pod: Pod): PodRecord => {
      const uid = pod.metadata.uid ?? ""
      const existing = records.get(uid)
      if (existing !== undefined) {
        existing.pod = pod
        return existing
      }
      const record: PodRecord = {
        pod,
        deleted: false,
        admission: admit(pod),
        startTime: pod.status?.startTime,
        failures: new Map(),
        annotated: false
      }
      records.set(uid, record)
      return record
    }

    const deleteFromApi = (pod: Pod) =>
      client
        .delete(Pods, pod.metadata.name ?? "", {
          namespace: pod.metadata.namespace ?? "default",
          gracePeriodSeconds: 0,
          preconditions: { uid: pod.metadata.uid ?? "" }
        })
        .pipe(
          Effect.asVoid,
          Effect.catchAll((error) =>
            error._tag === "NotFound" || error._tag === "Conflict"
              ? Effect.void
              : Effect.logWarning(`could not delete pod ${pod.metadata.name}`, error)
          )
        )

    const generate = (record: PodRecord, runtimePod: RuntimePod.RuntimePod, terminal: boolean, now: number) =>
      PodStatus.generate({
        pod: record.pod,
        previous: latestStatus(record),
        runtimePod,
        runtimeType,
        ready: (c, info) => (c.readinessProbe === undefined ? true : prober.result(info.id, "readiness") === "Success"),
        started: (c, info) => (c.startupProbe === undefined ? true : prober.result(info.id, "startup") === "Success"),
        reasons: record.failures,
        terminal,
        hostIP,
        startTime: record.startTime ?? rfc3339(now),
        now: rfc3339(now)
      })

    const forget = (uid: string) =>
      Effect.gen(function* () {
        yield* prober.removePod(uid)
        const record = records.get(uid)
        records.delete(uid)
        statusWriter.forget(uid)
        if (record === undefined) return
        for (const c of [...(record.pod.spec?.initContainers ?? []), ...(record.pod.spec?.containers ?? [])]) {
          ctx.crashBackoff.reset(`${uid}_${c.name}`)
          ctx.imageBackoff.reset(`${uid}_${c.image}`)
        }
      })

    /** Graceful deletion: stop everything within the grace period, report the final status, delete for good. */
    const terminate = (record: PodRecord, runtimePod: RuntimePod.RuntimePod) =>
      Effect.gen(function* () {
        const pod = record.pod
        yield* prober.removePod(pod.metadata.uid ?? "")
        yield* SyncPod.killPod(ctx, pod, runtimePod, Math.max(1, SyncPod.gracePeriodOf(pod)))
        const stopped = yield* RuntimePod.get(pod.metadata.uid ?? "")
        const now = yield* Clock.currentTimeMillis
        yield* statusWriter.write(record.pod, generate(record, stopped, true, now))
        yield* SyncPod.removePod(stopped)
        yield* deleteFromApi(pod)
      })

    /** A second deletion of a terminating pod with a shorter grace period (kubectl delete --grace-period=1, --force). */
    const shortened = (old: Pod, pod: Pod) =>
      old.metadata.deletionTimestamp !== undefined &&
      pod.metadata.deletionTimestamp !== undefined &&
      SyncPod.gracePeriodOf(pod) < SyncPod.gracePeriodOf(old)

    /**
     * The termination under way waits out the old grace period; as the kubelet cancels it, a kill
     * with the new one runs beside it, and the stop it waits on returns as soon as the containers exit.
     */
    const hurry = (pod: Pod) =>
      Effect.gen(function* () {
        const runtimePod = yield* RuntimePod.get(pod.metadata.uid ?? "")
        yield* SyncPod.killPod(ctx, pod, runtimePod, Math.max(1, SyncPod.gracePeriodOf(pod)))
      }).pipe(
        Effect.catchAll((error) =>
          Effect.logWarning(`could not shorten the termination of ${pod.metadata.name}`, error)
        ),
        Effect.provideService(ContainerRuntime, runtime),
        Effect.forkIn(scope),
        Effect.asVoid
      )

    // Runs on the pod's own worker fiber (PodWorkers), whose logs carry the pod from its first sync on:
    // cheaper than Effect.annotateLogs around each sync (25 Effect operations). A record lives as long
    // as its worker, so annotating once per record is once per worker.
    const syncPod = (uid: string): Effect.Effect<PodWorkers.SyncOutcome, never, ContainerRuntime> =>
      Effect.gen(function* () {
        const record = records.get(uid)
        if (record?.annotated !== true) {
          yield* FiberRef.update(
            FiberRef.currentLogAnnotations,
            HashMap.set<string, unknown>("pod", record?.pod.metadata.name ?? uid)
          )
          if (record !== undefined) record.annotated = true
        }
        const runtimePod = yield* RuntimePod.get(uid)
        const resync: PodWorkers.SyncOutcome = { done: false, resyncAfter: syncFrequency }
        if (record === undefined || record.deleted) {
          // Not (or no longer) a pod of this node: nothing of it may run.
          yield* SyncPod.killPod(
            ctx,
            record?.pod,
            runtimePod,
            record === undefined ? undefined : Math.max(1, SyncPod.gracePeriodOf(record.pod))
          )
          yield* SyncPod.removePod(yield* RuntimePod.get(uid))
          yield* forget(uid)
          return { done: true }
        }
        const pod = record.pod
        if (!record.admission.admitted) {
          const { reason, message } = record.admission
          if (latestStatus(record)?.phase !== "Failed") yield* recorder.event(pod, "Warning", reason, message)
          yield* statusWriter.write(record.pod, {
            ...pod.status,
            phase: "Failed",
            reason,
            message: `Pod was rejected: ${message}`
          })
          if (pod.metadata.deletionTimestamp !== undefined) yield* deleteFromApi(pod)
          return resync
        }
        if (pod.metadata.deletionTimestamp !== undefined) {
          yield* terminate(record, runtimePod)
          return resync
        }
        const now = yield* Clock.currentTimeMillis
        record.startTime ??= rfc3339(now)
        if (isTerminal(record)) {
          // A finished pod's containers never run again (after a kubelet restart too).
          if (RuntimePod.isRunning(runtimePod)) yield* SyncPod.killPod(ctx, pod, runtimePod)
          yield* prober.removePod(uid)
          return resync
        }
        const actions = PodActions.compute(pod, runtimePod, (id, kind) => prober.result(id, kind))
        // Nothing to do (most syncs of a running pod): the runtime holds what it held at the start of the sync.
        const idle = PodActions.isEmpty(actions)
        const result = idle ? nothingDone : yield* SyncPod.apply(ctx, pod, runtimePod, actions)
        for (const [name, failure] of result.failures) {
          if (failure === undefined) record.failures.delete(name)
          else record.failures.set(name, failure)
        }
        const after = idle ? runtimePod : yield* RuntimePod.get(uid)
        yield* SyncPod.collectGarbage(after)
        yield* prober.update(pod, after, latestStatus(record))
        const written = yield* statusWriter.write(
          record.pod,
          generate(record, after, false, yield* Clock.currentTimeMillis)
        )
        if (isTerminal(record)) yield* prober.removePod(uid)
        // A status that could not be written is tried again within the status manager's 10 s, not the 60 s resync.
        const retryAfter = written
          ? result.retryAfter
          : Math.min(result.retryAfter ?? statusRetryMillis, statusRetryMillis)
        // Nothing to do, status written, no retry due: a periodic sync would find the same, since every
        // input of a sync (the pod, the runtime's events and relist, probe verdicts) asks for one through
        // `update`. So the pod waits for that instead: Kubernetes' resync, which changes nothing for such
        // a pod, costs nothing here.
        if (idle && retryAfter === undefined) return quiet
        return retryAfter === undefined
          ? resync
          : { done: false, resyncAfter: Duration.millis(Math.min(retryAfter, Duration.toMillis(syncFrequency))) }
      }).pipe(
        Effect.catchAll((error) =>
          Effect.as(Effect.logWarning(`sync of pod ${uid} failed`, error), {
            done: false,
            resyncAfter: Duration.seconds(10)
          })
        )
      )

    const workers = yield* Effect.provideService(PodWorkers.make(syncPod), ContainerRuntime, runtime)
    const prober = yield* Prober.make(recorder, (uid) => workers.update(uid))

    /** PLEG's relist: a pod whose runtime state changed since the last look gets a sync. */
    const relist = Effect.gen(function* () {
      let seen: ReadonlyMap<string, RuntimePod.RuntimePod> = new Map()
      const listed = Effect.orElseSucceed(RuntimePod.listFrom(yield* ContainerRuntime), () => undefined)
      const clock = yield* Effect.clock
      while (true) {
        const pods = yield* listed
        // The same map as the last relist's: the runtime answered the same listings, nothing changed.
        if (pods !== undefined && pods !== seen) {
          for (const [uid, was] of seen) if (!RuntimePod.sameStates(was, pods.get(uid))) yield* workers.update(uid)
          for (const uid of pods.keys()) if (!seen.has(uid)) yield* workers.update(uid)
          seen = pods
        }
        const at = clock.unsafeCurrentTimeMillis()
        ctx.crashBackoff.gc(at)
        ctx.imageBackoff.gc(at)
        yield* clock.sleep(runtimeRelistPeriod)
      }
    })

    // Pulled directly (see PullStream): a stream stage would cost more than the update. Most chunks hold one event.
    const runtimeEvents = PullStream.runForEachChunk(runtime.events, (events) =>
      events.length === 1
        ? workers.update(Chunk.unsafeHead(events).podUid)
        : Effect.forEach(events, (event) => workers.update(event.podUid), { discard: true })
    ).pipe(
      Effect.catchAll((error) => Effect.logWarning("runtime events stream failed", error)),
      Effect.repeat(Schedule.spaced("1 second"))
    )

    const start = Effect.gen(function* () {
      runtimeType = runtimeTypeOf(
        yield* runtime.version.pipe(
          Effect.tapError((error) => Effect.logWarning("container runtime not answering, retrying", error)),
          Effect.retry(Schedule.spaced("1 second"))
        )
      )
      yield* informer.waitForSync
      // Pods already bound here are admitted oldest first, as a restarting kubelet does.
      for (const pod of [...informer.list()].sort(byCreation)) remember(pod)
      yield* informer.addHandler({
        onAdd: (pod) => Effect.suspend(() => workers.update(remember(pod).pod.metadata.uid ?? "")),
        onUpdate: (old, pod) =>
          Effect.suspend(() => {
            remember(pod)
            if (shortened(old, pod)) return Effect.zipRight(hurry(pod), workers.update(pod.metadata.uid ?? ""))
            // A status we wrote ourselves needs no sync; anything else (spec, deletion, others' writes) does.
            return old !== pod && statusWriter.isOwnWrite(pod) ? Effect.void : workers.update(pod.metadata.uid ?? "")
          }),
        onDelete: (pod) =>
          Effect.suspend(() => {
            const record = records.get(pod.metadata.uid ?? "")
            if (record !== undefined) record.deleted = true
            return workers.update(pod.metadata.uid ?? "")
          })
      })
      yield* Effect.forkScoped(runtimeEvents)
      yield* Effect.forkScoped(relist)
    })

    yield* Effect.forkScoped(start)
  }).pipe(Effect.annotateLogs({ component: "kubelet", node: options.nodeName }))
