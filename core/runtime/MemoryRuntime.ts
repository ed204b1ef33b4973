/**
 * An in-memory ContainerRuntime for unit tests: one node's sandboxes and containers in maps,
 * every operation instant, ids and pod IPs from counters, times from Effect's Clock, changes
 * published as `events`. Nothing runs: a container stays Running until it is stopped, crashed
 * or exited by a test control, or until it ends by itself as its pod's annotations say:
 *
 * - `sim.minik8s.io/run-for`: a Go duration ("30s", "5m"); the container exits by itself that
 *   long after it starts, with
 * - `sim.minik8s.io/exit-code`: the exit code it then exits with (default 0).
 * - `sim.minik8s.io/ignore-sigterm: "true"`: `stopContainer` waits out the whole grace period
 *   before killing the container (exit 137), so graceful deletion can be observed; without it a
 *   container exits at once on SIGTERM with 143, as a process with the default SIGTERM handler.
 *
 * Probes succeed while the container runs unless `setProbeResults` decides otherwise.
 */
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { parseDuration } from "../api/duration.js"
import * as PullStream from "../apiserver/PullStream.js"
import {
  type ContainerConfig,
  type ContainerInfo,
  ImagePullError,
  type ProbeAction,
  type ProbeResult,
  ContainerRuntime,
  RuntimeError,
  type RuntimeEvent,
  RuntimeNotFound,
  type Sandbox,
  type SandboxConfig
} from "./ContainerRuntime.js"

/** One reader of a runtime's events: what it has not taken yet, and how to wake it while it waits. */
interface EventReader {
  pending: Array<RuntimeEvent>
  wake: (() => void) | undefined
}

/** Pod annotation: how long containers run before they exit by themselves (a Go duration). */
export const runForAnnotation = "sim.minik8s.io/run-for"
/** Pod annotation: the exit code of a container that ends by itself (default 0). */
export const exitCodeAnnotation = "sim.minik8s.io/exit-code"
/** Pod annotation: `"true"` makes containers ignore SIGTERM, so stopping takes the whole grace period. */
export const ignoreSigtermAnnotation = "sim.minik8s.io/ignore-sigterm"

/** Exit codes of a process ended by a signal (128 + the signal's number). */
const sigtermExitCode = 143
const sigkillExitCode = 137

export interface MemoryRuntimeOptions {
  /** Used in ids, so several nodes' runtimes hand out distinct ones; default "node". */
  readonly nodeName?: string
  /** Images present at start. */
  readonly images?: ReadonlyArray<string>
  /** Whether pulling an image succeeds; default: every image. */
  readonly pullable?: (image: string) => boolean
  /** The first pod IP handed out; later ones count up from it. Default "10.244.0.2". */
  readonly firstPodIp?: string
}

/** Decides the outcome of a probe of a running container. */
export type ProbeDecision = (container: ContainerInfo, action: ProbeAction) => ProbeResult["result"]

type RuntimeService = ContainerRuntime["Type"]

/** The ContainerRuntime service plus the controls tests drive it with. */
export interface MemoryRuntime extends RuntimeService {
  /** The container fails: it exits with `exitCode` (default 1) and `reason` (default "Error"). */
  readonly crash: (containerId: string, exitCode?: number, reason?: string) => Effect.Effect<void, RuntimeNotFound>
  /** The container's process ends with `exitCode` ("Completed" for 0, else "Error"). */
  readonly exit: (containerId: string, exitCode: number) => Effect.Effect<void, RuntimeNotFound>
  /** From now on, probes of running containers are decided by `decide`. */
  readonly setProbeResults: (decide: ProbeDecision) => Effect.Effect<void>
  /** From now on, pulls succeed for the images `pullable` accepts. */
  readonly setPullable: (pullable: (image: string) => boolean) => Effect.Effect<void>
  /** The container writes a line to its log. */
  readonly writeLog: (containerId: string, line: string) => Effect.Effect<void, RuntimeNotFound>
  /** What `listSandboxes` answers, read at once: for a simulation's judge, which looks between steps, not in one. */
  readonly sandboxList: () => ReadonlyArray<Sandbox>
  /** What `listContainers` answers, read at once. */
  readonly containerList: () => ReadonlyArray<ContainerInfo>
}

interface ContainerRecord {
  info: ContainerInfo
  readonly config: ContainerConfig
  readonly logs: Array<string>
  /** Log lines as they are written; `None` once the container has exited. */
  readonly logFeed: PubSub.PubSub<Option.Option<string>>
  readonly exited: Deferred.Deferred<void>
}

const ipToNumber = (ip: string): number => ip.split(".").reduce((n, octet) => n * 256 + Number(octet), 0)
const numberToIp = (n: number): string => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".")

// A stable content id per image name (FNV-1a), shaped like a digest.
const imageIdOf = (image: string): string => {
  let hash = 0x811c9dc5
  for (let i = 0; i < image.length; i++) hash = Math.imul(hash ^ image.charCodeAt(i), 0x01000193) >>> 0
  return `sha256:${hash.toString(16).padStart(8, "0").repeat(8)}`
}

/** A fresh, empty runtime; containers that end by themselves are timed by fibers in the current scope. */
export const make = (options: MemoryRuntimeOptions = {}): Effect.Effect<MemoryRuntime, never, Scope.Scope> =>
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    const node = options.nodeName ?? "node"
    const images = new Set(options.images ?? [])
    let pullable = options.pullable ?? (() => true)
    let decideProbe: ProbeDecision = () => "Success"
    const sandboxes = new Map<string, Sandbox>()
    const containers = new Map<string, ContainerRecord>()
    // The readers of `events`, each with the events it has not taken yet and its wake while it waits
    // (a PubSub's publish and take cost 25–28 Effect operations more per event between them).
    const readers = new Set<EventReader>()
    let nextId = 1
    let nextIp = ipToNumber(options.firstPodIp ?? "10.244.0.2")
    // The last listings, until the next change: a kubelet lists its runtime every second (PLEG's relist),
    // and an unchanged runtime answers the same arrays, which lets the relist see at once that nothing changed.
    let sandboxesListed: ReadonlyArray<Sandbox> | undefined
    let containersListed: ReadonlyArray<ContainerInfo> | undefined
    const sandboxesChanged = () => {
      sandboxesListed = undefined
    }
    const containersChanged = () => {
      containersListed = undefined
    }

    const publish = (event: RuntimeEvent) =>
      Effect.sync(() => {
        for (const reader of readers) {
          reader.pending.push(event)
          const wake = reader.wake
          reader.wake = undefined
          wake?.()
        }
      })
    const record = (id: string) =>
      Effect.suspend(() => {
        const found = containers.get(id)
        return found === undefined ? Effect.fail(new RuntimeNotFound({ id })) : Effect.succeed(found)
      })

    // The one way a container stops running; later calls for an exited container do nothing.
    const finish = (c: ContainerRecord, exitCode: number, reason: string) =>
      Effect.gen(function* () {
        if (c.info.state === "Exited") return
        const now = yield* Clock.currentTimeMillis
        c.info = { ...c.info, state: "Exited", finishedAt: now, exitCode, reason }
        containersChanged()
        yield* PubSub.publish(c.logFeed, Option.none())
        yield* Deferred.succeed(c.exited, undefined)
        yield* publish({ type: "ContainerExited", podUid: c.info.pod.uid, id: c.info.id })
      })
    const reasonOf = (exitCode: number) => (exitCode === 0 ? "Completed" : "Error")

    // A container whose pod says how long it runs ends by itself; a bad duration means "forever".
    const scheduleOwnExit = (c: ContainerRecord) => {
      const runFor = c.config.podAnnotations[runForAnnotation]
      if (runFor === undefined) return Effect.void
      const millis = parseDuration(runFor)
      if (Either.isLeft(millis)) return Effect.logWarning(`ignoring ${runForAnnotation}: ${millis.left}`)
      const code = Number(c.config.podAnnotations[exitCodeAnnotation] ?? "0")
      const exitCode = Number.isInteger(code) ? code : 1
      return Effect.forkIn(
        Effect.zipRight(
          Effect.sleep(Duration.millis(Math.max(0, millis.right))),
          finish(c, exitCode, reasonOf(exitCode))
        ),
        scope
      )
    }

    const kill = (c: ContainerRecord) =>
      c.info.state === "Exited"
        ? Effect.void
        : c.info.state === "Created"
          ? finish(c, 0, "Completed")
          : finish(c, sigkillExitCode, "Error")

    const stopContainer = (id: string, gracePeriodSeconds: number) =>
      Effect.suspend(() => {
        const c = containers.get(id)
        if (c === undefined || c.info.state === "Exited") return Effect.void
        if (c.info.state === "Created") return kill(c)
        if (c.config.podAnnotations[ignoreSigtermAnnotation] !== "true") return finish(c, sigtermExitCode, "Error")
        // SIGTERM is ignored: the container lives until SIGKILL at the end of the grace period.
        return Effect.raceFirst(
          Deferred.await(c.exited),
          Effect.zipRight(Effect.sleep(Duration.seconds(Math.max(0, gracePeriodSeconds))), kill(c))
        )
      })

    const removeContainer = (id: string) =>
      Effect.suspend(() => {
        const c = containers.get(id)
        if (c === undefined) return Effect.void
        return Effect.zipRight(
          kill(c),
          Effect.suspend(() => {
            if (!containers.delete(id)) return Effect.void
            containersChanged()
            return publish({ type: "ContainerRemoved", podUid: c.info.pod.uid, id })
          })
        )
      })

    const stopSandbox = (id: string) =>
      Effect.gen(function* () {
        const sandbox = sandboxes.get(id)
        if (sandbox === undefined) return
        for (const c of [...containers.values()]) if (c.info.sandboxId === id) yield* kill(c)
        sandboxes.set(id, { ...sandbox, state: "NotReady" })
        sandboxesChanged()
      })

    const runtime: MemoryRuntime = {
      version: Effect.succeed("memory://0.1.0"),
      hasImage: (image) => Effect.sync(() => images.has(image)),
      pullImage: (image) =>
        Effect.suspend(() => {
          if (!pullable(image)) {
            return Effect.fail(
              new ImagePullError({
                image,
                message: `failed to pull and unpack image "${image}": failed to resolve reference "${image}": not found`
              })
            )
          }
          images.add(image)
          return Effect.void
        }),
      runSandbox: (config: SandboxConfig) =>
        Effect.gen(function* () {
          const sandbox: Sandbox = {
            id: `${node}-sandbox-${nextId++}`,
            pod: config.pod,
            attempt: config.attempt,
            state: "Ready",
            ip: numberToIp(nextIp++),
            createdAt: yield* Clock.currentTimeMillis
          }
          sandboxes.set(sandbox.id, sandbox)
          sandboxesChanged()
          return sandbox
        }),
      stopSandbox,
      removeSandbox: (id) =>
        Effect.gen(function* () {
          if (!sandboxes.has(id)) return
          yield* stopSandbox(id)
          for (const c of [...containers.values()]) if (c.info.sandboxId === id) yield* removeContainer(c.info.id)
          const sandbox = sandboxes.get(id)
          if (sandbox === undefined || !sandboxes.delete(id)) return
          sandboxesChanged()
          yield* publish({ type: "SandboxRemoved", podUid: sandbox.pod.uid, id })
        }),
      listSandboxes: Effect.sync(() => runtime.sandboxList()),
      createContainer: (config) =>
        Effect.gen(function* () {
          const sandbox = sandboxes.get(config.sandboxId)
          if (sandbox === undefined) return yield* Effect.fail(new RuntimeNotFound({ id: config.sandboxId }))
          if (sandbox.state !== "Ready") {
            return yield* Effect.fail(new RuntimeError({ message: `sandbox ${sandbox.id} is not ready` }))
          }
          if (!images.has(config.image)) {
            return yield* Effect.fail(new RuntimeError({ message: `image "${config.image}" is not present` }))
          }
          const id = `${node}-container-${nextId++}`
          containers.set(id, {
            info: {
              id,
              pod: config.pod,
              sandboxId: config.sandboxId,
              name: config.name,
              attempt: config.attempt,
              image: config.image,
              imageId: imageIdOf(config.image),
              state: "Created",
              createdAt: yield* Clock.currentTimeMillis
            },
            config,
            logs: [],
            logFeed: yield* PubSub.unbounded<Option.Option<string>>(),
            exited: yield* Deferred.make<void>()
          })
          containersChanged()
          return id
        }),
      startContainer: (id) =>
        Effect.gen(function* () {
          const c = yield* record(id)
          if (c.info.state === "Running") return
          if (c.info.state !== "Created") {
            return yield* Effect.fail(new RuntimeError({ message: `container ${id} has already run` }))
          }
          c.info = { ...c.info, state: "Running", startedAt: yield* Clock.currentTimeMillis }
          containersChanged()
          yield* publish({ type: "ContainerStarted", podUid: c.info.pod.uid, id })
          yield* scheduleOwnExit(c)
        }),
      stopContainer,
      removeContainer,
      listContainers: Effect.sync(() => runtime.containerList()),
      sandboxList: () => (sandboxesListed ??= Object.freeze([...sandboxes.values()])),
      containerList: () => (containersListed ??= Object.freeze(Array.from(containers.values(), (c) => c.info))),
      listPod: (podUid) =>
        Effect.sync(() => {
          const [podSandboxes, podContainers] = [new Array<Sandbox>(), new Array<ContainerInfo>()]
          for (const s of sandboxes.values()) if (s.pod.uid === podUid) podSandboxes.push(s)
          for (const c of containers.values()) if (c.info.pod.uid === podUid) podContainers.push(c.info)
          return { sandboxes: podSandboxes, containers: podContainers }
        }),
      inspectContainer: (id) => Effect.map(record(id), (c) => c.info),
      probe: (id, probeAction) =>
        Effect.sync((): ProbeResult => {
          const c = containers.get(id)
          if (c === undefined || c.info.state !== "Running") {
            return { result: "Failure", message: `container ${id} is not running` }
          }
          const result = decideProbe(c.info, probeAction)
          return result === "Success" ? { result } : { result, message: `probe of ${c.info.name} failed` }
        }),
      logs: (id, logOptions) =>
        Stream.unwrapScoped(
          Effect.gen(function* () {
            const c = yield* record(id)
            const feed = yield* PubSub.subscribe(c.logFeed)
            // Lines written so far are taken in the same step as the subscription, so none is lost or doubled.
            const lines = logOptions.tailLines === undefined ? [...c.logs] : c.logs.slice(-logOptions.tailLines)
            const past = Stream.fromIterable(logOptions.tailLines === 0 ? [] : lines)
            if (!logOptions.follow || c.info.state === "Exited") return past
            return Stream.concat(
              past,
              Stream.fromQueue(feed).pipe(
                Stream.takeWhile(Option.isSome),
                Stream.map((line) => line.value)
              )
            )
          })
        ),
      // A PullStream: the kubelet pulls it directly. A reader takes every event waiting at once.
      events: PullStream.fromPull(
        Effect.map(
          Effect.acquireRelease(
            Effect.sync(() => {
              const reader: EventReader = { pending: [], wake: undefined }
              readers.add(reader)
              return reader
            }),
            (reader) => Effect.sync(() => readers.delete(reader))
          ),
          (reader) => {
            const take = () => {
              const taken = reader.pending
              reader.pending = []
              return Chunk.unsafeFromArray(taken)
            }
            return Effect.suspend(() =>
              reader.pending.length > 0
                ? Effect.succeed(take())
                : Effect.async<Chunk.Chunk<RuntimeEvent>>((resume) => {
                    reader.wake = () => resume(Effect.sync(take))
                  })
            )
          }
        )
      ),
      crash: (id, exitCode = 1, reason = "Error") => Effect.flatMap(record(id), (c) => finish(c, exitCode, reason)),
      exit: (id, exitCode) => Effect.flatMap(record(id), (c) => finish(c, exitCode, reasonOf(exitCode))),
      setProbeResults: (decide) =>
        Effect.sync(() => {
          decideProbe = decide
        }),
      setPullable: (accept) =>
        Effect.sync(() => {
          pullable = accept
        }),
      writeLog: (id, line) =>
        Effect.flatMap(record(id), (c) =>
          Effect.suspend(() => {
            if (c.info.state === "Exited") return Effect.void
            c.logs.push(line)
            return PubSub.publish(c.logFeed, Option.some(line))
          })
        )
    }
    return runtime
  })

/** A MemoryRuntime as the node's ContainerRuntime. */
export const layer = (options: MemoryRuntimeOptions = {}): Layer.Layer<ContainerRuntime> =>
  Layer.scoped(ContainerRuntime, make(options))
