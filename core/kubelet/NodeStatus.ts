/**
 * The kubelet's node side (kubelet_node_status.go and the nodelease controller): registers the
 * Node, renews its Lease in `kube-node-lease` every heartbeat, and posts the Node's status when
 * it changed or at least every `nodeStatusReportFrequency`. Every API call retries with a capped
 * backoff, so a kubelet outlives an API server that is away for a while.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import { canonicalResources, type ResourceList } from "../api/Container.js"
import type { Lease } from "../api/Lease.js"
import { Leases } from "../api/Lease.js"
import type { Node, NodeCondition, NodeStatus as NodeStatusType, NodeSystemInfo } from "../api/Node.js"
import { defaultKubeletPort, Nodes } from "../api/Node.js"
import { canonical } from "../api/validation.js"
import { equals } from "../apiserver/JsonValue.js"
import { Client } from "../client/Client.js"
import * as EventRecorder from "../client/EventRecorder.js"
import * as Informer from "../informer/Informer.js"
import { ContainerRuntime } from "../runtime/ContainerRuntime.js"
import { type KubeletOptions, periods } from "./KubeletOptions.js"
import { microTime, rfc3339 } from "../api/time.js"

/** The kubelet's options plus the node-status knobs. */
export interface NodeStatusOptions extends KubeletOptions {
  /** How often the status is posted when nothing changed (`nodeStatusReportFrequency`); default 5 min. */
  readonly nodeStatusReportFrequency?: Duration.DurationInput
  /** The node's InternalIP; default an address in 10.0.0.0/8 derived from the node's name. */
  readonly nodeIP?: string
  /** What the machine says of itself in `status.nodeInfo` (a real node's OS and kernel); default linux/amd64 only. */
  readonly systemInfo?: Partial<
    Pick<NodeSystemInfo, "osImage" | "kernelVersion" | "operatingSystem" | "architecture" | "machineID" | "bootID">
  >
}

/** Kubernetes' `nodeStatusReportFrequency`. */
export const defaultNodeStatusReportFrequency = Duration.minutes(5)
/** The namespace of the node heartbeat Leases. */
export const nodeLeaseNamespace = "kube-node-lease"
/** The kubelet's `nodeLeaseDurationSeconds`. */
export const nodeLeaseDurationSeconds = 40
/** What `status.nodeInfo.kubeletVersion` says. */
export const kubeletVersion = "v1.32.0-minik8s"

/** How many times a status write is retried on a conflict before waiting for the next tick (`nodeStatusUpdateRetry`). */
const statusUpdateRetries = 5

/** A stable 10.x.y.z address for a node name (FNV-1a), so simulated nodes get distinct, repeatable IPs. */
export const defaultNodeIP = (nodeName: string): string => {
  let hash = 0x811c9dc5
  for (let i = 0; i < nodeName.length; i++) hash = Math.imul(hash ^ nodeName.charCodeAt(i), 0x01000193) >>> 0
  return `10.${(hash >>> 16) & 255}.${(hash >>> 8) & 255}.${(hash & 255) % 254 || 1}`
}

/** The labels a kubelet always sets on its Node (updateDefaultLabels). */
const defaultLabels = (nodeName: string): Record<string, string> => ({
  "kubernetes.io/arch": "amd64",
  "kubernetes.io/hostname": nodeName,
  "kubernetes.io/os": "linux"
})

/** Kubernetes' registration backoff: 100 ms doubling to 7 s, forever. */
const registrationBackoff = Schedule.exponential("100 millis").pipe(Schedule.union(Schedule.spaced("7 seconds")))

/**
 * Runs `effect` until it succeeds, logging each failure, with Kubernetes' registration backoff
 * between tries. A first try that succeeds (nearly every heartbeat) costs one handler: the retry
 * schedule is built only once it failed, and starts from that failure (replayed to it).
 */
const retryForever = <A, E, R>(effect: Effect.Effect<A, E, R>, what: string): Effect.Effect<A, never, R> => {
  const warn = (error: E) => Effect.logWarning(`${what} failed, retrying`, error)
  const logged = Effect.tapError(effect, warn)
  return Effect.catchAll(effect, (first) => {
    let replayed = false
    return Effect.suspend(() => {
      if (replayed) return logged
      replayed = true
      return Effect.zipRight(warn(first), Effect.fail(first))
    }).pipe(Effect.retry(registrationBackoff), Effect.orDie)
  })
}

interface Health {
  readonly ready: boolean
  readonly runtimeVersion: string | undefined
}

/** The kubelet's conditions: Ready from the runtime's health, the pressures always False (no eviction manager). */
interface KubeletCondition {
  readonly type: string
  readonly status: string
  readonly reason: string
  readonly message: string
}

const kubeletConditions = (health: Health): ReadonlyArray<KubeletCondition> => [
  {
    type: "MemoryPressure",
    status: "False",
    reason: "KubeletHasSufficientMemory",
    message: "kubelet has sufficient memory available"
  },
  {
    type: "DiskPressure",
    status: "False",
    reason: "KubeletHasNoDiskPressure",
    message: "kubelet has no disk pressure"
  },
  {
    type: "PIDPressure",
    status: "False",
    reason: "KubeletHasSufficientPID",
    message: "kubelet has sufficient PID available"
  },
  health.ready
    ? { type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status" }
    : { type: "Ready", status: "False", reason: "KubeletNotReady", message: "container runtime is down" }
]

/** The event a condition's new status is reported with (kubelet's recordNodeStatusEvent reasons). */
const transitionEvents: Readonly<Record<string, string>> = {
  "Ready/True": "NodeReady",
  "Ready/False": "NodeNotReady",
  "MemoryPressure/False": "NodeHasSufficientMemory",
  "MemoryPressure/True": "NodeHasInsufficientMemory",
  "DiskPressure/False": "NodeHasNoDiskPressure",
  "DiskPressure/True": "NodeHasDiskPressure",
  "PIDPressure/False": "NodeHasSufficientPID",
  "PIDPressure/True": "NodeHasInsufficientPID"
}

// The capacity a kubelet was given never changes: its quantities are put in canonical form once.
const canonicalCapacities = new WeakMap<ResourceList, ResourceList>()
const capacityOf = (given: ResourceList): ResourceList => {
  let capacity = canonicalCapacities.get(given)
  if (capacity === undefined) canonicalCapacities.set(given, (capacity = canonicalResources(given)))
  return capacity
}

/**
 * The status the kubelet posts over `current`: its conditions (transition times kept while the
 * status holds), capacity, addresses and node info; fields and conditions others own are kept.
 */
const desiredStatus = (
  options: NodeStatusOptions,
  current: NodeStatusType | undefined,
  health: Health,
  now: string
): { readonly status: NodeStatusType; readonly transitions: ReadonlyArray<string> } => {
  const previous = current?.conditions ?? []
  const transitions: Array<string> = []
  const ours = kubeletConditions(health).map((c): NodeCondition => {
    const was = previous.find((p) => p.type === c.type)
    const changed = was === undefined || was.status !== c.status
    const reason = transitionEvents[`${c.type}/${c.status}`]
    // A Ready condition first posted is no transition (Kubernetes records none); the others are.
    if (reason !== undefined && changed && !(was === undefined && c.type === "Ready")) transitions.push(reason)
    return { ...c, lastHeartbeatTime: now, lastTransitionTime: changed ? now : (was.lastTransitionTime ?? now) }
  })
  const others = previous.filter((p) => !ours.some((c) => c.type === p.type))
  const capacity = capacityOf(options.capacity)
  const nodeInfo = {
    ...current?.nodeInfo,
    operatingSystem: "linux",
    architecture: "amd64",
    ...options.systemInfo,
    kubeletVersion,
    ...(health.runtimeVersion === undefined ? {} : { containerRuntimeVersion: health.runtimeVersion })
  }
  return {
    status: {
      ...current,
      capacity,
      allocatable: capacity,
      conditions: [...others, ...ours],
      addresses: [
        { type: "InternalIP", address: options.nodeIP ?? defaultNodeIP(options.nodeName) },
        { type: "Hostname", address: options.nodeName }
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: options.kubeletPort ?? defaultKubeletPort } },
      nodeInfo
    },
    transitions
  }
}

/** The status with heartbeat times removed and conditions in a fixed order (nodeStatusHasChanged). */
const comparable = (status: NodeStatusType | undefined): NodeStatusType => ({
  ...status,
  conditions: [...(status?.conditions ?? [])]
    .map(({ lastHeartbeatTime: _, ...rest }) => rest)
    .sort((a, b) => ((a.type ?? "") < (b.type ?? "") ? -1 : (a.type ?? "") > (b.type ?? "") ? 1 : 0))
})

/**
 * Registers the node and starts its heartbeats (Lease renewal and status posting) in the current
 * scope. Returns at once; the loops retry through API errors until the scope closes.
 */
export const run = (options: NodeStatusOptions): Effect.Effect<void, never, Client | ContainerRuntime | Scope.Scope> =>
  Effect.gen(function* () {
    const client = yield* Client
    const runtime = yield* ContainerRuntime
    const recorder = yield* EventRecorder.make("kubelet", options.nodeName)
    const { heartbeatInterval, minWatchTimeout } = periods(options)
    const reportEvery = Duration.toMillis(
      Duration.decode(options.nodeStatusReportFrequency ?? defaultNodeStatusReportFrequency)
    )
    const nodeName = options.nodeName
    // The kubelet's node lister: its own Node, watched (kubelet.go's node informer).
    const nodeLister = yield* Informer.make(Nodes, { fieldSelector: `metadata.name=${nodeName}`, minWatchTimeout })
    // Plain variables, not Refs: only this kubelet's two loops touch them, a step at a time.
    let lastReport: number | undefined
    let lastVersion: string | undefined

    const health: Effect.Effect<Health> = Effect.match(runtime.version, {
      onSuccess: (version): Health => {
        lastVersion = version
        return { ready: true, runtimeVersion: version }
      },
      onFailure: (): Health => ({ ready: false, runtimeVersion: lastVersion })
    })

    const initialNode = (status: NodeStatusType): Node => ({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: nodeName, labels: { ...defaultLabels(nodeName), ...options.labels } },
      spec: options.taints === undefined || options.taints.length === 0 ? {} : { taints: options.taints },
      status
    })

    const recordTransitions = (node: Node, reasons: ReadonlyArray<string>) =>
      Effect.forEach(
        reasons,
        (reason) => recorder.event(node, "Normal", reason, `Node ${nodeName} status is now: ${reason}`),
        { discard: true }
      )

    // A re-registering kubelet refreshes its labels and leaves everything else (taints, spec) as others set it.
    const reconcileLabels = (existing: Node) => {
      const labels = { ...existing.metadata.labels, ...defaultLabels(nodeName), ...options.labels }
      return canonical(labels) === canonical(existing.metadata.labels ?? {})
        ? Effect.succeed(existing)
        : client.update(Nodes, { ...existing, metadata: { ...existing.metadata, labels } })
    }

    const register = Effect.gen(function* () {
      const now = rfc3339(yield* Clock.currentTimeMillis)
      const { status, transitions } = desiredStatus(options, undefined, yield* health, now)
      yield* client.create(Nodes, initialNode(status)).pipe(
        Effect.tap((created) => recordTransitions(created, transitions)),
        Effect.tap(() => Effect.logInfo("registered node")),
        Effect.catchTag("AlreadyExists", () =>
          client.get(Nodes, nodeName).pipe(
            Effect.flatMap(reconcileLabels),
            Effect.tap(() => Effect.logInfo("node already registered, labels reconciled"))
          )
        )
      )
    })

    // The node status last found to need no write, with the health it was computed from. The verdict
    // depends on nothing else (the time only moves heartbeats, which the comparison leaves out), so
    // while the informer holds that same status and the health is the same, it stands.
    let unchanged: { readonly status: NodeStatusType | undefined; readonly health: Health } | undefined

    /** Computes the status over `node` and writes it when it changed or a report is due. */
    const postOver = (node: Node, h: Health) =>
      Effect.clockWith((clock) => {
        const nowMillis = clock.unsafeCurrentTimeMillis()
        const last = lastReport
        const due = last === undefined || nowMillis - last >= reportEvery
        const known = unchanged
        if (
          !due &&
          known !== undefined &&
          known.status === node.status &&
          known.health.ready === h.ready &&
          known.health.runtimeVersion === h.runtimeVersion
        ) {
          return Effect.void
        }
        const { status, transitions } = desiredStatus(options, node.status, h, rfc3339(nowMillis))
        if (!due && equals(comparable(status), comparable(node.status))) {
          unchanged = { status: node.status, health: h }
          return Effect.void
        }
        return Effect.flatMap(client.updateStatus(Nodes, { ...node, status }), (written) => {
          lastReport = nowMillis
          return recordTransitions(written, transitions)
        })
      })

    // The first try reads the node from the lister, retries from the API server (tryUpdateNodeStatus:
    // in large clusters these GETs were most of the API server's load). Compute, write when changed or due.
    const postStatusOnce = (fromLister: boolean) =>
      Effect.flatMap(health, (h) => {
        const listed = fromLister ? nodeLister.get(nodeName) : undefined
        return listed === undefined
          ? Effect.flatMap(client.get(Nodes, nodeName), (node) => postOver(node, h))
          : postOver(listed, h)
      })
    const warnStatus = (error: unknown) => Effect.logWarning("error updating node status, will retry", error)
    // A conflict (someone else wrote the node, or the lister lagged) re-reads from the API server.
    const postStatus = Effect.catchAll(postStatusOnce(true), (error) =>
      error._tag === "Conflict"
        ? Effect.retry(postStatusOnce(false), {
            while: (e) => e._tag === "Conflict",
            times: statusUpdateRetries - 2
          }).pipe(Effect.catchAll(warnStatus))
        : warnStatus(error)
    )

    const statusLoop = Effect.gen(function* () {
      yield* retryForever(register, "registering node")
      while (true) {
        yield* postStatus
        yield* Effect.sleep(heartbeatInterval)
      }
    })

    let latestLease: Lease | undefined

    const leaseFor = (existing: Lease | undefined, uid: string | undefined, now: number): Lease => {
      const owned = (existing?.metadata.ownerReferences ?? []).length > 0
      return {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        ...existing,
        metadata: {
          ...existing?.metadata,
          name: nodeName,
          namespace: nodeLeaseNamespace,
          ...(owned || uid === undefined
            ? {}
            : { ownerReferences: [{ apiVersion: "v1", kind: "Node", name: nodeName, uid }] })
        },
        spec: {
          ...existing?.spec,
          holderIdentity: nodeName,
          leaseDurationSeconds: nodeLeaseDurationSeconds,
          renewTime: microTime(now)
        }
      }
    }

    const writeLease = (existing: Lease | undefined, uid: string | undefined, now: number) =>
      Effect.map(
        existing === undefined
          ? client.create(Leases, leaseFor(undefined, uid, now))
          : client.update(Leases, leaseFor(existing, uid, now)),
        (written) => {
          latestLease = written
        }
      )

    // The owner is the Node as it is now (setNodeOwnerFunc): a deleted Node owns nothing, a recreated one anew.
    const ownerUid = client.get(Nodes, nodeName).pipe(
      Effect.map((node) => node.metadata.uid),
      Effect.catchTag("NotFound", () => Effect.succeed(undefined))
    )

    // Renews from the last Lease written (no GET per beat); a conflict or a missing Lease re-reads or creates it.
    const renewLease = Effect.clockWith((clock) => {
      const now = clock.unsafeCurrentTimeMillis()
      const cached = latestLease
      // Forgotten until a write succeeds: after a failure the next try reads the Lease anew.
      latestLease = undefined
      const owned = (lease: Lease | undefined) => (lease?.metadata.ownerReferences ?? []).length > 0
      if (owned(cached)) return writeLease(cached, undefined, now)
      return Effect.gen(function* () {
        const fresh =
          cached ??
          (yield* client
            .get(Leases, nodeName, { namespace: nodeLeaseNamespace })
            .pipe(Effect.catchTag("NotFound", () => Effect.succeed(undefined))))
        yield* writeLease(fresh, owned(fresh) ? undefined : yield* ownerUid, now)
      })
    })

    // A plain loop: Effect.forever would also yield to other fibers on every beat.
    const leaseLoop = Effect.gen(function* () {
      while (true) {
        yield* retryForever(renewLease, "renewing node lease")
        yield* Effect.sleep(heartbeatInterval)
      }
    })

    yield* Effect.forkScoped(statusLoop)
    yield* Effect.forkScoped(leaseLoop)
  }).pipe(Effect.annotateLogs({ component: "kubelet", node: options.nodeName }))
