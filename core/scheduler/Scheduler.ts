/**
 * The scheduler (kube-scheduler's `scheduleOne` loop): takes one pending pod at a time from the
 * scheduling queue, runs its profile's framework over the cache's snapshot, assumes the pod on
 * the chosen node and binds it through the `binding` subresource in a binding cycle that runs
 * on a binder fiber, concurrently with the next cycles. A pod that fits nowhere gets
 * `PodScheduled=False` with the per-node reasons and a FailedScheduling event, and waits in the
 * queue for a cluster change that may help.
 */
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Random from "effect/Random"
import type * as Scope from "effect/Scope"
import { Nodes } from "../api/Node.js"
import { type Pod, Pods } from "../api/Pod.js"
import { rfc3339 } from "../api/time.js"
import { Client } from "../client/Client.js"
import * as EventRecorder from "../client/EventRecorder.js"
import * as LeaderElection from "../client/LeaderElection.js"
import { SharedInformers } from "../informer/SharedInformers.js"
import { isPodTerminal } from "../controllers/PodConditions.js"
import { planted } from "../testing/KnownBugs.js"
import { Cache } from "./Cache.js"
import * as Framework from "./framework/Framework.js"
import { CycleState, type ClusterEvent, type Handle, seededRandom } from "./framework/Plugin.js"
import * as Status from "./framework/Plugin.js"
import * as Profiles from "./Profile.js"
import type { Profile } from "./Profile.js"
import { defaultRegistry, type Registry } from "./registry.js"
import { podKey, type QueuedPodInfo, SchedulingQueue } from "./SchedulingQueue.js"

/** A profile name that is not shipped, a plugin that is not registered, or bad plugin arguments. */
export class InvalidSchedulerConfig extends Data.TaggedError("InvalidSchedulerConfig")<{ readonly message: string }> {}

export interface SchedulerOptions {
  /** The profile for pods with `schedulerName: default-scheduler` (and its own name); default `default`. */
  readonly profile?: string | Profile
  /** More profiles, each serving the pods that name its `schedulerName`. */
  readonly profiles?: ReadonlyArray<string | Profile>
  /** Plugins added to (or replacing) the shipped ones, by name. */
  readonly registry?: Registry
  /** Overrides every profile's percentageOfNodesToScore (100 = score every feasible node). */
  readonly percentageOfNodesToScore?: number
  readonly podInitialBackoff?: Duration.DurationInput
  readonly podMaxBackoff?: Duration.DurationInput
  /** Reported as the event source's host and the binder's identity. */
  readonly identity?: string
  /** A clock for the frameworks' per-extension-point timings (a benchmark's `performance.now`); none by default. */
  readonly now?: () => number
}

/** What a running scheduler reports (for tests, metrics and the benchmarks). */
export interface SchedulerStats {
  /** Pods bound by this scheduler. */
  readonly scheduled: number
  /** Cycles that found no node. */
  readonly unschedulableAttempts: number
  /** Bindings the API refused or that failed. */
  readonly bindFailures: number
  readonly pending: { readonly active: number; readonly backoff: number; readonly unschedulable: number }
  /** Scheduling cycles run (each decides one pod: a node, or unschedulable). */
  readonly cycles: number
  /** Time per extension point summed over every profile's cycles, in `now`'s unit; all 0 without `now`. */
  readonly timings: Framework.Timings
}

export interface Scheduler {
  readonly stats: () => SchedulerStats
}

/** A pod assumed on its node, waiting for its binding cycle. */
interface PendingBinding {
  readonly framework: Framework.Framework
  readonly state: CycleState
  readonly info: QueuedPodInfo
  readonly nodeName: string
  /** The scheduling cycle that chose the node. */
  readonly cycle: number
}

/** How many binding cycles run at once. */
const binders = 16

const resolveProfile = (p: string | Profile): Effect.Effect<Profile, InvalidSchedulerConfig> => {
  if (typeof p !== "string") return Effect.succeed(p)
  const found = Profiles.byName(p)
  return found === undefined
    ? Effect.fail(
        new InvalidSchedulerConfig({
          message: `unknown scheduler profile "${p}" (known: ${Object.keys(Profiles.profiles).join(", ")})`
        })
      )
    : Effect.succeed(found)
}

/** Whether the pod's labels differ (pod affinity and spreading select by them); runs for every pod update. */
const labelsChanged = (old: Pod, pod: Pod) => {
  const [a, b] = [old.metadata.labels ?? {}, pod.metadata.labels ?? {}]
  if (a === b) return false
  const keys = Object.keys(a)
  if (keys.length !== Object.keys(b).length) return true
  for (const key of keys) if (!Object.hasOwn(b, key) || a[key] !== b[key]) return true
  return false
}

/** Starts the scheduler in the current scope; it runs until the scope closes. */
export const make = (
  options: SchedulerOptions = {}
): Effect.Effect<Scheduler, InvalidSchedulerConfig, Client | SharedInformers | Scope.Scope> =>
  Effect.gen(function* () {
    const client = yield* Client
    const informers = yield* SharedInformers
    const identity = options.identity ?? "default-scheduler"
    const recorder = yield* EventRecorder.make("default-scheduler", identity)
    const registry: Registry = { ...defaultRegistry, ...options.registry }
    const handle: Handle = {
      bind: (pod, nodeName) =>
        client.bind(pod.metadata.name ?? "", pod.metadata.namespace ?? "default", nodeName).pipe(
          Effect.as(Status.success),
          Effect.catchAll((e) => Effect.succeed(Status.error(e.message)))
        )
    }

    // One framework per schedulerName; the main profile also serves default-scheduler pods.
    const frameworks = new Map<string, Framework.Framework>()
    const addProfile = (p: string | Profile, main: boolean) =>
      Effect.gen(function* () {
        const resolved = yield* resolveProfile(p)
        const profile =
          options.percentageOfNodesToScore === undefined
            ? resolved
            : { ...resolved, percentageOfNodesToScore: options.percentageOfNodesToScore }
        const framework = Framework.make(
          profile,
          registry,
          handle,
          options.now === undefined ? {} : { now: options.now }
        )
        if (framework._tag === "Left") return yield* new InvalidSchedulerConfig({ message: framework.left })
        frameworks.set(profile.schedulerName, framework.right)
        if (main) frameworks.set("default-scheduler", framework.right)
      })
    yield* addProfile(options.profile ?? "default", true)
    for (const p of options.profiles ?? []) yield* addProfile(p, false)
    const frameworkFor = (pod: Pod) => frameworks.get(pod.spec?.schedulerName ?? "default-scheduler")
    const anyFramework = frameworks.get("default-scheduler")!

    const queue = new SchedulingQueue({
      podInitialBackoffMillis: Duration.toMillis(options.podInitialBackoff ?? "1 second"),
      podMaxBackoffMillis: Duration.toMillis(options.podMaxBackoff ?? "10 seconds")
    })
    const cache = new Cache()
    const ignoresAssumed = yield* planted("schedulerIgnoresAssumed")
    const counters = { scheduled: 0, unschedulableAttempts: 0, bindFailures: 0 }
    const mayHelp = (plugins: ReadonlySet<string>, event: ClusterEvent) => anyFramework.mayHelp(plugins, event)
    const moveAll = (event: ClusterEvent) =>
      Effect.map(Clock.currentTimeMillis, (now) => queue.moveAllToActiveOrBackoff(event, mayHelp, now))

    const responsible = (pod: Pod) =>
      (pod.spec?.nodeName ?? "") === "" &&
      !isPodTerminal(pod) &&
      pod.metadata.deletionTimestamp === undefined &&
      (pod.spec?.schedulingGates?.length ?? 0) === 0 &&
      frameworkFor(pod) !== undefined
    const bound = (pod: Pod) => (pod.spec?.nodeName ?? "") !== ""

    const nodeInformer = yield* informers.informer(Nodes)
    const podInformer = yield* informers.informer(Pods)
    yield* nodeInformer.addHandler({
      onAdd: (node) =>
        Effect.zipRight(
          Effect.sync(() => cache.addNode(node)),
          moveAll({ resource: "Node", action: "Add" })
        ),
      onUpdate: (_old, node) =>
        Effect.zipRight(
          Effect.sync(() => cache.updateNode(node)),
          moveAll({ resource: "Node", action: "Update" })
        ),
      onDelete: (node) => Effect.sync(() => cache.removeNode(node))
    })
    yield* podInformer.addHandler({
      onAdd: (pod) =>
        bound(pod)
          ? Effect.zipRight(
              Effect.sync(() => cache.addPod(pod)),
              moveAll({ resource: "Pod", action: "Add" })
            )
          : responsible(pod)
            ? Effect.map(Clock.currentTimeMillis, (now) => queue.add(pod, now))
            : Effect.void,
      onUpdate: (old, pod) => {
        if (bound(pod)) {
          if (!bound(old)) queue.delete(pod)
          cache.updatePod(pod)
          if (isPodTerminal(pod) && !isPodTerminal(old)) return moveAll({ resource: "Pod", action: "Delete" })
          return labelsChanged(old, pod) ? moveAll({ resource: "Pod", action: "Update" }) : Effect.void
        }
        if (!responsible(pod)) return Effect.sync(() => queue.delete(pod))
        return Effect.map(Clock.currentTimeMillis, (now) => queue.update(old, pod, now))
      },
      onDelete: (pod) =>
        bound(pod)
          ? Effect.zipRight(
              Effect.sync(() => cache.removePod(pod)),
              moveAll({ resource: "Pod", action: "Delete" })
            )
          : Effect.sync(() => queue.delete(pod))
    })

    const markUnschedulable = (pod: Pod, message: string) =>
      Effect.gen(function* () {
        const current = podInformer.get(podKey(pod)) ?? pod
        const condition = current.status?.conditions?.find((c) => c.type === "PodScheduled")
        if (condition?.status === "False" && condition.reason === "Unschedulable" && condition.message === message)
          return
        const now = rfc3339(yield* Clock.currentTimeMillis)
        const patch = {
          status: {
            conditions: [
              {
                type: "PodScheduled",
                status: "False",
                reason: "Unschedulable",
                message,
                lastProbeTime: null,
                lastTransitionTime: condition?.status === "False" ? (condition.lastTransitionTime ?? now) : now
              }
            ]
          }
        }
        yield* client
          .patch(Pods, pod.metadata.name ?? "", patch, {
            type: "strategic",
            namespace: pod.metadata.namespace ?? "default",
            subresource: "status"
          })
          .pipe(Effect.catchAll((e) => Effect.logDebug(`cannot mark ${podKey(pod)} unschedulable: ${e.message}`)))
      })

    const failed = (info: QueuedPodInfo, cycle: number, plugins: ReadonlySet<string>) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        info.unschedulablePlugins = plugins
        queue.addUnschedulable(info, cycle, now)
      })

    // A few long-lived binder fibers take the binding cycles in turn: a fiber forked per pod would
    // cost more than its scheduling cycle. They bound how many bindings are in flight, as the
    // client's QPS limit bounds kube-scheduler's.
    const bindings = yield* Queue.unbounded<PendingBinding>()

    /** The binding cycle: runs on a binder fiber, concurrently with the next scheduling cycles, as in Kubernetes. */
    const bindingCycle = ({ framework, state, info, nodeName, cycle }: PendingBinding) =>
      Effect.gen(function* () {
        const status = yield* framework.bind(state, info.pod, nodeName)
        if (Status.isSuccess(status)) {
          counters.scheduled++
          queue.done(info.key)
          yield* recorder.event(info.pod, "Normal", "Scheduled", `Successfully assigned ${info.key} to ${nodeName}`)
          return
        }
        counters.bindFailures++
        cache.forgetPod(info.pod)
        yield* framework.unreserve(state, info.pod, nodeName)
        yield* Effect.logDebug(`binding ${info.key} to ${nodeName} failed: ${status.reasons.join("; ")}`)
        yield* failed(info, cycle, new Set())
      })

    const scheduleOne = (info: QueuedPodInfo) =>
      Effect.gen(function* () {
        const pod = podInformer.get(info.key)
        if (pod === undefined || !responsible(pod)) {
          queue.done(info.key)
          return
        }
        info.pod = pod
        const framework = frameworkFor(pod)!
        const cycle = queue.schedulingCycle
        const state = new CycleState(seededRandom(yield* Random.nextIntBetween(0, 0x7fffffff)))
        const result = framework.schedule(state, pod, cache.snapshot())
        if (result._tag === "Error") {
          yield* Effect.logWarning(`scheduling ${info.key}: ${result.message}`)
          return yield* failed(info, cycle, new Set())
        }
        if (result._tag === "Unschedulable") {
          counters.unschedulableAttempts++
          const post = yield* framework.postFilter(state, pod, result.diagnosis)
          const message = [result.diagnosis.message, ...post.status.reasons].join(" ")
          yield* recorder.event(pod, "Warning", "FailedScheduling", message)
          yield* markUnschedulable(pod, message)
          return yield* failed(info, cycle, result.diagnosis.unschedulablePlugins)
        }
        // Known bug schedulerIgnoresAssumed: the next cycles do not count this pod until its binding is observed.
        if (!ignoresAssumed) cache.assumePod(pod, result.nodeName)
        const reserved = yield* framework.reserve(state, pod, result.nodeName)
        if (!Status.isSuccess(reserved)) {
          cache.forgetPod(pod)
          return yield* failed(info, cycle, new Set())
        }
        bindings.unsafeOffer({ framework, state, info, nodeName: result.nodeName, cycle })
      })

    // A bind plugin that dies fails its own binding only, as a fiber of its own would.
    const bindNext = Effect.flatMap(Queue.take(bindings), (binding) =>
      Effect.catchAllDefect(bindingCycle(binding), (defect) =>
        Effect.logError(`binding ${binding.info.key} to ${binding.nodeName} died`, defect)
      )
    )
    for (let i = 0; i < binders; i++) yield* Effect.forkScoped(Effect.forever(bindNext))
    // As kube-scheduler: no pod is placed before the caches hold every node and bound pod.
    yield* Effect.all([nodeInformer.waitForSync, podInformer.waitForSync])
    yield* Effect.forkScoped(Effect.forever(Effect.flatMap(queue.pop, scheduleOne)))
    // kube-scheduler's one-second ticker, from `ticks` on; it sleeps through the seconds in which no pod backs off.
    const ticks = yield* Clock.currentTimeMillis
    yield* Effect.forkScoped(
      Effect.forever(
        Effect.zipRight(
          queue.awaitBackoff,
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            Effect.zipRight(
              Effect.sleep(1000 - ((now - ticks) % 1000)),
              Effect.map(Clock.currentTimeMillis, (now) => queue.flushBackoffCompleted(now))
            )
          )
        )
      )
    )
    yield* Effect.forkScoped(
      Effect.forever(
        Effect.zipRight(
          Effect.sleep("30 seconds"),
          Effect.map(Clock.currentTimeMillis, (now) => queue.flushUnschedulableLeftover(now))
        )
      )
    )
    yield* Effect.addFinalizer(() => Effect.sync(() => queue.close()))
    const timings = (): Framework.Timings => {
      const sum: Framework.Timings = { preFilter: 0, filter: 0, preScore: 0, score: 0 }
      for (const framework of new Set(frameworks.values()))
        for (const point of Object.keys(sum) as Array<keyof Framework.Timings>) sum[point] += framework.timings[point]
      return sum
    }
    return {
      stats: () => ({
        ...counters,
        cycles: counters.scheduled + counters.bindFailures + counters.unschedulableAttempts,
        pending: queue.pending(),
        timings: timings()
      })
    }
  })

export interface RunOptions extends SchedulerOptions {
  /** Leader election timing; `false` schedules without a Lease (one instance only). */
  readonly leaderElection?: false | Partial<Omit<LeaderElection.LeaderElectionOptions, "identity">>
  /** Called with the scheduler each time it starts leading (its stats are this term's). */
  readonly onLeading?: (scheduler: Scheduler) => void
}

/**
 * Runs a scheduler until interrupted: campaigns for the `kube-scheduler` Lease and schedules only
 * while it leads, so two instances never place pods at once. A bad profile fails at once.
 */
export const run = (options: RunOptions = {}): Effect.Effect<never, InvalidSchedulerConfig, Client | SharedInformers> =>
  Effect.gen(function* () {
    // Check the configuration before campaigning, so a typo fails fast rather than after winning.
    for (const p of [options.profile ?? "default", ...(options.profiles ?? [])]) yield* resolveProfile(p)
    const leading = make(options).pipe(
      Effect.orDie,
      Effect.tap((scheduler) => options.onLeading?.(scheduler)),
      Effect.zipRight(Effect.never)
    )
    if (options.leaderElection === false) return yield* Effect.scoped(leading)
    return yield* LeaderElection.run(
      { lockName: "kube-scheduler", identity: options.identity ?? "default-scheduler", ...options.leaderElection },
      leading
    )
  })
