/**
 * The invariants against the real control plane in a simulated cluster: a healthy life — a
 * Deployment placed, rolled out, a node lost and its pods replaced — violates none of them, the
 * watch streams and responses the components receive are checked line by line, and the
 * differential oracle finds its end no different from the same life without the loss.
 */
import { describe, expect, it } from "vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import { type Deployment, Deployments } from "../../core/api/Deployment.js"
import { Simulation } from "../clock/Simulation.js"
import * as Cluster from "../cluster/Cluster.js"
import * as Network from "../network/Network.js"
import { evaluate } from "../scenario/Checks.js"
import { type ClusterSpec, defaultTiming, invariantNames } from "../scenario/Scenario.js"
import * as World from "../scenario/World.js"
import * as Differential from "./Differential.js"
import * as Invariants from "./Invariants.js"

const spec: ClusterSpec = {
  nodes: [
    {
      names: ["node-1", "node-2", "node-3", "node-4"],
      cpu: "2",
      memory: "4Gi",
      pods: 110,
      labels: {},
      taints: [],
      unschedulable: false
    }
  ],
  scheduler: { profile: "default" },
  timing: defaultTiming
}

const web = (image: string): Deployment => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "default" },
  spec: {
    replicas: 6,
    selector: { matchLabels: { app: "web" } },
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: { containers: [{ name: "web", image, resources: { requests: { cpu: "500m", memory: "256Mi" } } }] }
    }
  }
})

interface Life {
  readonly violations: ReadonlyArray<Invariants.Violation>
  readonly endHeld: boolean
  readonly lines: number
  readonly responses: number
  readonly fingerprint: Differential.Fingerprint
}

/** A Deployment placed and rolled out, then (when `crash`) node-2 lost and its pods replaced, under every invariant. */
const life = (crash: boolean): Life => {
  const sim = new Simulation({ seed: 3 })
  let invariants: Invariants.Invariants | undefined
  let [lines, responses] = [0, 0]
  const program = Effect.gen(function* () {
    const network = yield* Network.make({
      latency: spec.timing.apiLatency,
      onWatch: (component, request) => {
        const see = invariants?.onWatchLine(component, request)
        return (line) => {
          lines++
          see?.(line)
        }
      },
      onResponse: (component, request, response) => {
        responses++
        invariants?.onResponse(component, request, response)
      }
    })
    const cluster = yield* Cluster.make(spec, { network })
    const world = yield* World.make(cluster.store)
    const containers = () =>
      cluster.runtimes().flatMap(([node, runtime]) => runtime.containers().map((c) => ({ node, ...c })))
    invariants = Invariants.make(invariantNames, world, { now: () => sim.elapsed(), containers, timing: spec.timing })
    const recorder = Differential.record(world, () => sim.elapsed())
    const ready = (n: number) =>
      evaluate(
        {
          _tag: "object",
          ref: { kind: "deployment", namespace: "default", name: "web" },
          fields: { readyReplicas: n, updatedReplicas: n }
        },
        world
      )
    const client = cluster.client

    yield* client.create(Deployments, web("nginx:1.26"))
    yield* Effect.sleep("30 seconds")
    yield* world.settled
    expect(ready(6)).toMatchObject({ ok: true })

    const current = yield* client.get(Deployments, "web", { namespace: "default" })
    yield* client.update(Deployments, {
      ...current,
      spec: { ...current.spec!, template: web("nginx:1.27").spec!.template }
    })
    yield* Effect.sleep("40 seconds")
    yield* world.settled
    expect(ready(6)).toMatchObject({ ok: true })

    if (crash) yield* cluster.crashNode("node-2")
    yield* Effect.sleep("100 seconds")
    yield* world.settled
    expect(ready(6)).toMatchObject({ ok: true })
    const endHeld = invariants.atEnd({
      containers: containers().map(({ node, podUid }) => ({ node, podUid }))
    })
    return { endHeld, fingerprint: recorder.fingerprint() }
  })
  const exit = sim.run(Effect.scoped(program).pipe(Logger.withMinimumLogLevel(LogLevel.None)))
  if (Exit.isFailure(exit)) throw new Error(Cause.pretty(exit.cause))
  return { ...exit.value, violations: invariants?.violations() ?? [], lines, responses }
}

describe("invariants over a simulated cluster", () => {
  it("a Deployment's healthy life, a node lost included, violates none of them and differs from a life without the loss in nothing", () => {
    const faulty = life(true)
    expect(faulty.violations).toEqual([])
    expect(faulty.endHeld).toBe(true)
    expect(faulty.lines).toBeGreaterThan(100)
    expect(faulty.responses).toBeGreaterThan(100)
    // The lost node's pods were replaced: the same end state, and no fixed-name object made twice.
    const baseline = life(false)
    expect(Differential.compare(faulty.fingerprint, baseline.fingerprint)).toEqual([])
    const pods = Object.entries(faulty.fingerprint.live).filter(([id]) => /^pod default\/web-[0-9a-z]+-\*$/.test(id))
    expect(pods.map(([, n]) => n)).toEqual([6])
  })
})
