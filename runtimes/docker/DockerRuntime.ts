/**
 * The ContainerRuntime of one node over a Docker engine (dockerode), as Kubernetes' dockershim ran
 * pods: a sandbox is a small long-running container whose network (and IPC) namespace the pod's
 * containers join, so its bridge IP is the pod IP; every container carries labels naming its node,
 * pod, sandbox and attempt (see labels.ts), and the runtime lists and touches only the containers
 * labelled with its node, so a restarted agent re-adopts exactly its own and several agents can share
 * one engine. Every call is bounded in time and cancelled on interruption.
 */
import * as Arr from "effect/Array"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type Docker from "dockerode"
import {
  type ContainerConfig,
  type ContainerInfo,
  ContainerRuntime,
  type ProbeResult,
  RuntimeError,
  RuntimeNotFound,
  type Sandbox,
  type SandboxConfig
} from "../../core/runtime/ContainerRuntime.js"
import * as Engine from "./engine.js"
import { events } from "./events.js"
import { hasImage, pullImage } from "./images.js"
import {
  containerLabels,
  containerName,
  type ContainerType,
  isOwned,
  ownedBy,
  podUidLabel,
  sandboxIdLabel,
  sandboxLabels,
  sandboxName
} from "./labels.js"
import { demultiplexedLines } from "./logs.js"
import { execProbe, httpProbe, tcpProbe } from "./probe.js"
import { hostResources } from "./resources.js"
import { containerInfoOf, sandboxOf } from "./status.js"

export interface DockerRuntimeOptions {
  /** The node this runtime serves: its containers carry `io.minik8s.node=<nodeName>`. */
  readonly nodeName: string
  /** The engine's Unix socket; default /var/run/docker.sock. */
  readonly socketPath?: string
  /** The image sandboxes run (Kubernetes' pause image); default busybox:1.36, which needs no registry. */
  readonly podInfraImage?: string
}

export const defaultSocketPath = "/var/run/docker.sock"
export const defaultPodInfraImage = "busybox:1.36"

/** The sandbox's process: sleeps until SIGTERM, then exits at once (as the pause container does). */
const sandboxCommand = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait; done"]
/** How long a sandbox gets to stop (dockershim's defaultSandboxGracePeriod). */
const sandboxGracePeriodSeconds = 10
/** Beyond a stop's grace period, how long the engine may take to kill and reap the container. */
const stopSlack = Duration.seconds(30)
/** Linux limits a hostname to 64 bytes; Kubernetes truncates a pod's to 63. */
const maxHostnameLength = 63
const inspectConcurrency = 8

type RuntimeService = ContainerRuntime["Type"]

// Ids we hand out are Docker's full hex ids; anything else (a name, a prefix, a path) is not ours.
const isContainerId = (id: string) => /^[0-9a-f]{64}$/.test(id)

const hostnameOf = (hostname: string) => hostname.slice(0, maxHostnameLength).replace(/[-.]+$/, "")

/** A Docker engine as the ContainerRuntime of `options.nodeName`. */
export const make = (options: DockerRuntimeOptions): RuntimeService => {
  const { nodeName } = options
  const podInfraImage = options.podInfraImage ?? defaultPodInfraImage
  const engine = Engine.make(options.socketPath ?? defaultSocketPath)
  const { call, docker } = engine
  const container = (id: string) => docker.getContainer(id)

  // A container's inspection changes only with its state (created, running, exited: the kubelet
  // never restarts one in place), so a listing whose state matches the kept inspection reuses it;
  // inspections are kept while their containers are listed.
  const inspected: Record<ContainerType, Map<string, Docker.ContainerInspectInfo>> = {
    sandbox: new Map(),
    container: new Map()
  }

  const inspectRaw = (id: string) =>
    call(`inspect ${id}`, (signal) => container(id).inspect({ abortSignal: signal })).pipe(
      Effect.map(Option.some),
      Effect.catchIf(Engine.hasStatus(404), () => Effect.succeed(Option.none<Docker.ContainerInspectInfo>()))
    )

  /** This node's sandbox or container with that id; None when absent or someone else's. */
  const inspectOwn = (id: string, type: ContainerType) =>
    isContainerId(id)
      ? Effect.map(
          inspectRaw(id),
          Option.filter((info) => info.Id === id && isOwned(info.Config.Labels, nodeName, type))
        )
      : Effect.succeed(Option.none<Docker.ContainerInspectInfo>())

  const listOwn = (type: ContainerType, extra: Readonly<Record<string, string>> = {}) =>
    call(`list ${type}s`, (signal) =>
      docker.listContainers({ all: true, filters: { label: [...ownedBy(nodeName, type, extra)] }, abortSignal: signal })
    )

  /**
   * Inspections of this node's sandboxes or containers (only the pod's, given its uid); ones removed
   * meanwhile are left out. Inspecting a container waits while the engine starts it, so a pod's sync
   * inspects its own containers only.
   */
  const inspectAll = (type: ContainerType, podUid?: string) =>
    Effect.gen(function* () {
      const listed = yield* listOwn(type, podUid === undefined ? {} : { [podUidLabel]: podUid })
      const cache = inspected[type]
      if (podUid === undefined) {
        const present = new Set(listed.map((summary) => summary.Id))
        for (const id of cache.keys()) if (!present.has(id)) cache.delete(id)
      }
      const infos = yield* Effect.forEach(
        listed,
        (summary) => {
          const known = cache.get(summary.Id)
          if (known !== undefined && summary.State === known.State.Status) return Effect.succeed(Option.some(known))
          return Effect.tap(inspectRaw(summary.Id), (info) =>
            Effect.sync(() => {
              if (Option.isSome(info)) cache.set(summary.Id, info.value)
            })
          )
        },
        { concurrency: inspectConcurrency }
      )
      return Arr.getSomes(infos)
    })

  const stop = (id: string, gracePeriodSeconds: number) => {
    const seconds = Math.max(0, Math.ceil(gracePeriodSeconds))
    return call(
      `stop ${id}`,
      (signal) => container(id).stop({ t: seconds, abortSignal: signal }),
      Duration.sum(Duration.seconds(seconds), stopSlack)
    ).pipe(Effect.catchIf(Engine.hasStatus(304, 404), () => Effect.void))
  }

  const remove = (id: string) =>
    call(`remove ${id}`, (signal) => container(id).remove({ force: true, v: true, abortSignal: signal })).pipe(
      // 409: a removal already under way.
      Effect.catchIf(Engine.hasStatus(404, 409), () => Effect.void)
    )

  const membersOf = (sandboxId: string) => listOwn("container", { [sandboxIdLabel]: sandboxId })

  const ensureInfraImage = Effect.gen(function* () {
    if (yield* hasImage(engine, podInfraImage)) return
    yield* Effect.mapError(
      pullImage(engine, podInfraImage),
      (error) => new RuntimeError({ message: `pod infra image: ${error.message}` })
    )
  })

  const runSandbox = (config: SandboxConfig): Effect.Effect<Sandbox, RuntimeError> =>
    Effect.gen(function* () {
      yield* ensureInfraImage
      const created = yield* call("create sandbox", (signal) =>
        docker.createContainer({
          name: sandboxName(nodeName, config),
          Image: podInfraImage,
          Cmd: sandboxCommand,
          Hostname: hostnameOf(config.hostname),
          Labels: { ...sandboxLabels(nodeName, config) },
          HostConfig: { NetworkMode: "bridge", IpcMode: "shareable" },
          abortSignal: signal
        })
      ).pipe(Effect.mapError(Engine.toRuntimeError))
      return yield* Effect.gen(function* () {
        yield* call(`start sandbox ${created.id}`, (signal) => created.start({ abortSignal: signal }))
        const info = yield* inspectRaw(created.id)
        if (Option.isNone(info))
          return yield* Effect.fail(new RuntimeError({ message: `sandbox ${created.id} vanished` }))
        return sandboxOf(info.value)
      }).pipe(
        Effect.mapError((error) => (error instanceof RuntimeError ? error : Engine.toRuntimeError(error))),
        // A sandbox that did not come up is not left behind.
        Effect.onError(() => Effect.ignore(remove(created.id)))
      )
    })

  const stopSandbox = (id: string): Effect.Effect<void, RuntimeError> =>
    Effect.gen(function* () {
      const sandbox = yield* inspectOwn(id, "sandbox")
      if (Option.isNone(sandbox)) return
      const members = yield* membersOf(id)
      yield* Effect.forEach(
        members.filter((c) => c.State === "running"),
        (c) => stop(c.Id, 0),
        { concurrency: "unbounded", discard: true }
      )
      if (sandbox.value.State.Running) yield* stop(id, sandboxGracePeriodSeconds)
    }).pipe(Effect.mapError(Engine.toRuntimeError))

  const removeSandbox = (id: string): Effect.Effect<void, RuntimeError> =>
    Effect.gen(function* () {
      if (Option.isNone(yield* inspectOwn(id, "sandbox"))) return
      const members = yield* membersOf(id)
      yield* Effect.forEach(members, (c) => remove(c.Id), { concurrency: "unbounded", discard: true })
      yield* remove(id)
    }).pipe(Effect.mapError(Engine.toRuntimeError))

  const createContainer = (config: ContainerConfig): Effect.Effect<string, RuntimeError | RuntimeNotFound> =>
    Effect.gen(function* () {
      const sandbox = yield* Effect.mapError(inspectOwn(config.sandboxId, "sandbox"), Engine.toRuntimeError)
      if (Option.isNone(sandbox)) return yield* Effect.fail(new RuntimeNotFound({ id: config.sandboxId }))
      if (!sandbox.value.State.Running) {
        return yield* Effect.fail(new RuntimeError({ message: `sandbox ${config.sandboxId} is not ready` }))
      }
      const resources = hostResources(config.requests, config.limits)
      if (Either.isLeft(resources)) return yield* Effect.fail(new RuntimeError({ message: resources.left }))
      const namespaces = `container:${config.sandboxId}`
      const created = yield* call(`create container ${config.name}`, (signal) =>
        docker.createContainer({
          name: containerName(nodeName, config),
          Image: config.image,
          // Kubernetes: command replaces the image's ENTRYPOINT, args its CMD; Docker drops the image's
          // CMD by itself when an ENTRYPOINT is given.
          ...(config.command.length === 0 ? {} : { Entrypoint: [...config.command] }),
          ...(config.args.length === 0 ? {} : { Cmd: [...config.args] }),
          Env: Object.entries(config.env).map(([name, value]) => `${name}=${value}`),
          ...(config.workingDir === undefined || config.workingDir === "" ? {} : { WorkingDir: config.workingDir }),
          Labels: { ...containerLabels(nodeName, config) },
          HostConfig: { NetworkMode: namespaces, IpcMode: namespaces, ...resources.right },
          abortSignal: signal
        })
      ).pipe(Effect.mapError(Engine.toRuntimeError))
      return created.id
    })

  const startContainer = (id: string): Effect.Effect<void, RuntimeError | RuntimeNotFound> =>
    Effect.gen(function* () {
      const info = yield* Effect.mapError(inspectOwn(id, "container"), Engine.toRuntimeError)
      if (Option.isNone(info)) return yield* Effect.fail(new RuntimeNotFound({ id }))
      const state = containerInfoOf(info.value).state
      if (state === "Running") return
      if (state !== "Created")
        return yield* Effect.fail(new RuntimeError({ message: `container ${id} has already run` }))
      yield* call(`start container ${id}`, (signal) => container(id).start({ abortSignal: signal })).pipe(
        Effect.catchIf(Engine.hasStatus(304), () => Effect.void),
        Effect.mapError(Engine.toRuntimeError)
      )
    })

  const stopContainer = (id: string, gracePeriodSeconds: number): Effect.Effect<void, RuntimeError> =>
    Effect.gen(function* () {
      const info = yield* inspectOwn(id, "container")
      if (Option.isNone(info) || !info.value.State.Running) return
      yield* stop(id, gracePeriodSeconds)
    }).pipe(Effect.mapError(Engine.toRuntimeError))

  const removeContainer = (id: string): Effect.Effect<void, RuntimeError> =>
    Effect.gen(function* () {
      if (Option.isNone(yield* inspectOwn(id, "container"))) return
      yield* remove(id)
    }).pipe(Effect.mapError(Engine.toRuntimeError))

  const inspectContainer = (id: string): Effect.Effect<ContainerInfo, RuntimeError | RuntimeNotFound> =>
    Effect.gen(function* () {
      const info = yield* Effect.mapError(inspectOwn(id, "container"), Engine.toRuntimeError)
      if (Option.isNone(info)) return yield* Effect.fail(new RuntimeNotFound({ id }))
      return containerInfoOf(info.value)
    })

  const probe: RuntimeService["probe"] = (containerId, action, timeoutSeconds) =>
    Effect.gen(function* () {
      const info = yield* inspectOwn(containerId, "container")
      if (Option.isNone(info)) return { result: "Failure", message: `container ${containerId} not found` } as const
      if (!info.value.State.Running) {
        return { result: "Failure", message: `container ${containerId} is not running` } as const
      }
      if (action._tag === "Exec") return yield* execProbe(engine, containerId, action.command, timeoutSeconds)
      const sandbox = yield* inspectOwn(info.value.Config.Labels?.[sandboxIdLabel] ?? "", "sandbox")
      const podIp = Option.match(sandbox, { onNone: () => "", onSome: (s) => sandboxOf(s).ip })
      const host = action.host ?? podIp
      if (host === "") return { result: "Failure", message: `pod of container ${containerId} has no IP` } as const
      return yield* action._tag === "HttpGet"
        ? httpProbe(action, host, timeoutSeconds)
        : tcpProbe(host, action.port, timeoutSeconds)
    }).pipe(
      Effect.map((result): ProbeResult => result),
      Effect.mapError((error) => (error instanceof RuntimeError ? error : Engine.toRuntimeError(error)))
    )

  const logs: RuntimeService["logs"] = (id, logOptions) =>
    Stream.unwrap(
      Effect.gen(function* () {
        const info = yield* Effect.mapError(inspectOwn(id, "container"), Engine.toRuntimeError)
        if (Option.isNone(info)) return yield* Effect.fail(new RuntimeNotFound({ id }))
        if (logOptions.tailLines === 0 && !logOptions.follow) return Stream.empty
        const query = {
          stdout: true,
          stderr: true,
          ...(logOptions.tailLines === undefined ? {} : { tail: logOptions.tailLines })
        }
        const toError = (error: unknown) => new RuntimeError({ message: `logs of ${id}: ${String(error)}` })
        if (!logOptions.follow) {
          const body = yield* call(`logs of ${id}`, (signal) =>
            container(id).logs({ ...query, follow: false, abortSignal: signal })
          ).pipe(Effect.mapError(Engine.toRuntimeError))
          return demultiplexedLines(Stream.succeed(Buffer.isBuffer(body) ? body : Buffer.from(String(body))))
        }
        const body = yield* call(`logs of ${id}`, (signal) =>
          container(id).logs({ ...query, follow: true, abortSignal: signal })
        ).pipe(Effect.mapError(Engine.toRuntimeError))
        return demultiplexedLines(Engine.chunks(body, toError))
      })
    )

  return {
    version: call("version", () => docker.version()).pipe(
      Effect.map((version) => `docker://${version.Version}`),
      Effect.mapError(Engine.toRuntimeError)
    ),
    hasImage: (image) => hasImage(engine, image),
    pullImage: (image) => pullImage(engine, image),
    runSandbox,
    stopSandbox,
    removeSandbox,
    listSandboxes: Effect.map(inspectAll("sandbox"), (infos) => infos.map(sandboxOf)).pipe(
      Effect.mapError(Engine.toRuntimeError)
    ),
    createContainer,
    startContainer,
    stopContainer,
    removeContainer,
    listContainers: Effect.map(inspectAll("container"), (infos) => infos.map(containerInfoOf)).pipe(
      Effect.mapError(Engine.toRuntimeError)
    ),
    listPod: (podUid) =>
      Effect.all({
        sandboxes: Effect.map(inspectAll("sandbox", podUid), (infos) => infos.map(sandboxOf)),
        containers: Effect.map(inspectAll("container", podUid), (infos) => infos.map(containerInfoOf))
      }).pipe(Effect.mapError(Engine.toRuntimeError)),
    inspectContainer,
    probe,
    logs,
    events: events(engine, nodeName)
  }
}

/** A Docker engine as the ContainerRuntime of `options.nodeName`. */
export const layer = (options: DockerRuntimeOptions): Layer.Layer<ContainerRuntime> =>
  Layer.sync(ContainerRuntime, () => make(options))
