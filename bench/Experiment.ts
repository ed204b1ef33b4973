/**
 * One benchmark run: a workload under one scheduler profile with one seed, in deterministic
 * simulation, through the whole control plane (sim/cluster: the API server over a MemoryStore, the
 * scheduler, the controller-manager and a kubelet per node over its SimRuntime). Nothing goes around
 * it: the driver creates each arrival through the API at its time and the scheduler decides.
 *
 * - The run's clock starts once every node is Ready: arrival times count from there.
 * - A bare pod runs for its `duration` (the `sim.minik8s.io/run-for` annotation) and exits 0; the
 *   driver deletes it once it has Succeeded, as a Job's `ttlSecondsAfterFinished: 0` would, so
 *   finished pods do not pile up in the store. A pod without a duration runs until the end.
 * - A Deployment is created at its time and deleted (background propagation) after its lifetime.
 * - The run ends at the workload's horizon, or earlier once every arrival is in and every pod with
 *   an end has finished and every Deployment with a lifetime is gone.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Cause from "effect/Cause"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import { performance } from "node:perf_hooks"
import { type Deployment, Deployments } from "../core/api/Deployment.js"
import { type Pod, Pods } from "../core/api/Pod.js"
import type { Profile } from "../core/scheduler/Profile.js"
import type { Registry } from "../core/scheduler/registry.js"
import { runForAnnotation } from "../core/runtime/MemoryRuntime.js"
import * as Cluster from "../sim/cluster/Cluster.js"
import { Simulation, type SimulationOptions } from "../sim/clock/Simulation.js"
import * as Network from "../sim/network/Network.js"
import { transient } from "../sim/scenario/Run.js"
import { defaultTiming, type ClusterSpec, type NodeGroup as SimNodeGroup } from "../sim/scenario/Scenario.js"
import * as World from "../sim/scenario/World.js"
import * as Collector from "./metrics/Collector.js"
import type { RunResult } from "./metrics/Metrics.js"
import { manifestOf } from "./workloads/Manifests.js"
import { type Arrival, horizonOf, type Workload } from "./workloads/Workload.js"

export interface ExperimentOptions {
  /** A shipped profile's name, or a profile (with `registry` for the plugins it adds). */
  readonly profile: string | Profile
  readonly registry?: Registry
  readonly seed: number
  /** Node heartbeat (Lease renewal) period, ms; default `nodePeriods.heartbeatInterval`. */
  readonly heartbeatInterval?: number
  /** The kubelets' `syncFrequency`, ms; default `nodePeriods.syncFrequency`. */
  readonly syncFrequency?: number
  /** The kubelets' PLEG relist period, ms; default `nodePeriods.relistPeriod`. */
  readonly relistPeriod?: number
  /** The API server's bookmark interval and the kubelets' minimum watch timeout, ms; default Kubernetes' (1m, 5m). */
  readonly watchPeriod?: number
  /** Sample the cluster every this many simulated ms; default: the horizon ÷ 300, at least 1 s. */
  readonly sampleEvery?: number
  /** Told the simulated ms reached (from the start of arrivals) now and then. */
  readonly onProgress?: (simulated: number, horizon: number) => void
  /** Called before every Effect operation with the fiber that runs it (Simulation's `onOperation`: `bench/ops.ts`). */
  readonly onOperation?: SimulationOptions["onOperation"]
}

/** The workload's node groups as the simulated cluster's. */
export const clusterSpec = (workload: Workload, profile: string, heartbeatInterval: number): ClusterSpec => ({
  nodes: workload.nodes.map((g): SimNodeGroup => ({
    names: Array.from({ length: g.count }, (_, i) => `${g.name}-${i + 1}`),
    cpu: `${g.cpu}m`,
    memory: String(g.memory),
    pods: g.pods ?? 110,
    ...(g.extended === undefined
      ? {}
      : { resources: Object.fromEntries(Object.entries(g.extended).map(([k, v]) => [k, String(v)])) }),
    labels: { ...g.labels },
    taints: g.taints ?? [],
    unschedulable: false
  })),
  scheduler: { profile },
  timing: {
    ...defaultTiming,
    heartbeatInterval,
    nodeMonitorGracePeriod: Math.max(defaultTiming.nodeMonitorGracePeriod, 4 * heartbeatInterval)
  }
})

/**
 * The node periods a bench run uses unless told otherwise. Heartbeats and relists take no part in
 * scheduling, yet at the kubelet's own periods (10 s, 10 s) they are most of a run's events, so a
 * bench run renews node Leases every minute (a `nodeLeaseDurationSeconds` of 240) and relists every
 * 5 minutes (Kubernetes' Evented PLEG); the pod resync keeps the kubelet's minute.
 */
export const nodePeriods = { heartbeatInterval: 60_000, syncFrequency: 60_000, relistPeriod: 300_000 } as const

const profileName = (profile: string | Profile) => (typeof profile === "string" ? profile : profile.schedulerName)

/** Runs the workload once and answers its metrics (deterministic) and timing (wall clock). */
export const run = async (workload: Workload, options: ExperimentOptions): Promise<RunResult> => {
  const horizon = horizonOf(workload)
  const sampleEvery = options.sampleEvery ?? Math.max(1000, Math.ceil(horizon / 300 / 1000) * 1000)
  const name = profileName(options.profile)
  const spec = clusterSpec(
    workload,
    typeof options.profile === "string" ? options.profile : "default",
    options.heartbeatInterval ?? nodePeriods.heartbeatInterval
  )
  const sim = new Simulation({
    seed: options.seed,
    ...(options.onOperation === undefined ? {} : { onOperation: options.onOperation })
  })
  const collector = Collector.make(workload)
  const expectedNodes = spec.nodes.reduce((n, g) => n + g.names.length, 0)
  let t0 = 0
  let cluster: Cluster.Cluster | undefined

  const program = Effect.gen(function* () {
    const network = yield* Network.make({ latency: spec.timing.apiLatency })
    cluster = yield* Cluster.make(spec, {
      network,
      scheduler: {
        ...(typeof options.profile === "string" ? {} : { profile: options.profile }),
        ...(options.registry === undefined ? {} : { registry: options.registry }),
        now: () => performance.now()
      },
      kubelet: {
        syncFrequency: options.syncFrequency ?? nodePeriods.syncFrequency,
        runtimeRelistPeriod: options.relistPeriod ?? nodePeriods.relistPeriod,
        ...(options.watchPeriod === undefined ? {} : { minWatchTimeout: options.watchPeriod })
      },
      ...(options.watchPeriod === undefined ? {} : { bookmarkInterval: options.watchPeriod }),
      // Kubernetes checks nodes 8 times per grace period (5 s of 40 s); the grace follows the heartbeat.
      nodeMonitorPeriod: spec.timing.nodeMonitorGracePeriod / 8
    })
    const client = cluster.client
    const scope = yield* Effect.scope
    const world = yield* World.make(cluster.store)
    const retried = <A, E>(effect: Effect.Effect<A, E>) =>
      Effect.retry(effect, { schedule: Schedule.spaced("1 second"), while: transient })

    // The clock starts when every node is Ready.
    const ready = () =>
      world.nodes().filter((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")).length
    while (ready() < expectedNodes) yield* Effect.sleep(1000)
    t0 = sim.elapsed()
    const now = () => sim.elapsed() - t0
    for (const node of world.nodes())
      collector.onEvent({ type: "ADDED", kind: "Node", object: node, revision: world.revision() }, 0)

    // Work with an end still to come: bare pods with a duration, Deployments with a lifetime.
    let arrived = 0
    let open = 0
    let endless = 0
    const finished = new Set<string>()
    const done = yield* Effect.makeLatch(false)
    const checkDone = () => {
      if (arrived === workload.arrivals.length && open === 0 && endless === 0) done.unsafeOpen()
    }

    // Deletes go through a queue to a fiber of their own: the event listener must not run effects itself.
    const toDelete = yield* Queue.unbounded<string>()
    world.onEvent((event) => {
      collector.onEvent(event, now())
      if (event.kind !== "Pod") return
      const pod = event.object as Pod
      const owned = (pod.metadata.ownerReferences?.length ?? 0) > 0
      if (owned || pod.metadata.annotations?.[runForAnnotation] === undefined) return
      const key = pod.metadata.name ?? ""
      const phase = pod.status?.phase
      if (event.type === "DELETED") {
        if (finished.delete(key)) {
          open--
          checkDone()
        }
        return
      }
      if ((phase === "Succeeded" || phase === "Failed") && !finished.has(key)) {
        finished.add(key)
        Queue.unsafeOffer(toDelete, key)
      }
    })

    const sampler = Effect.forever(
      Effect.gen(function* () {
        collector.sample(now())
        options.onProgress?.(now(), horizon)
        yield* Effect.sleep(sampleEvery)
      })
    )
    const deleter = Effect.forever(
      Effect.flatMap(Queue.take(toDelete), (key) =>
        Effect.forkIn(Effect.ignore(retried(client.delete(Pods, key, { namespace: "default" }))), scope)
      )
    )

    const arrive = (arrival: Arrival) =>
      arrival.kind === "Pod"
        ? Effect.ignore(retried(client.create(Pods, manifestOf(workload, arrival) as Pod)))
        : Effect.gen(function* () {
            yield* Effect.ignore(retried(client.create(Deployments, manifestOf(workload, arrival) as Deployment)))
            if (arrival.lifetime === undefined) return
            yield* Effect.sleep(arrival.lifetime)
            yield* Effect.ignore(
              retried(
                client.delete(Deployments, arrival.name, { namespace: "default", propagationPolicy: "Background" })
              )
            )
            open--
            checkDone()
          })
    const arrivals = Effect.gen(function* () {
      for (const arrival of workload.arrivals) {
        const wait = arrival.at - now()
        if (wait > 0) yield* Effect.sleep(wait)
        if (arrival.kind === "Pod" ? arrival.duration === undefined : arrival.lifetime === undefined) endless++
        else open++
        arrived++
        // In the run's scope: a fiber forked here would be interrupted when this loop ends.
        yield* Effect.forkIn(arrive(arrival), scope)
      }
      checkDone()
    })

    yield* Effect.forkScoped(sampler)
    yield* Effect.forkScoped(deleter)
    yield* Effect.forkScoped(arrivals)
    yield* Effect.raceFirst(done.await, Effect.sleep(horizon))
    yield* Effect.sleep(0)
    collector.sample(now())
  })

  const start = performance.now()
  const exit = await sim.runAsync(
    program.pipe(
      Effect.scoped,
      Effect.provide(Logger.remove(Logger.defaultLogger)),
      Logger.withMinimumLogLevel(LogLevel.None)
    )
  )
  const wallSeconds = (performance.now() - start) / 1000
  if (Exit.isFailure(exit)) throw new Error(`run of ${workload.name} under ${name}: ${Cause.pretty(exit.cause)}`)
  const stats = cluster?.schedulerStats()
  const cycles = stats?.cycles ?? 0
  const metrics = collector.finish(sim.elapsed() - t0, { profile: name, seed: options.seed, events: sim.events() })
  const extensionPoints: Record<string, number> = {}
  for (const [point, millis] of Object.entries(stats?.timings ?? {}))
    extensionPoints[point] = cycles === 0 ? 0 : (millis * 1000) / cycles
  return {
    metrics,
    timing: {
      wallSeconds,
      throughput: cycles / wallSeconds,
      extensionPoints,
      peakRssBytes: process.resourceUsage().maxRSS * 1024
    }
  }
}
