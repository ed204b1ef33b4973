/**
 * Real against simulated: the one sequence of realVsSim.scenario.yaml (apply, scale, a node agent
 * killed) played over a Client in simulation and on a real cluster (`minik8s up` over etcd and
 * Docker), and the states both reach compared. After every `expect` step each mode records a
 * normalised checkpoint (the Deployment's status, ReplicaSets, nodes, pods by phase and node); the
 * checkpoints must be equal, except the per-node placement before the kill, which hangs on the
 * scheduler's random tie-break between equal nodes (its multiset is compared instead). The file
 * lives in cli/ because its real half starts the CLI; the simulated half always runs, the real one
 * is skipped with a printed reason when etcd or Docker is missing, except under MINIK8S_E2E=1.
 */
import Docker from "dockerode"
import { execFile } from "node:child_process"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Deployments, type Deployment } from "../core/api/Deployment.js"
import type { KubeObject } from "../core/api/meta.js"
import { Nodes, type Node } from "../core/api/Node.js"
import { Pods, type Pod } from "../core/api/Pod.js"
import { byName } from "../core/api/registry.js"
import { ReplicaSets } from "../core/api/ReplicaSet.js"
import type { ResourceType } from "../core/api/resource.js"
import * as Apply from "../core/client/Apply.js"
import { Client } from "../core/client/Client.js"
import { isPodReady } from "../core/controllers/PodConditions.js"
import { nodeLabel } from "../runtimes/docker/labels.js"
import { commandPresent, dockerPresent, dockerSocket, type EtcdProcess, startEtcd } from "../runtimes/e2e.js"
import { Simulation } from "../sim/clock/Simulation.js"
import * as Cluster from "../sim/cluster/Cluster.js"
import * as Network from "../sim/network/Network.js"
import * as Checks from "../sim/scenario/Checks.js"
import { parse } from "../sim/scenario/Parse.js"
import * as Run from "../sim/scenario/Run.js"
import type { Check, Scenario } from "../sim/scenario/Scenario.js"
import type { World } from "../sim/scenario/World.js"
import type { ClusterState } from "./clusterState.js"
import * as Connection from "./connection.js"

const run = promisify(execFile)
const bin = fileURLToPath(new URL("../bin/minik8s.js", import.meta.url))
const scenarioFile = fileURLToPath(new URL("./realVsSim.scenario.yaml", import.meta.url))

const scenario: Scenario = Either.getOrThrowWith(
  parse(Fs.readFileSync(scenarioFile, "utf8"), scenarioFile, (path) => Fs.readFileSync(path, "utf8")),
  (error) => new Error(error.toString())
)
/** The scenario's nodes in order: a real cluster's `<prefix>-1 … <prefix>-N`. */
const scenarioNodes = scenario.cluster.nodes.flatMap((group) => group.names)

/** What differs between the modes: the cluster's name of a scenario node, and how its agent dies. */
interface Mode {
  readonly nodeName: (scenarioNode: string) => string
  readonly stopKubelet: (node: string) => Effect.Effect<void>
}

/** The state after an `expect` step passed, with nodes under their scenario names. */
interface Checkpoint {
  readonly step: number
  readonly deployment: Record<string, unknown>
  readonly replicaSets: number
  readonly nodes: Record<string, { readonly ready: string; readonly taints: ReadonlyArray<string> }>
  /** Pods not being deleted. */
  readonly pods: {
    readonly byPhase: Record<string, number>
    readonly ready: number
    /** How many each node runs, sorted: the placement without the nodes' names. */
    readonly spread: ReadonlyArray<number>
  }
  /** Pods not being deleted, per node. */
  readonly placement: Record<string, number>
  /** Pods being deleted, per node. */
  readonly terminating: Record<string, number>
}

const count = (counts: Record<string, number>, key: string) => ({ ...counts, [key]: (counts[key] ?? 0) + 1 })

/** A World at one instant, made of lists (the checks read nothing else). */
const worldOf = (byKind: ReadonlyMap<string, ReadonlyArray<KubeObject>>): World => {
  const list = (kind: string) => byKind.get(byName(kind)?.kind ?? kind) ?? []
  const all = [...byKind.values()].flat()
  return {
    get: (kind, namespace, name) =>
      list(kind).find(
        (o) => o.metadata.name === name && (byName(kind)?.namespaced !== true || o.metadata.namespace === namespace)
      ),
    getByUid: (uid) => all.find((o) => o.metadata.uid === uid),
    list,
    unsorted: list,
    pods: () => list("Pod") as ReadonlyArray<Pod>,
    nodes: () => list("Node") as ReadonlyArray<Node>,
    revision: () => 0,
    settled: Effect.void,
    onEvent: () => () => {}
  }
}

const snapshot = Effect.gen(function* () {
  const client = yield* Client
  const kinds: ReadonlyArray<ResourceType<any>> = [Deployments, ReplicaSets, Pods, Nodes]
  const byKind = new Map<string, ReadonlyArray<KubeObject>>()
  for (const rt of kinds) {
    const items = (yield* client.list(rt)).items as ReadonlyArray<KubeObject>
    byKind.set(
      rt.kind,
      items.map((o) => ({ ...o, kind: rt.kind }))
    )
  }
  return worldOf(byKind)
})

const checkpoint = (step: number, world: World, scenarioName: (node: string) => string): Checkpoint => {
  const deployment = world.get("deployment", "default", "web") as Deployment | undefined
  const status = deployment?.status
  const live = world.pods().filter((p) => p.metadata.deletionTimestamp === undefined)
  const onNode = (pods: ReadonlyArray<Pod>) =>
    pods.reduce((counts, p) => count(counts, scenarioName(p.spec?.nodeName ?? "")), {} as Record<string, number>)
  const placement = { ...Object.fromEntries(scenarioNodes.map((n) => [n, 0])), ...onNode(live) }
  return {
    step,
    deployment: {
      specReplicas: deployment?.spec?.replicas,
      replicas: status?.replicas ?? 0,
      readyReplicas: status?.readyReplicas ?? 0,
      updatedReplicas: status?.updatedReplicas ?? 0,
      availableReplicas: status?.availableReplicas ?? 0,
      observedGeneration: status?.observedGeneration === deployment?.metadata.generation,
      conditions: (status?.conditions ?? []).map((c) => `${c.type}=${c.status}`).sort()
    },
    replicaSets: world.list("replicaset").length,
    nodes: Object.fromEntries(
      world.nodes().map((n) => [
        scenarioName(n.metadata.name ?? ""),
        {
          ready: n.status?.conditions?.find((c) => c.type === "Ready")?.status ?? "",
          taints: (n.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort()
        }
      ])
    ),
    pods: {
      byPhase: live.reduce((counts, p) => count(counts, p.status?.phase ?? "Pending"), {} as Record<string, number>),
      ready: live.filter(isPodReady).length,
      spread: Object.values(placement).sort((a, b) => a - b)
    },
    placement,
    terminating: onNode(world.pods().filter((p) => p.metadata.deletionTimestamp !== undefined))
  }
}

/** The check with the scenario's node names replaced by the cluster's. */
const renameNodes = (check: Check, nodeName: (node: string) => string): Check => {
  switch (check._tag) {
    case "object":
    case "exists":
    case "absent":
      return check.ref.kind === "node" ? { ...check, ref: { ...check.ref, name: nodeName(check.ref.name) } } : check
    case "pods": {
      const { onNode, notOnNode, ...rest } = check
      return {
        ...rest,
        ...(onNode === undefined ? {} : { onNode: nodeName(onNode) }),
        ...(notOnNode === undefined ? {} : { notOnNode: nodeName(notOnNode) })
      }
    }
    case "unschedulable":
      return check
  }
}

/** How often a `within` step looks again (in the mode's own time: virtual in simulation). */
const pollMillis = 500

/**
 * Plays the scenario's steps over the Client as the scenario runner does (apply, scale, the
 * `stopKubelet` fault; `at`/`after` wait, `within` polls until its checks hold or fails at its
 * end) and answers a checkpoint per `expect` step.
 */
const play = (mode: Mode): Effect.Effect<ReadonlyArray<Checkpoint>, unknown, Client> =>
  Effect.gen(function* () {
    const client = yield* Client
    const scenarioName = (node: string) => scenarioNodes.find((n) => mode.nodeName(n) === node) ?? node
    const start = yield* Clock.currentTimeMillis
    const elapsed = Effect.map(Clock.currentTimeMillis, (now) => now - start)
    const checkpoints: Array<Checkpoint> = []
    let previous = 0
    for (const { index, timing, action } of scenario.steps) {
      if (timing._tag !== "within") {
        const at = timing._tag === "at" ? timing.millis : previous + timing.millis
        yield* Effect.sleep(Math.max(0, at - (yield* elapsed)))
      }
      const startedAt = yield* elapsed
      switch (action._tag) {
        case "apply":
          for (const manifest of action.manifests) yield* Apply.apply(manifest)
          break
        case "scale":
          for (const { ref, replicas } of action.targets) {
            const patch = [ref.name, { spec: { replicas } }, { type: "merge", namespace: ref.namespace }] as const
            if (ref.kind === "replicaset") yield* client.patch(ReplicaSets, ...patch)
            else yield* client.patch(Deployments, ...patch)
          }
          break
        case "fault":
          if (action.fault._tag !== "stopKubelet")
            return yield* Effect.fail(`step ${index}: the fault ${action.fault._tag} is not played in both modes`)
          yield* mode.stopKubelet(mode.nodeName(action.fault.node))
          break
        case "expect": {
          const checks = action.checks.map((c) => ({ ...c, check: renameNodes(c.check, mode.nodeName) }))
          const deadline = timing._tag === "within" ? previous + timing.millis : startedAt
          for (;;) {
            const world = yield* snapshot
            const failed = checks
              .map((c) => ({ label: c.label, result: Checks.evaluate(c.check, world) }))
              .filter((c) => !c.result.ok)
            if (failed.length === 0) {
              checkpoints.push(checkpoint(index, world, scenarioName))
              break
            }
            if ((yield* elapsed) >= deadline) {
              const why = failed.map((c) => `${c.label}: ${c.result.message}`).join("; ")
              return yield* Effect.fail(`step ${index} (line ${action.checks[0]?.line}) failed: ${why}`)
            }
            yield* Effect.sleep(pollMillis)
          }
          previous = yield* elapsed
          continue
        }
        default:
          return yield* Effect.fail(`step ${index}: ${action._tag} is not played in both modes`)
      }
      previous = startedAt
    }
    return checkpoints
  }).pipe(Logger.withMinimumLogLevel(LogLevel.None))

const failure = (cause: Cause.Cause<unknown>) => new Error(Cause.pretty(cause))

/** The sequence played in simulation, from the scenario's seed. */
const simulate = async (): Promise<ReadonlyArray<Checkpoint>> => {
  const program = Effect.gen(function* () {
    const network = yield* Network.make({ latency: scenario.cluster.timing.apiLatency })
    const cluster = yield* Cluster.make(scenario.cluster, { network })
    const mode: Mode = { nodeName: (node) => node, stopKubelet: cluster.stopKubelet }
    return yield* Effect.provideService(play(mode), Client, cluster.client)
  })
  const exit = await new Simulation({ seed: scenario.seed }).runAsync(
    program.pipe(Effect.scoped, Logger.withMinimumLogLevel(LogLevel.None))
  )
  if (Exit.isFailure(exit)) throw failure(exit.cause)
  return exit.value
}

let simulated: Promise<ReadonlyArray<Checkpoint>> | undefined
const simulatedOnce = () => (simulated ??= simulate())

/** Which checkpoint is taken when: after 3 ready, after the scale to 5, after the agent died. */
const [threeReady, fiveReady, afterKill] = [0, 1, 2]

describe("realVsSim.scenario.yaml in simulation", () => {
  it("passes as a scenario in the simulator's own runner", async () => {
    const summary = await Run.run(scenario)
    expect(summary.failures).toEqual([])
    expect(summary.invariantViolations).toEqual([])
    expect(summary.expectations).toEqual({ passed: 5, total: 5 })
  })

  it("played over the Client: five replicas end on node-1; the evicted pods of node-2 stay Terminating", async () => {
    const checkpoints = await simulatedOnce()
    expect(checkpoints.map((c) => c.step)).toEqual([2, 4, 6])
    expect(checkpoints[threeReady]!.pods.spread).toEqual([1, 2])
    expect(checkpoints[fiveReady]!.pods.spread).toEqual([2, 3])
    const end = checkpoints[afterKill]!
    expect(end.deployment).toEqual({
      specReplicas: 5,
      replicas: 5,
      readyReplicas: 5,
      updatedReplicas: 5,
      availableReplicas: 5,
      observedGeneration: true,
      conditions: ["Available=True", "Progressing=True"]
    })
    expect(end.replicaSets).toBe(1)
    expect(end.nodes["node-2"]!.ready).toBe("Unknown")
    expect(end.placement).toEqual({ "node-1": 5, "node-2": 0 })
    expect(end.terminating).toEqual({ "node-2": checkpoints[fiveReady]!.placement["node-2"] })
  })
})

const present =
  commandPresent("etcd", "real-vs-simulated end-to-end test") &&
  (await dockerPresent("real-vs-simulated end-to-end test"))

describe.skipIf(!present)("realVsSim.scenario.yaml on a real cluster (minik8s up, etcd, Docker)", () => {
  // Made in beforeAll: a describe body runs even when its tests are skipped or filtered out.
  let home = ""
  const prefix = `rvs${Crypto.randomBytes(3).toString("hex")}`
  const nodes = scenarioNodes.map((_, i) => `${prefix}-${i + 1}`)
  const docker = new Docker({ socketPath: dockerSocket })
  let etcd: EtcdProcess | undefined

  const minik8s = async (...args: string[]) =>
    (await run(process.execPath, [bin, ...args], { env: { ...process.env, MINIK8S_HOME: home }, timeout: 120_000 }))
      .stdout
  const state = (): ClusterState => JSON.parse(Fs.readFileSync(Path.join(home, "cluster.json"), "utf8"))

  beforeAll(async () => {
    home = Fs.mkdtempSync(Path.join(Os.tmpdir(), "minik8s-rvs-"))
    etcd = await startEtcd()
    await minik8s(
      ...["up", "--store", `etcd://${etcd.endpoint}/${prefix}`, "--nodes", String(nodes.length)],
      ...["--node-prefix", prefix, "--port", "0"],
      ...["--node-monitor-grace-period", `${scenario.cluster.timing.nodeMonitorGracePeriod / 1000}s`]
    )
  }, 90_000)

  afterAll(async () => {
    if (home !== "") await minik8s("down").catch(() => undefined)
    for (const node of nodes)
      for (const c of await docker.listContainers({ all: true, filters: { label: [`${nodeLabel}=${node}`] } }))
        await docker.getContainer(c.Id).remove({ force: true })
    await etcd?.close()
    if (home !== "") Fs.rmSync(home, { recursive: true, force: true })
  }, 90_000)

  it("reaches the states the simulation reaches: counts, phases, conditions, taints, placement after the kill", async () => {
    const connection = await Effect.runPromise(Connection.readKubeconfig(state().kubeconfig))
    const mode: Mode = {
      nodeName: (node) => `${prefix}-${scenarioNodes.indexOf(node) + 1}`,
      stopKubelet: (node) =>
        Effect.sync(() => process.kill(state().processes.find((p) => p.name === node)!.pid, "SIGKILL"))
    }
    const exit = await Effect.runPromiseExit(play(mode).pipe(Effect.provide(Connection.clientLayer(connection))))
    if (Exit.isFailure(exit)) throw failure(exit.cause)
    const real = exit.value
    const sim = await simulatedOnce()
    // Which of two equal nodes gets the odd pod is the scheduler's random tie-break: compared as a multiset.
    const unplaced = ({ placement: _, terminating: __, ...rest }: Checkpoint) => rest
    expect(real.map(unplaced)).toEqual(sim.map(unplaced))
    expect(real[afterKill]!.placement).toEqual(sim[afterKill]!.placement)
    // The pods node-2 held stay Terminating in both modes: its kubelet is the one to confirm their end.
    for (const checkpoints of [real, sim])
      expect(checkpoints[afterKill]!.terminating).toEqual({ "node-2": checkpoints[fiveReady]!.placement["node-2"] })
  }, 240_000)
})
