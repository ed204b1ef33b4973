/**
 * A simulated cluster built from a scenario's `cluster` section, out of the very code real mode
 * runs: a MemoryStore behind the simulated network, the API server over it, the controller-manager,
 * the scheduler and one kubelet per node over its SimRuntime, each component reaching the API server
 * through its own link of the network. Every component runs in a scope of its own, so faults can
 * stop and restart it; a restarted component keeps its identity, as a restarted process does, and
 * so takes its own leader Lease back at once.
 *
 * Each kubelet reads its node's clock: the simulation's time plus the node's skew (`clockSkew`),
 * looked up on every reading, so a skew set later or kept across kubelet restarts shows at once.
 * What the runtime does on the kubelet's behalf reads the same clock. Sleeps take the same virtual
 * time on every node.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import { Nodes } from "../../core/api/Node.js"
import * as ApiServer from "../../core/apiserver/ApiServer.js"
import * as Client from "../../core/client/Client.js"
import { Transport } from "../../core/client/Transport.js"
import * as ControllerManager from "../../core/controllers/ControllerManager.js"
import * as SharedInformers from "../../core/informer/SharedInformers.js"
import * as Kubelet from "../../core/kubelet/Kubelet.js"
import { ContainerRuntime } from "../../core/runtime/ContainerRuntime.js"
import * as Framework from "../../core/scheduler/framework/Framework.js"
import * as Status from "../../core/scheduler/framework/Plugin.js"
import * as Profiles from "../../core/scheduler/Profile.js"
import type { PluginRef, Profile } from "../../core/scheduler/Profile.js"
import { defaultRegistry, type Registry } from "../../core/scheduler/registry.js"
import * as Scheduler from "../../core/scheduler/Scheduler.js"
import * as MemoryStore from "../../core/store/MemoryStore.js"
import { Store } from "../../core/store/Store.js"
import type { Network } from "../network/Network.js"
import * as SimRuntime from "../runtime/SimRuntime.js"
import type { ClusterSpec, CustomProfile, NodeGroup } from "../scenario/Scenario.js"

/** The components `restartComponent` knows. */
export type RestartableComponent = "scheduler" | "controller-manager" | "apiserver"

export interface ClusterOptions {
  readonly network: Network
  /** The scheduler's profile (overrides the spec's), plugins added to the shipped ones, and a clock for its timings. */
  readonly scheduler?: {
    readonly profile?: Profile
    readonly registry?: Registry
    readonly now?: () => number
  }
  /**
   * Kubelet periods besides the heartbeat (the spec's timing), ms; default the kubelet's own
   * (`syncFrequency` 1m, PLEG relist 10s). Longer periods make big, long runs cheaper to simulate:
   * the simulated runtime reports every container change as an event, so they only delay the
   * periodic resync that catches what an event missed.
   */
  readonly kubelet?: {
    readonly syncFrequency?: number
    readonly runtimeRelistPeriod?: number
    /** The kubelets' informers' minimum watch timeout (default 5m): each kubelet holds two watches. */
    readonly minWatchTimeout?: number
  }
  /** The API server's bookmark interval, ms (default 1m): a bookmark goes to every watch that asked for them. */
  readonly bookmarkInterval?: number
  /** How often the node-lifecycle controller checks every node (`--node-monitor-period`), ms; default 5 s. */
  readonly nodeMonitorPeriod?: number
}

export interface Cluster {
  /** The scenario's own client (the "scenario" component: delayed by the network, never partitioned). */
  readonly client: Client.Client["Type"]
  /** The raw store, outside the network: the runner's view of the world. */
  readonly store: MemoryStore.MemoryStore
  readonly network: Network
  /** Every node ever added, in creation order. */
  readonly nodeNames: () => ReadonlyArray<string>
  readonly runtime: (node: string) => SimRuntime.SimRuntime | undefined
  /** Every node's runtime, in creation order. */
  readonly runtimes: () => ReadonlyArray<readonly [string, SimRuntime.SimRuntime]>
  /** The group's nodes join now (names already in the cluster are skipped). */
  readonly addNodes: (group: NodeGroup) => Effect.Effect<void>
  /** Power loss: the kubelet stops and every container vanishes; no more heartbeats. */
  readonly crashNode: (node: string) => Effect.Effect<void>
  /** The node boots again, empty, and a fresh kubelet re-registers it (a running node is crashed first). */
  readonly restartNode: (node: string) => Effect.Effect<void>
  /** The kubelet stops; its containers keep running. */
  readonly stopKubelet: (node: string) => Effect.Effect<void>
  /** A fresh kubelet starts and re-adopts the containers (not on a crashed node). */
  readonly startKubelet: (node: string) => Effect.Effect<void>
  /** The running kubelet crashes and starts again at once, empty, and re-adopts; nothing when none runs. */
  readonly restartKubelet: (node: string) => Effect.Effect<void>
  /**
   * The node's clock reads `offsetMillis` ahead of the simulation's (negative: behind) from now
   * on, across kubelet restarts; sleeps are unchanged. Nothing for a node not known.
   */
  readonly clockSkew: (node: string, offsetMillis: number) => Effect.Effect<void>
  /** The pod's running container of that name exits with `exitCode`; false when no node runs one. */
  readonly crashContainer: (podUid: string, container: string, exitCode: number) => Effect.Effect<boolean>
  /** The component loses its memory and starts again (the API server: every watch ends). */
  readonly restartComponent: (component: RestartableComponent) => Effect.Effect<void>
  /** The leading scheduler's counters and timings since it last started; undefined before it leads. */
  readonly schedulerStats: () => Scheduler.SchedulerStats | undefined
}

/** The identities components hold their Leases under, the same across restarts. */
const controllerManagerIdentity = "controller-manager"
const schedulerIdentity = "default-scheduler"

/** A custom profile as the scheduler's Profile, serving `default-scheduler` pods. */
const customProfile = (custom: CustomProfile): Profile => ({
  schedulerName: "default-scheduler",
  plugins: {
    filter: custom.filter,
    score: custom.score.map((s): PluginRef =>
      s.strategy === undefined ? { name: s.name, weight: s.weight } : { ...s }
    )
  }
})

// Validation builds the framework only; nothing is bound through it.
const validationHandle: Status.Handle = { bind: () => Effect.succeed(Status.error("validation only")) }

/** The scheduler profile the spec names, or why it is not one. */
export const schedulerProfile = (profile: string | CustomProfile): Either.Either<Profile, string> => {
  if (typeof profile === "string") {
    const found = Profiles.byName(profile)
    return found === undefined
      ? Either.left(`unknown scheduler profile "${profile}" (known: ${Object.keys(Profiles.profiles).join(", ")})`)
      : Either.right(found)
  }
  const built = customProfile(profile)
  return Either.map(Framework.make(built, defaultRegistry, validationHandle), () => built)
}

/** Why a custom profile cannot run (an unknown plugin, a bad strategy or weight), or undefined when it can. */
export const validateProfile = (custom: CustomProfile): string | undefined =>
  Option.getOrUndefined(Either.getLeft(schedulerProfile(custom)))

/** What a node was given, and where its kubelet runs. */
interface SimNode {
  readonly group: NodeGroup
  readonly runtime: SimRuntime.SimRuntime
  kubelet: Scope.CloseableScope | undefined
  /** How far the node's clock reads ahead of the simulation's, ms. */
  skew: number
  readonly clock: Clock.Clock
}

/** `base`'s time plus `skew()` ms; sleeps as `base`. */
const skewedClock = (base: Clock.Clock, skew: () => number): Clock.Clock => ({
  [Clock.ClockTypeId]: Clock.ClockTypeId,
  unsafeCurrentTimeMillis: () => base.unsafeCurrentTimeMillis() + skew(),
  currentTimeMillis: Effect.sync(() => base.unsafeCurrentTimeMillis() + skew()),
  unsafeCurrentTimeNanos: () => base.unsafeCurrentTimeNanos() + BigInt(skew()) * 1_000_000n,
  currentTimeNanos: Effect.sync(() => base.unsafeCurrentTimeNanos() + BigInt(skew()) * 1_000_000n),
  sleep: (duration) => base.sleep(duration)
})

/** Builds and starts the cluster in the current scope; closing it stops every component. */
export const make = (spec: ClusterSpec, options: ClusterOptions): Effect.Effect<Cluster, never, Scope.Scope> =>
  Effect.gen(function* () {
    const clusterScope = yield* Effect.scope
    const clock = yield* Effect.clock
    const network = options.network
    const timing = spec.timing
    const profile =
      options.scheduler?.profile === undefined
        ? schedulerProfile(spec.scheduler.profile)
        : Either.right(options.scheduler.profile)
    if (Either.isLeft(profile)) return yield* Effect.die(new Error(profile.left))
    let leadingScheduler: Scheduler.Scheduler | undefined

    const store = yield* MemoryStore.make
    const server = yield* Effect.provideService(
      ApiServer.make({
        defaultTolerationSeconds: Math.ceil(timing.evictionTimeout / 1000),
        ...(options.bookmarkInterval === undefined
          ? {}
          : { bookmarkInterval: Duration.millis(options.bookmarkInterval) })
      }),
      Store,
      network.store(store)
    )
    const clientOf = (component: string) =>
      Effect.provideService(Client.make, Transport, network.transport(component, server))
    const client = yield* clientOf("scenario")

    /** Starts `program` as `component` in a fresh scope of its own; closing that scope stops it. */
    const start = (component: string, program: Effect.Effect<unknown, never, Client.Client | Scope.Scope>) =>
      Effect.gen(function* () {
        const scope = yield* Scope.fork(clusterScope, ExecutionStrategy.sequential)
        const componentClient = yield* clientOf(component)
        yield* program.pipe(
          Effect.provideService(Client.Client, componentClient),
          Scope.extend(scope),
          Effect.forkIn(scope)
        )
        return scope
      })

    const stop = (scope: Scope.CloseableScope | undefined) =>
      scope === undefined ? Effect.void : Scope.close(scope, Exit.void)

    const controllerManager = ControllerManager.run({
      identity: controllerManagerIdentity,
      nodeLifecycle: {
        nodeMonitorGracePeriod: Duration.millis(timing.nodeMonitorGracePeriod),
        ...(options.nodeMonitorPeriod === undefined
          ? {}
          : { nodeMonitorPeriod: Duration.millis(options.nodeMonitorPeriod) })
      }
    })
    const scheduler = Effect.gen(function* () {
      const informers = yield* SharedInformers.make()
      return yield* Scheduler.run({
        profile: profile.right,
        identity: schedulerIdentity,
        ...(options.scheduler?.registry === undefined ? {} : { registry: options.scheduler.registry }),
        ...(options.scheduler?.now === undefined ? {} : { now: options.scheduler.now }),
        onLeading: (leading) => {
          leadingScheduler = leading
        }
      }).pipe(Effect.provideService(SharedInformers.SharedInformers, informers), Effect.orDie)
    })
    const controlPlane: Record<Exclude<RestartableComponent, "apiserver">, typeof scheduler> = {
      "controller-manager": controllerManager,
      scheduler
    }
    const running = new Map<string, Scope.CloseableScope>()
    for (const name of ["controller-manager", "scheduler"] as const)
      running.set(name, yield* start(name, controlPlane[name]))

    const nodes = new Map<string, SimNode>()

    const kubeletOf = (name: string, node: SimNode) => {
      const group = node.group
      const kubelet = Kubelet.make({
        nodeName: name,
        capacity: { ...group.resources, cpu: group.cpu, memory: group.memory, pods: String(group.pods) },
        labels: group.labels,
        taints: group.taints,
        heartbeatInterval: Duration.millis(timing.heartbeatInterval),
        ...(options.kubelet?.syncFrequency === undefined
          ? {}
          : { syncFrequency: Duration.millis(options.kubelet.syncFrequency) }),
        ...(options.kubelet?.runtimeRelistPeriod === undefined
          ? {}
          : { runtimeRelistPeriod: Duration.millis(options.kubelet.runtimeRelistPeriod) }),
        ...(options.kubelet?.minWatchTimeout === undefined
          ? {}
          : { minWatchTimeout: Duration.millis(options.kubelet.minWatchTimeout) })
      })
      return kubelet.pipe(Effect.provideService(ContainerRuntime, node.runtime), Effect.withClock(node.clock))
    }

    // An unschedulable group's Node is created cordoned before its kubelet registers, so no pod lands there first.
    const createCordoned = (name: string, group: NodeGroup) =>
      client
        .create(Nodes, {
          apiVersion: "v1",
          kind: "Node",
          metadata: { name, labels: { ...group.labels } },
          spec: group.taints.length === 0 ? { unschedulable: true } : { unschedulable: true, taints: group.taints }
        })
        .pipe(
          Effect.catchTag("AlreadyExists", () =>
            client.patch(Nodes, name, { spec: { unschedulable: true } }, { type: "merge" })
          ),
          Effect.tapError((error) => Effect.logWarning(`cannot cordon node ${name}, retrying`, error)),
          Effect.retry(Schedule.spaced("1 second")),
          Effect.orDie,
          Effect.asVoid
        )

    const startKubelet = (name: string) =>
      Effect.gen(function* () {
        const node = nodes.get(name)
        if (node === undefined || node.kubelet !== undefined) return
        if (!node.runtime.isUp()) return yield* Effect.logWarning(`node ${name} is down: its kubelet cannot start`)
        node.kubelet = yield* start(name, kubeletOf(name, node))
      })

    const stopKubelet = (name: string) =>
      Effect.gen(function* () {
        const node = nodes.get(name)
        if (node === undefined) return
        const scope = node.kubelet
        node.kubelet = undefined
        yield* stop(scope)
      })

    const addNodes = (group: NodeGroup) =>
      Effect.forEach(
        group.names,
        (name) =>
          Effect.gen(function* () {
            if (nodes.has(name)) return yield* Effect.logWarning(`node ${name} already exists`)
            const runtime = yield* Scope.extend(
              SimRuntime.make({
                nodeName: name,
                firstPodIp: SimRuntime.firstPodIp(nodes.size + 1),
                imagePull: timing.imagePull,
                containerStart: timing.containerStart
              }),
              clusterScope
            )
            const node: SimNode = {
              group,
              runtime,
              kubelet: undefined,
              skew: 0,
              clock: skewedClock(clock, () => node.skew)
            }
            nodes.set(name, node)
            if (!group.unschedulable) return yield* startKubelet(name)
            // The kubelet's scope holds the cordon too, so stopping the node before it registers stops both.
            node.kubelet = yield* start(name, Effect.zipRight(createCordoned(name, group), kubeletOf(name, node)))
          }),
        { discard: true }
      )

    const crashNode = (name: string) =>
      Effect.gen(function* () {
        const node = nodes.get(name)
        if (node === undefined) return
        yield* stopKubelet(name)
        yield* node.runtime.crash
      })

    const restartNode = (name: string) =>
      Effect.gen(function* () {
        const node = nodes.get(name)
        if (node === undefined) return
        yield* crashNode(name)
        yield* node.runtime.boot
        yield* startKubelet(name)
      })

    const restartKubelet = (name: string) =>
      Effect.gen(function* () {
        if (nodes.get(name)?.kubelet === undefined) return
        yield* stopKubelet(name)
        yield* network.cutWatches(name)
        yield* startKubelet(name)
      })

    const clockSkew = (name: string, offsetMillis: number) =>
      Effect.sync(() => {
        const node = nodes.get(name)
        if (node !== undefined) node.skew = offsetMillis
      })

    const crashContainer = (podUid: string, container: string, exitCode: number) =>
      Effect.gen(function* () {
        for (const node of nodes.values()) {
          if (yield* node.runtime.crashContainer(podUid, container, exitCode)) return true
        }
        return false
      })

    const restartComponent = (component: RestartableComponent) =>
      Effect.gen(function* () {
        if (component === "apiserver") return yield* network.cutWatches()
        yield* stop(running.get(component))
        yield* network.cutWatches(component)
        running.set(component, yield* start(component, controlPlane[component]))
      })

    yield* Effect.forEach(spec.nodes, addNodes, { discard: true })

    const cluster: Cluster = {
      client,
      store,
      network,
      nodeNames: () => [...nodes.keys()],
      runtime: (name) => nodes.get(name)?.runtime,
      runtimes: () => [...nodes].map(([name, node]) => [name, node.runtime] as const),
      addNodes,
      crashNode,
      restartNode,
      stopKubelet,
      startKubelet,
      restartKubelet,
      clockSkew,
      crashContainer,
      restartComponent,
      schedulerStats: () => leadingScheduler?.stats()
    }
    return cluster
  })
