import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { Deployment } from "../../core/api/Deployment.js"
import { Deployments } from "../../core/api/Deployment.js"
import { Leases } from "../../core/api/Lease.js"
import { type Node, Nodes } from "../../core/api/Node.js"
import { type Pod, Pods } from "../../core/api/Pod.js"
import { timeMillis } from "../../core/api/time.js"
import { nodeLeaseNamespace } from "../../core/kubelet/NodeStatus.js"
import { Simulation } from "../clock/Simulation.js"
import * as Network from "../network/Network.js"
import { type ClusterSpec, defaultTiming, type NodeGroup } from "../scenario/Scenario.js"
import * as Cluster from "./Cluster.js"

const group = (names: ReadonlyArray<string>, extra: Partial<NodeGroup> = {}): NodeGroup => ({
  names,
  cpu: "4",
  memory: "8Gi",
  pods: 110,
  labels: {},
  taints: [],
  unschedulable: false,
  ...extra
})

const threeNodes: ClusterSpec = {
  nodes: [group(["node-1", "node-2", "node-3"])],
  scheduler: { profile: "default" },
  timing: defaultTiming
}

/** Runs `program` against a fresh cluster in virtual time; a failed expectation fails the test. */
const simulate = <A>(
  program: (cluster: Cluster.Cluster) => Effect.Effect<A, unknown, Scope.Scope>,
  options: {
    readonly seed?: number
    readonly spec?: ClusterSpec
    readonly onResponse?: Network.NetworkOptions["onResponse"]
  } = {}
): A => {
  const spec = options.spec ?? threeNodes
  const run = Effect.gen(function* () {
    const latency = spec.timing.apiLatency
    const network = yield* Network.make(
      options.onResponse === undefined ? { latency } : { latency, onResponse: options.onResponse }
    )
    return yield* program(yield* Cluster.make(spec, { network }))
  })
  const exit = new Simulation({ seed: options.seed ?? 1 }).run(
    Effect.scoped(run).pipe(Logger.withMinimumLogLevel(LogLevel.None))
  )
  if (Exit.isFailure(exit)) throw new Error(Cause.pretty(exit.cause))
  return exit.value
}

const seconds = (n: number) => n * 1_000

/** Virtual millis since the start of the run. */
const now = Effect.map(Clock.currentTimeMillis, (t) => t - Date.UTC(2025, 0, 1))

/** Polls `check` every half second until it holds; fails after `timeout` ms. Answers when it held. */
const waitUntil = <E, R>(what: string, check: Effect.Effect<boolean, E, R>, timeout: number) =>
  Effect.gen(function* () {
    const deadline = (yield* now) + timeout
    while (!(yield* check)) {
      if ((yield* now) >= deadline) return yield* Effect.fail(new Error(`${what}: not within ${timeout} ms`))
      yield* Effect.sleep(500)
    }
    return yield* now
  })

const web = (replicas: number): Deployment => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "default" },
  spec: {
    replicas,
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: { containers: [{ name: "web", image: "nginx:1.27", resources: { requests: { cpu: "500m" } } }] }
    }
  }
})

const readyOf = (node: Node) => node.status?.conditions?.find((c) => c.type === "Ready")?.status

const nodeReady = (cluster: Cluster.Cluster, name: string) =>
  cluster.client.get(Nodes, name).pipe(
    Effect.map((node) => readyOf(node) === "True"),
    Effect.catchTag("NotFound", () => Effect.succeed(false))
  )

const readyReplicas = (cluster: Cluster.Cluster, n: number) =>
  Effect.map(cluster.client.get(Deployments, "web", { namespace: "default" }), (d) => d.status?.readyReplicas === n)

const webPods = (cluster: Cluster.Cluster) =>
  Effect.map(cluster.client.list(Pods, { namespace: "default", labelSelector: "app=web" }), (list) =>
    list.items.filter((p) => p.metadata.deletionTimestamp === undefined)
  )

const isReady = (pod: Pod) => pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true

/** Deploys `web` with `replicas` and waits until they are all ready. */
const deployWeb = (cluster: Cluster.Cluster, replicas: number) =>
  Effect.gen(function* () {
    yield* cluster.client.create(Deployments, web(replicas))
    return yield* waitUntil("web ready", readyReplicas(cluster, replicas), seconds(60))
  })

describe("Cluster", () => {
  it("registers every node Ready", () => {
    const names = simulate((cluster) =>
      Effect.gen(function* () {
        yield* waitUntil(
          "3 Ready nodes",
          Effect.map(
            cluster.client.list(Nodes),
            (list) => list.items.filter((n) => readyOf(n) === "True").length === 3
          ),
          seconds(10)
        )
        return cluster.nodeNames()
      })
    )
    expect(names).toEqual(["node-1", "node-2", "node-3"])
  })

  it("runs a Deployment of 3 to ready within a minute; pods tolerate failing nodes for evictionTimeout", () => {
    const { readyAt, pods } = simulate((cluster) =>
      Effect.gen(function* () {
        const readyAt = yield* deployWeb(cluster, 3)
        return { readyAt, pods: yield* webPods(cluster) }
      })
    )
    expect(readyAt).toBeLessThan(seconds(60))
    expect(pods).toHaveLength(3)
    for (const pod of pods) {
      expect(pod.status?.podIP).toMatch(/^10\.244\.[123]\.\d+$/)
      expect(pod.spec?.tolerations).toContainEqual({
        key: "node.kubernetes.io/unreachable",
        operator: "Exists",
        effect: "NoExecute",
        tolerationSeconds: defaultTiming.evictionTimeout / 1000
      })
    }
  })

  it("crashNode: NotReady after the grace period, pods replaced elsewhere after the eviction timeout; restartNode: Ready, empty", () => {
    const result = simulate((cluster) =>
      Effect.gen(function* () {
        yield* deployWeb(cluster, 3)
        const victim = (yield* webPods(cluster))[0]!.spec!.nodeName!
        const crashedAt = yield* now
        yield* cluster.crashNode(victim)
        expect(cluster.runtime(victim)?.isUp()).toBe(false)
        const notReadyAt = yield* waitUntil(
          "NotReady",
          Effect.map(nodeReady(cluster, victim), (ready) => !ready),
          seconds(120)
        )
        const onVictim = (pods: ReadonlyArray<Pod>) => pods.filter((p) => p.spec?.nodeName === victim).length
        const stillThere = onVictim(yield* webPods(cluster))
        const replacedAt = yield* waitUntil(
          "replaced",
          Effect.map(webPods(cluster), (pods) => onVictim(pods) === 0 && pods.filter(isReady).length === 3),
          seconds(120)
        )
        yield* cluster.restartNode(victim)
        const containersAtBoot = yield* cluster.runtime(victim)!.listContainers
        yield* waitUntil("Ready again", nodeReady(cluster, victim), seconds(30))
        yield* Effect.sleep(seconds(20))
        return {
          crashedAt,
          notReadyAt,
          stillThere,
          replacedAt,
          containersAtBoot,
          containersLater: yield* cluster.runtime(victim)!.listContainers
        }
      })
    )
    const grace = defaultTiming.nodeMonitorGracePeriod
    // The last heartbeat was at most one interval before the crash; the controller looks every 5 s.
    expect(result.notReadyAt - result.crashedAt).toBeGreaterThanOrEqual(grace - defaultTiming.heartbeatInterval)
    expect(result.notReadyAt - result.crashedAt).toBeLessThanOrEqual(grace + seconds(10))
    expect(result.stillThere).toBeGreaterThan(0)
    expect(result.replacedAt - result.notReadyAt).toBeGreaterThanOrEqual(defaultTiming.evictionTimeout)
    expect(result.replacedAt - result.notReadyAt).toBeLessThanOrEqual(defaultTiming.evictionTimeout + seconds(30))
    expect(result.containersAtBoot).toEqual([])
    expect(result.containersLater).toEqual([])
  })

  it("stopKubelet/startKubelet: containers keep running with the same ids and are re-adopted", () => {
    const result = simulate((cluster) =>
      Effect.gen(function* () {
        yield* deployWeb(cluster, 3)
        const node = (yield* webPods(cluster))[0]!.spec!.nodeName!
        const runtime = cluster.runtime(node)!
        const before = (yield* runtime.listContainers).map((c) => [c.id, c.state])
        yield* cluster.stopKubelet(node)
        yield* Effect.sleep(seconds(20))
        const whileStopped = (yield* runtime.listContainers).map((c) => [c.id, c.state])
        yield* cluster.startKubelet(node)
        yield* Effect.sleep(seconds(30))
        const after = (yield* runtime.listContainers).map((c) => [c.id, c.state])
        const pods = yield* webPods(cluster)
        return {
          before,
          whileStopped,
          after,
          ready: pods.filter(isReady).length,
          nodeReady: yield* nodeReady(cluster, node)
        }
      })
    )
    expect(result.before.length).toBeGreaterThan(0)
    expect(result.before.every(([, state]) => state === "Running")).toBe(true)
    expect(result.whileStopped).toEqual(result.before)
    expect(result.after).toEqual(result.before)
    expect(result.ready).toBe(3)
    expect(result.nodeReady).toBe(true)
  })

  it("keeps scheduling and reconciling after the scheduler, the controller-manager and the API server restart", () => {
    const ready = simulate((cluster) =>
      Effect.gen(function* () {
        yield* deployWeb(cluster, 3)
        yield* cluster.restartComponent("scheduler")
        yield* cluster.restartComponent("controller-manager")
        yield* cluster.restartComponent("apiserver")
        yield* cluster.client.scale(Deployments, "web", 6, { namespace: "default" })
        yield* waitUntil("6 ready", readyReplicas(cluster, 6), seconds(60))
        return (yield* webPods(cluster)).filter(isReady).length
      })
    )
    expect(ready).toBe(6)
  })

  it("restartKubelet: the kubelet starts again and re-adopts the running containers; a stopped one stays stopped", () => {
    const result = simulate((cluster) =>
      Effect.gen(function* () {
        yield* deployWeb(cluster, 3)
        const node = (yield* webPods(cluster))[0]!.spec!.nodeName!
        const runtime = cluster.runtime(node)!
        const before = runtime.containers()
        yield* cluster.restartKubelet(node)
        yield* Effect.sleep(seconds(30))
        const after = runtime.containers()
        const ready = (yield* webPods(cluster)).filter(isReady).length
        const other = cluster.nodeNames().find((name) => name !== node)!
        yield* cluster.stopKubelet(other)
        yield* cluster.restartKubelet(other)
        yield* Effect.sleep(defaultTiming.nodeMonitorGracePeriod + seconds(20))
        return {
          before,
          after,
          ready,
          nodeReady: yield* nodeReady(cluster, node),
          stopped: yield* nodeReady(cluster, other)
        }
      })
    )
    expect(result.before.length).toBeGreaterThan(0)
    expect(result.before.every((c) => c.running)).toBe(true)
    expect(result.after).toEqual(result.before)
    expect(result).toMatchObject({ ready: 3, nodeReady: true, stopped: false })
  })

  it("a kubelet crashed right after its first pod write: the old kubelet is answered nothing more, the new one converges", () => {
    let crashing = false
    const whileCrashing: Array<string> = []
    const result = simulate(
      (cluster) =>
        Effect.gen(function* () {
          yield* deployWeb(cluster, 3)
          const node = (yield* webPods(cluster))[0]!.spec!.nodeName!
          const runtime = yield* Effect.runtime<never>()
          let restarts = 0
          const crash = Effect.ensuring(
            cluster.restartKubelet(node),
            Effect.sync(() => {
              crashing = false
              restarts++
            })
          )
          const armed = yield* cluster.network.armWrite(node, { kind: "pod", nth: 1 }, () => {
            crashing = true
            Runtime.runFork(runtime)(crash, { immediate: false })
          })
          yield* cluster.client.scale(Deployments, "web", 9, { namespace: "default" })
          yield* waitUntil("9 ready", readyReplicas(cluster, 9), seconds(120))
          return { fired: armed.fired(), restarts, containers: cluster.runtime(node)!.containers() }
        }),
      {
        onResponse: (component) => {
          if (crashing) whileCrashing.push(component)
        }
      }
    )
    expect([result.fired, result.restarts]).toEqual([true, 1])
    expect(whileCrashing).toEqual([])
    // One container per pod container: the new kubelet adopted what the old one ran.
    const keys = result.containers.filter((c) => c.running).map((c) => `${c.podUid}/${c.container}`)
    expect(new Set(keys).size).toBe(keys.length)
  })

  it("clockSkew: the node's kubelet stamps its heartbeats with its own clock, across restarts; its beats keep their pace", () => {
    const hour = 3_600_000
    const beat = defaultTiming.heartbeatInterval
    const result = simulate((cluster) =>
      Effect.gen(function* () {
        yield* waitUntil("node-1 Ready", nodeReady(cluster, "node-1"), seconds(10))
        // How far a node's last Lease renewal reads ahead of the simulation's time now.
        const ahead = (node: string) =>
          Effect.gen(function* () {
            const lease = yield* cluster.client.get(Leases, node, { namespace: nodeLeaseNamespace })
            return timeMillis(lease.spec?.renewTime)! - (yield* Clock.currentTimeMillis)
          })
        yield* cluster.clockSkew("node-1", hour)
        yield* cluster.clockSkew("no-such-node", hour)
        yield* Effect.sleep(beat + seconds(1))
        const skewed = [yield* ahead("node-1"), yield* ahead("node-2")]
        // Two readings a beat apart, half a beat after a renewal: one renewal in between.
        yield* Effect.sleep(beat)
        const paced = yield* ahead("node-1")
        yield* cluster.restartKubelet("node-1")
        yield* cluster.clockSkew("node-1", -hour)
        yield* Effect.sleep(beat + seconds(1))
        return { skewed, paced, behind: yield* ahead("node-1") }
      })
    )
    const within = (value: number, offset: number) => value <= offset && value >= offset - beat - seconds(1)
    expect(within(result.skewed[0]!, hour)).toBe(true)
    expect(within(result.skewed[1]!, 0)).toBe(true)
    expect(Math.abs(result.paced - result.skewed[0]!)).toBeLessThan(20)
    expect(within(result.behind, -hour)).toBe(true)
  })

  it("registers an unschedulable group cordoned; nothing is placed there", () => {
    const spec: ClusterSpec = {
      ...threeNodes,
      nodes: [group(["node-1"]), group(["spare"], { unschedulable: true, labels: { role: "spare" } })]
    }
    const result = simulate(
      (cluster) =>
        Effect.gen(function* () {
          yield* deployWeb(cluster, 4)
          const spare = yield* cluster.client.get(Nodes, "spare")
          return { spare, nodes: (yield* webPods(cluster)).map((p) => p.spec?.nodeName) }
        }),
      { spec }
    )
    expect(result.spare.spec?.unschedulable).toBe(true)
    expect(readyOf(result.spare)).toBe("True")
    expect(result.spare.metadata.labels).toMatchObject({ role: "spare", "kubernetes.io/hostname": "spare" })
    expect(result.nodes).toEqual(["node-1", "node-1", "node-1", "node-1"])
  })

  it("addNodes joins nodes later; crashContainer ends the container and the kubelet restarts it", () => {
    const result = simulate((cluster) =>
      Effect.gen(function* () {
        yield* cluster.addNodes(group(["node-4"]))
        yield* waitUntil("node-4 Ready", nodeReady(cluster, "node-4"), seconds(10))
        yield* deployWeb(cluster, 1)
        const pod = (yield* webPods(cluster))[0]!
        const hit = yield* cluster.crashContainer(pod.metadata.uid!, "web", 2)
        const missed = yield* cluster.crashContainer("no-such-uid", "web", 2)
        yield* waitUntil(
          "restarted",
          Effect.map(cluster.client.get(Pods, pod.metadata.name!, { namespace: "default" }), (p) => {
            const status = p.status?.containerStatuses?.[0]
            return status?.restartCount === 1 && status.state?.running !== undefined
          }),
          seconds(60)
        )
        const restarted = yield* cluster.client.get(Pods, pod.metadata.name!, { namespace: "default" })
        return { nodes: cluster.nodeNames(), hit, missed, last: restarted.status?.containerStatuses?.[0]?.lastState }
      })
    )
    expect(result.nodes).toEqual(["node-1", "node-2", "node-3", "node-4"])
    expect(result.hit).toBe(true)
    expect(result.missed).toBe(false)
    expect(result.last?.terminated?.exitCode).toBe(2)
  })

  it("validates custom scheduler profiles", () => {
    expect(
      Cluster.validateProfile({ filter: ["NodeResourcesFit"], score: [{ name: "NodeResourcesFit", weight: 1 }] })
    ).toBe(undefined)
    expect(
      Cluster.validateProfile({
        filter: ["NodeResourcesFit"],
        score: [{ name: "NodeResourcesFit", weight: 1, strategy: "MostAllocated" }]
      })
    ).toBe(undefined)
    expect(Cluster.validateProfile({ filter: ["NoSuchPlugin"], score: [] })).toMatch(/NoSuchPlugin/)
    expect(
      Cluster.validateProfile({ filter: [], score: [{ name: "NodeResourcesFit", weight: 1, strategy: "Sideways" }] })
    ).toMatch(/Sideways/)
    expect(Either.isLeft(Cluster.schedulerProfile("no-such-profile"))).toBe(true)
  })

  it("repeats a run exactly from its seed: the same bindings and the same final revision", () => {
    const run = (seed: number) =>
      simulate(
        (cluster) =>
          Effect.gen(function* () {
            const bindings: Array<string> = []
            yield* cluster.store.watch("/registry/core/pods/", (yield* cluster.store.revision) + 1).pipe(
              Stream.runForEach((event) =>
                Effect.sync(() => {
                  const node = (event.entry.value as Pod).spec?.nodeName
                  const before = (event.previous?.value as Pod | undefined)?.spec?.nodeName
                  if (node !== undefined && before === undefined) {
                    bindings.push(`${event.revision} ${(event.entry.value as Pod).metadata.name} → ${node}`)
                  }
                })
              ),
              Effect.forkScoped
            )
            yield* deployWeb(cluster, 3)
            yield* cluster.crashNode("node-1")
            yield* Effect.sleep(seconds(120))
            return { bindings, revision: yield* cluster.store.revision }
          }),
        { seed }
      )
    const first = run(5)
    expect(first.bindings.length).toBeGreaterThanOrEqual(3)
    expect(run(5)).toEqual(first)
  })
})
