/**
 * The simulated ContainerRuntime of one node: MemoryRuntime's containers (with its pod
 * annotations `sim.minik8s.io/run-for`, `sim.minik8s.io/exit-code`, `sim.minik8s.io/ignore-sigterm`)
 * plus the time real engines take and the faults a node suffers. Part of the scenario contract:
 *
 * - Pulling an absent image takes a time drawn from `imagePull`; creating and starting a container
 *   takes one drawn from `containerStart`. Draws come from Effect's `Random`, times from its `Clock`.
 * - A node starts with no image; a pulled image stays on the node, across crashes and restarts.
 * - Images under the registry host `invalid.example/` (e.g. `invalid.example/app:1`) cannot be
 *   pulled: the kubelet reports `ErrImagePull`, then `ImagePullBackOff`. Every other image can.
 * - `crash()`: the node loses power; its containers and sandboxes vanish at once, with no graceful
 *   stop, and every call fails with RuntimeError("node is down") until `boot()`, which finds the
 *   node empty (but for its images).
 * - Resource usage is the sum of the requests of the running containers.
 * - `containers()` lists every container the node holds, as the invariants on containers read it:
 *   two running containers for one pod's container (a kubelet that did not re-adopt) both show.
 */
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { ResourceList } from "../../core/api/Container.js"
import * as Quantity from "../../core/api/Quantity.js"
import * as PullStream from "../../core/apiserver/PullStream.js"
import { type ContainerInfo, ContainerRuntime, RuntimeError } from "../../core/runtime/ContainerRuntime.js"
import * as MemoryRuntime from "../../core/runtime/MemoryRuntime.js"
import type { Range } from "../scenario/Scenario.js"

/** The registry host whose images never pull. */
export const unpullableRegistry = "invalid.example/"

export interface SimRuntimeOptions {
  /** The node's name; used in sandbox and container ids. */
  readonly nodeName: string
  /** The first pod IP; later ones count up from it (see `firstPodIp`). */
  readonly firstPodIp: string
  /** Pull time of an absent image, ms. */
  readonly imagePull: Range
  /** Create+start time of a container whose image is present, ms. */
  readonly containerStart: Range
}

/** What the node's running containers request. */
export interface Usage {
  readonly cpuMillis: number
  readonly memoryBytes: number
}

type RuntimeService = ContainerRuntime["Type"]

/** The ContainerRuntime service plus the node's faults. */
export interface SimRuntime extends RuntimeService {
  /** Power loss: everything running vanishes; calls fail until `boot`. Does nothing on a node that is down. */
  readonly crash: Effect.Effect<void>
  /** Power back: an empty runtime (images kept). Does nothing on a node that is up. */
  readonly boot: Effect.Effect<void>
  readonly isUp: () => boolean
  /** The pod's running container of that name exits with `exitCode`; false when there is none. */
  readonly crashContainer: (podUid: string, containerName: string, exitCode: number) => Effect.Effect<boolean>
  /** The requests of the running containers; zero while down. */
  readonly usage: () => Usage
  /** The pods that have a sandbox or a container (in any state) on the node, sorted; none while down. */
  readonly podUids: () => ReadonlyArray<string>
  /** Every container the node holds, in any state, sorted by pod uid, name and id; none while down. */
  readonly containers: () => ReadonlyArray<NodeContainer>
}

/** A container as the node holds it: whose, which, and whether it runs. */
export interface NodeContainer {
  readonly podUid: string
  readonly container: string
  readonly id: string
  readonly running: boolean
}

const order = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0)

const compareContainers = (a: NodeContainer, b: NodeContainer): number =>
  order(a.podUid, b.podUid) || order(a.container, b.container) || order(a.id, b.id)

/**
 * The pod IP range of the `k`-th node (1-based, in cluster order): 10.244.k.2 onward, the second
 * octet growing past 255 nodes (node 256 starts at 10.245.0.2).
 */
export const firstPodIp = (k: number): string => `10.${244 + Math.floor(k / 256)}.${k % 256}.2`

/** A uniform draw in whole milliseconds from the range. */
const draw = (range: Range): Effect.Effect<number> => {
  const [min, max] = [Math.ceil(range.min), Math.floor(range.max)]
  return max <= min ? Effect.succeed(Math.max(0, min)) : Random.nextIntBetween(min, max + 1)
}

const sleepFor = (range: Range) =>
  Effect.flatMap(draw(range), (millis) => (millis > 0 ? Effect.sleep(millis) : Effect.void))

// MemoryRuntime's listing never fails.
const listed = (r: MemoryRuntime.MemoryRuntime) => Effect.orElseSucceed(r.listContainers, () => [])

/** What a simulated node's runtime answers to `version` while up. */
const simVersion = Effect.succeed("sim://1.0.0")

const nodeDown = () => new RuntimeError({ message: "node is down" })

const requestsOf = (requests: ResourceList): Usage => {
  const amount = (name: string, of: (q: Quantity.Quantity) => number) => {
    const given = requests[name]
    if (given === undefined) return 0
    const parsed = Quantity.parse(given)
    return parsed._tag === "Right" ? of(parsed.right) : 0
  }
  return { cpuMillis: amount("cpu", Quantity.milliValue), memoryBytes: amount("memory", Quantity.value) }
}

/** A node's runtime, up, with no image; its containers are timed by fibers in the current scope. */
export const make = (options: SimRuntimeOptions): Effect.Effect<SimRuntime, never, Scope.Scope> =>
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    const images = new Set<string>()
    // The requests of every container created since the last boot, by id.
    const requests = new Map<string, Usage>()
    let boots = 0
    let inner: MemoryRuntime.MemoryRuntime | undefined
    let containersListed:
      { readonly list: ReadonlyArray<ContainerInfo>; readonly containers: ReadonlyArray<NodeContainer> } | undefined
    let innerScope: Scope.CloseableScope | undefined

    const start = Effect.gen(function* () {
      boots++
      const child = yield* Scope.fork(scope, ExecutionStrategy.sequential)
      // Ids differ from boot to boot, so no container of a past life is mistaken for a new one.
      const nodeName = boots === 1 ? options.nodeName : `${options.nodeName}-boot${boots}`
      inner = yield* Scope.extend(
        MemoryRuntime.make({
          nodeName,
          images: [...images].sort(),
          firstPodIp: options.firstPodIp,
          pullable: (image) => !image.startsWith(unpullableRegistry)
        }),
        child
      )
      innerScope = child
    })
    yield* start

    /** The runtime of this boot, or the node-down failure. */
    const up = Effect.suspend(() => (inner === undefined ? Effect.fail(nodeDown()) : Effect.succeed(inner)))
    /** `f` over this boot's runtime, or the node-down failure (one operation: every runtime call goes through it). */
    const call = <A, E>(f: (r: MemoryRuntime.MemoryRuntime) => Effect.Effect<A, E>) =>
      Effect.suspend((): Effect.Effect<A, E | RuntimeError> =>
        inner === undefined ? Effect.fail(nodeDown()) : f(inner)
      )

    /** Runs `f` after `range`'s delay, unless the node went down (and maybe up again) meanwhile. */
    const after = <A, E>(range: Range, f: (r: MemoryRuntime.MemoryRuntime) => Effect.Effect<A, E>) =>
      Effect.flatMap(up, (before) =>
        Effect.zipRight(
          sleepFor(range),
          Effect.suspend((): Effect.Effect<A, E | RuntimeError> =>
            inner === before ? f(before) : Effect.fail(nodeDown())
          )
        )
      )

    const crash = Effect.suspend(() => {
      const [was, closing] = [inner, innerScope]
      if (was === undefined || closing === undefined) return Effect.void
      inner = undefined
      innerScope = undefined
      requests.clear()
      // Ending the containers' processes closes their followed logs; nobody can list them any more.
      return Effect.gen(function* () {
        for (const c of yield* listed(was)) yield* Effect.ignore(was.crash(c.id, 137, "Error"))
        yield* Scope.close(closing, Exit.void)
      })
    })

    const runtime: SimRuntime = {
      version: call(() => simVersion),
      hasImage: (image) => call((r) => r.hasImage(image)),
      pullImage: (image) =>
        Effect.flatMap(up, (r) =>
          Effect.if(r.hasImage(image), {
            onTrue: () => Effect.void,
            onFalse: () =>
              after(options.imagePull, (now) =>
                Effect.zipRight(
                  now.pullImage(image),
                  Effect.sync(() => images.add(image))
                )
              )
          })
        ),
      runSandbox: (config) => call((r) => r.runSandbox(config)),
      stopSandbox: (id) => call((r) => r.stopSandbox(id)),
      removeSandbox: (id) => call((r) => r.removeSandbox(id)),
      listSandboxes: call((r) => r.listSandboxes),
      createContainer: (config) =>
        after(options.containerStart, (r) =>
          Effect.tap(r.createContainer(config), (id) =>
            Effect.sync(() => requests.set(id, requestsOf(config.requests)))
          )
        ),
      startContainer: (id) => call((r) => r.startContainer(id)),
      stopContainer: (id, gracePeriodSeconds) => call((r) => r.stopContainer(id, gracePeriodSeconds)),
      removeContainer: (id) =>
        call((r) =>
          Effect.tap(
            r.removeContainer(id),
            Effect.sync(() => requests.delete(id))
          )
        ),
      listContainers: call((r) => r.listContainers),
      listPod: (podUid) => call((r) => r.listPod(podUid)),
      inspectContainer: (id) => call((r) => r.inspectContainer(id)),
      probe: (id, action, timeoutSeconds) => call((r) => r.probe(id, action, timeoutSeconds)),
      logs: (id, logOptions) => Stream.unwrap(call((r) => Effect.succeed(r.logs(id, logOptions)))),
      // This boot's events, their pull passed on (see PullStream).
      events: PullStream.fromPull(
        Effect.suspend(() =>
          inner === undefined ? Effect.succeed(Effect.fail(Option.some(nodeDown()))) : PullStream.toPull(inner.events)
        )
      ),
      crash,
      boot: Effect.suspend(() => (inner === undefined ? start : Effect.void)),
      isUp: () => inner !== undefined,
      crashContainer: (podUid, containerName, exitCode) =>
        Effect.gen(function* () {
          if (inner === undefined) return false
          const running = (yield* listed(inner)).find(
            (c) => c.pod.uid === podUid && c.name === containerName && c.state === "Running"
          )
          if (running === undefined) return false
          yield* Effect.ignore(inner.exit(running.id, exitCode))
          return true
        }),
      usage: () => {
        let [cpuMillis, memoryBytes] = [0, 0]
        if (inner === undefined) return { cpuMillis, memoryBytes }
        for (const c of inner.containerList()) {
          const used = c.state === "Running" ? requests.get(c.id) : undefined
          if (used === undefined) continue
          cpuMillis += used.cpuMillis
          memoryBytes += used.memoryBytes
        }
        return { cpuMillis, memoryBytes }
      },
      podUids: () => {
        if (inner === undefined) return []
        const uids = new Set([...inner.sandboxList(), ...inner.containerList()].map((item) => item.pod.uid))
        return [...uids].sort()
      },
      containers: () => {
        if (inner === undefined) return []
        // The same answer while the runtime lists the same array (MemoryRuntime's, until a change).
        const list = inner.containerList()
        if (containersListed?.list !== list) {
          const containers = list
            .map((c) => ({ podUid: c.pod.uid, container: c.name, id: c.id, running: c.state === "Running" }))
            .sort(compareContainers)
          containersListed = { list, containers: Object.freeze(containers) }
        }
        return containersListed.containers
      }
    }
    return runtime
  })

/** A SimRuntime as the node's ContainerRuntime. */
export const layer = (options: SimRuntimeOptions): Layer.Layer<ContainerRuntime> =>
  Layer.scoped(ContainerRuntime, make(options))
