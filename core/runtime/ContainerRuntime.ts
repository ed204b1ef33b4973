/**
 * The ContainerRuntime service: what a kubelet asks of its node's container engine, CRI-shaped
 * (sandboxes that hold a pod's network, containers inside them, images, probes, logs). One
 * instance serves one node: it lists and touches only that node's sandboxes and containers, so
 * several agents may share one engine. Real layer: `runtimes/docker`; simulated: `sim/runtime`;
 * for unit tests: `MemoryRuntime`.
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import type { ResourceList } from "../api/Container.js"

/** The engine failed or could not be reached (Docker down, simulated node crashed). */
export class RuntimeError extends Data.TaggedError("RuntimeError")<{ readonly message: string }> {}

/** The named sandbox or container does not exist (any more). */
export class RuntimeNotFound extends Data.TaggedError("RuntimeNotFound")<{ readonly id: string }> {}

/** The image could not be pulled: the kubelet reports `ErrImagePull`, then `ImagePullBackOff`. */
export class ImagePullError extends Data.TaggedError("ImagePullError")<{
  readonly image: string
  readonly message: string
}> {}

/** Who a sandbox or container belongs to; the real runtime keeps it in labels, so a restarted agent re-adopts. */
export interface PodRef {
  readonly uid: string
  readonly namespace: string
  readonly name: string
}

export interface SandboxConfig {
  readonly pod: PodRef
  /** The pod's restart-surviving identity in the engine: one sandbox per (pod uid, attempt). */
  readonly attempt: number
  readonly hostname: string
  readonly labels: Readonly<Record<string, string>>
  readonly annotations: Readonly<Record<string, string>>
}

export interface Sandbox {
  readonly id: string
  readonly pod: PodRef
  readonly attempt: number
  readonly state: "Ready" | "NotReady"
  /** The pod's IP address (shared by its containers). */
  readonly ip: string
  /** Epoch milliseconds, from the runtime's clock. */
  readonly createdAt: number
}

export interface ContainerConfig {
  readonly pod: PodRef
  readonly sandboxId: string
  /** The container's name in the pod spec. */
  readonly name: string
  readonly image: string
  readonly command: ReadonlyArray<string>
  readonly args: ReadonlyArray<string>
  readonly env: Readonly<Record<string, string>>
  readonly workingDir?: string
  readonly requests: ResourceList
  readonly limits: ResourceList
  /** Restart count of this container in its pod: a new container per attempt. */
  readonly attempt: number
  /** The pod's annotations: the simulated runtime reads `sim.minik8s.io/*` behaviour from them. */
  readonly podAnnotations: Readonly<Record<string, string>>
  readonly init: boolean
}

export type ContainerStateName = "Created" | "Running" | "Exited" | "Unknown"

export interface ContainerInfo {
  readonly id: string
  readonly pod: PodRef
  readonly sandboxId: string
  readonly name: string
  readonly attempt: number
  readonly image: string
  /** The image's content id (`docker-pullable://…@sha256:…` in Kubernetes; any stable id here). */
  readonly imageId: string
  readonly state: ContainerStateName
  /** Epoch milliseconds. */
  readonly createdAt: number
  readonly startedAt?: number
  readonly finishedAt?: number
  readonly exitCode?: number
  /** Why it exited: `Completed`, `Error`, `OOMKilled`, `ContainerCannotRun`… */
  readonly reason?: string
  readonly message?: string
}

/** What a probe runs; the real runtime executes it, the simulated one decides its outcome. */
export type ProbeAction =
  | { readonly _tag: "Exec"; readonly command: ReadonlyArray<string> }
  | {
      readonly _tag: "HttpGet"
      readonly scheme: "HTTP" | "HTTPS"
      readonly host?: string
      readonly port: number
      readonly path: string
      readonly headers: ReadonlyArray<{ readonly name: string; readonly value: string }>
    }
  | { readonly _tag: "TcpSocket"; readonly host?: string; readonly port: number }

export interface ProbeResult {
  readonly result: "Success" | "Failure"
  readonly message?: string
}

/** A change the engine reports, so the kubelet need not poll to notice a container exit (evented PLEG). */
export interface RuntimeEvent {
  readonly type: "ContainerStarted" | "ContainerExited" | "ContainerRemoved" | "SandboxRemoved"
  readonly podUid: string
  readonly id: string
}

export interface LogOptions {
  /** Keep the stream open for new lines until the container exits. */
  readonly follow: boolean
  /** Only the last N lines; omitted means all. */
  readonly tailLines?: number
}

/** What the runtime holds of one pod, in no particular order. */
export interface PodListing {
  readonly sandboxes: ReadonlyArray<Sandbox>
  readonly containers: ReadonlyArray<ContainerInfo>
}

export class ContainerRuntime extends Context.Tag("minik8s/ContainerRuntime")<
  ContainerRuntime,
  {
    /** Engine name and version, for `status.nodeInfo.containerRuntimeVersion` (`docker://27.5.1`). */
    readonly version: Effect.Effect<string, RuntimeError>
    /** Whether the image is present on the node. */
    readonly hasImage: (image: string) => Effect.Effect<boolean, RuntimeError>
    readonly pullImage: (image: string) => Effect.Effect<void, ImagePullError | RuntimeError>
    readonly runSandbox: (config: SandboxConfig) => Effect.Effect<Sandbox, RuntimeError>
    /** Stops every container of the sandbox (killing them) and the sandbox itself; idempotent. */
    readonly stopSandbox: (id: string) => Effect.Effect<void, RuntimeError>
    /** Removes a stopped sandbox and its containers; idempotent. */
    readonly removeSandbox: (id: string) => Effect.Effect<void, RuntimeError>
    readonly listSandboxes: Effect.Effect<ReadonlyArray<Sandbox>, RuntimeError>
    readonly createContainer: (config: ContainerConfig) => Effect.Effect<string, RuntimeError | RuntimeNotFound>
    readonly startContainer: (id: string) => Effect.Effect<void, RuntimeError | RuntimeNotFound>
    /** SIGTERM, then SIGKILL after the grace period; returns once the container has exited. Idempotent. */
    readonly stopContainer: (id: string, gracePeriodSeconds: number) => Effect.Effect<void, RuntimeError>
    readonly removeContainer: (id: string) => Effect.Effect<void, RuntimeError>
    /** This node's containers, every state. */
    readonly listContainers: Effect.Effect<ReadonlyArray<ContainerInfo>, RuntimeError>
    /**
     * The sandboxes and containers of the pod with this uid, every state: the listings filtered by
     * the pod's uid, as Kubernetes' GetPodStatus asks CRI, so one pod's sync never waits on another's.
     */
    readonly listPod: (podUid: string) => Effect.Effect<PodListing, RuntimeError>
    readonly inspectContainer: (id: string) => Effect.Effect<ContainerInfo, RuntimeError | RuntimeNotFound>
    readonly probe: (
      containerId: string,
      action: ProbeAction,
      timeoutSeconds: number
    ) => Effect.Effect<ProbeResult, RuntimeError>
    readonly logs: (containerId: string, options: LogOptions) => Stream.Stream<string, RuntimeError | RuntimeNotFound>
    /** Starts, exits and removals as they happen, from now on. */
    readonly events: Stream.Stream<RuntimeEvent, RuntimeError>
  }
>() {}
