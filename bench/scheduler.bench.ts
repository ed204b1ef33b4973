/**
 * Scheduling throughput: pods decided per wall-second with the default profile scoring every node
 * (percentageOfNodesToScore 100), at 100, 1,000, 5,000 and 15,000 nodes (`npm run bench` sizes).
 *
 * - "cycle": the scheduling cycle alone — framework.schedule over the cache's snapshot, then
 *   assume — for a queue of pending pods; the baseline is a loop that reads each NodeInfo once per
 *   pod and assumes the pod on the least-requested node: the floor any filter + score must pay.
 * - "in-process run": the whole scheduler (informers, queue, cycle, binding through the API's
 *   `binding` subresource) against an in-process API server, from start until every pod is bound.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { performance } from "node:perf_hooks"
import type { Node } from "../core/api/Node.js"
import { Nodes } from "../core/api/Node.js"
import { type Pod, Pods } from "../core/api/Pod.js"
import { Client } from "../core/client/Client.js"
import { Cache } from "../core/scheduler/Cache.js"
import * as Framework from "../core/scheduler/framework/Framework.js"
import { CycleState, seededRandom, success } from "../core/scheduler/framework/Plugin.js"
import * as Profiles from "../core/scheduler/Profile.js"
import { defaultRegistry } from "../core/scheduler/registry.js"
import * as Scheduler from "../core/scheduler/Scheduler.js"
import * as TestCluster from "../core/testing/TestCluster.js"
import { progress, type Row } from "./harness.js"

const zones = ["a", "b", "c"]

export const benchNode = (i: number): Node => {
  const capacity = { cpu: "64", memory: "256Gi", pods: "250" }
  const name = `node-${i}`
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: { "kubernetes.io/hostname": name, "topology.kubernetes.io/zone": zones[i % zones.length]! }
    },
    spec: {},
    status: { capacity, allocatable: capacity, conditions: [{ type: "Ready", status: "True" }] }
  }
}

/** A pod with the defaults the API server would give it (tolerations, priority). */
export const benchPod = (i: number): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: `pod-${i}`, namespace: "default", uid: `uid-${i}`, labels: { app: `app-${i % 10}` } },
  spec: {
    schedulerName: "default-scheduler",
    priority: 0,
    containers: [
      {
        name: "app",
        image: "busybox",
        resources: { requests: { cpu: `${100 + (i % 5) * 50}m`, memory: `${128 + (i % 3) * 64}Mi` } }
      }
    ],
    tolerations: [
      { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
      { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }
    ]
  }
})

const cacheWith = (nodes: number): Cache => {
  const cache = new Cache()
  for (let i = 0; i < nodes; i++) cache.addNode(benchNode(i))
  return cache
}

/** Pods per second of the bare read-every-NodeInfo loop. */
const baselineCycle = (nodes: number, pods: ReadonlyArray<Pod>): number => {
  const cache = cacheWith(nodes)
  const start = performance.now()
  for (const pod of pods) {
    const infos = cache.snapshot().nodes
    let best = infos[0]!
    for (const info of infos) if (info.requested.milliCpu < best.requested.milliCpu) best = info
    cache.assumePod(pod, best.name)
  }
  return pods.length / ((performance.now() - start) / 1000)
}

/** Pods per second of framework.schedule + assume with the default profile. */
const frameworkCycle = (framework: Framework.Framework, nodes: number, pods: ReadonlyArray<Pod>): number => {
  const cache = cacheWith(nodes)
  const rng = seededRandom(42)
  const start = performance.now()
  for (const pod of pods) {
    const result = framework.schedule(new CycleState(rng), pod, cache.snapshot())
    if (result._tag !== "Scheduled") throw new Error(`pod ${pod.metadata.name} not scheduled: ${result._tag}`)
    cache.assumePod(pod, result.nodeName)
  }
  return pods.length / ((performance.now() - start) / 1000)
}

/** Pods per wall-second of the whole scheduler against an in-process API server. */
const inProcessRun = (nodes: number, count: number): Promise<number> =>
  Effect.gen(function* () {
    const client = yield* Client
    for (let i = 0; i < nodes; i++) yield* client.create(Nodes, benchNode(i))
    for (let i = 0; i < count; i++) {
      const { uid: _uid, ...metadata } = benchPod(i).metadata
      yield* client.create(Pods, { ...benchPod(i), metadata })
    }
    const start = performance.now()
    const scheduler = yield* Scheduler.make({ percentageOfNodesToScore: 100 })
    while (scheduler.stats().scheduled < count) yield* Effect.sleep("5 millis")
    return count / ((performance.now() - start) / 1000)
  }).pipe(Effect.scoped, Effect.provide(TestCluster.layer()), Effect.runPromise)

/** Pods per second of the scheduling cycle alone for `profile` at `nodes` nodes (the control plane's baseline in bench/policies.ts). */
export const cycleRate = (profileName: string, nodes: number, pods: number): number => {
  const profile = { ...Profiles.byName(profileName)!, percentageOfNodesToScore: 100 }
  const framework = Either.getOrThrow(Framework.make(profile, defaultRegistry, { bind: () => Effect.succeed(success) }))
  const pending = () => Array.from({ length: pods }, (_, i) => benchPod(i))
  frameworkCycle(framework, Math.min(nodes, 100), pending())
  return frameworkCycle(framework, nodes, pending())
}

export interface ThroughputOptions {
  readonly nodes: ReadonlyArray<number>
  readonly pods: number
  /** Pods for the whole in-process runs (they also pay the API server's creates). */
  readonly runPods: number
  readonly runNodes: ReadonlyArray<number>
}

export const throughput = async (options: ThroughputOptions): Promise<Row[]> => {
  const suite = "scheduling throughput (default profile, every node scored)"
  // New pod objects for every loop: what the scheduler derives from a pod once is not carried over.
  const pending = (count: number) => Array.from({ length: count }, (_, i) => benchPod(i))
  const rows: Row[] = []
  // One framework for every row, as a scheduler builds one per profile; first untimed runs of both
  // loops, so the first rows are not measured before the engine has compiled them.
  const profile = { ...Profiles.byName("default")!, percentageOfNodesToScore: 100 }
  const framework = Either.getOrThrow(Framework.make(profile, defaultRegistry, { bind: () => Effect.succeed(success) }))
  baselineCycle(100, pending(options.pods))
  frameworkCycle(framework, 100, pending(options.pods))
  for (const nodes of options.nodes) {
    progress(`${suite}: ${nodes} nodes …`)
    const base = baselineCycle(nodes, pending(options.pods))
    rows.push({
      suite,
      name: `${nodes} nodes, ${options.pods} pods: read each NodeInfo once per pod`,
      value: base,
      unit: "pods/s",
      ratio: 1
    })
    const cycle = frameworkCycle(framework, nodes, pending(options.pods))
    rows.push({
      suite,
      name: `${nodes} nodes, ${options.pods} pods: scheduling cycle (filter + score + assume)`,
      value: cycle,
      unit: "pods/s",
      ratio: cycle / base
    })
  }
  for (const nodes of options.runNodes) {
    progress(`${suite}: in-process run at ${nodes} nodes …`)
    const base = baselineCycle(nodes, pending(options.runPods))
    const run = await inProcessRun(nodes, options.runPods)
    rows.push({
      suite,
      name: `${nodes} nodes, ${options.runPods} pods: whole scheduler, in-process API, until all bound`,
      value: run,
      unit: "pods/s",
      ratio: run / base,
      note: "ratio to the read-once loop at the same size"
    })
  }
  progress("")
  return rows
}
