import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as TestContext from "effect/TestContext"
import * as fc from "fast-check"
import { Events } from "../api/Event.js"
import type { Node } from "../api/Node.js"
import { Nodes } from "../api/Node.js"
import { type Pod, Pods } from "../api/Pod.js"
import { Client } from "../client/Client.js"
import * as TestCluster from "../testing/TestCluster.js"
import * as Resource from "./framework/Resource.js"
import * as Scheduler from "./Scheduler.js"

interface NodeShape {
  readonly cpu: string
  readonly memory?: string
  readonly pods?: number
  readonly labels?: Record<string, string>
  readonly taints?: ReadonlyArray<{ key: string; value?: string; effect: string }>
}

const node = (name: string, shape: NodeShape): Node => {
  const capacity = { cpu: shape.cpu, memory: shape.memory ?? "8Gi", pods: String(shape.pods ?? 110) }
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, ...shape.labels } },
    spec: shape.taints === undefined ? {} : { taints: shape.taints },
    status: {
      capacity,
      allocatable: capacity,
      conditions: [{ type: "Ready", status: "True", reason: "KubeletReady" }]
    }
  }
}

const pod = (name: string, cpu: string, spec: Record<string, unknown> = {}): Pod =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", labels: { app: "test" } },
    spec: { containers: [{ name: "app", image: "busybox", resources: { requests: { cpu } } }], ...spec }
  }) as Pod

const boundPods = Effect.gen(function* () {
  const client = yield* Client
  return (yield* client.list(Pods, { namespace: "default" })).items.filter((p) => p.spec?.nodeName !== undefined)
})

const podNamed = (name: string) => Effect.flatMap(Client, (c) => c.get(Pods, name, { namespace: "default" }))

const run = <A, E>(effect: Effect.Effect<A, E, any>) =>
  effect.pipe(Effect.scoped, Effect.provide(TestCluster.layer()), TestCluster.seeded()) as Effect.Effect<A, E>

describe("Scheduler", () => {
  it.effect("binds pending pods, marks them PodScheduled and records a Scheduled event", () =>
    run(
      Effect.gen(function* () {
        const client = yield* Client
        for (const name of ["n1", "n2"]) yield* client.create(Nodes, node(name, { cpu: "2" }))
        yield* Scheduler.make()
        for (let i = 0; i < 3; i++) yield* client.create(Pods, pod(`p${i}`, "500m"))
        yield* TestCluster.eventually(Effect.map(boundPods, (pods) => expect(pods).toHaveLength(3)))
        const p0 = yield* podNamed("p0")
        expect(p0.status?.conditions?.find((c) => c.type === "PodScheduled")?.status).toBe("True")
        const events = yield* client.list(Events, { namespace: "default" })
        expect(events.items.some((e) => e.reason === "Scheduled" && e.involvedObject?.name === "p0")).toBe(true)
      })
    )
  )

  it.effect("leaves a pod that fits nowhere Pending with Kubernetes' message, and binds it once a node fits", () =>
    run(
      Effect.gen(function* () {
        const client = yield* Client
        yield* client.create(Nodes, node("small-1", { cpu: "1" }))
        yield* client.create(Nodes, node("small-2", { cpu: "1" }))
        yield* client.create(
          Nodes,
          node("gpu", { cpu: "8", taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }] })
        )
        yield* Scheduler.make()
        yield* client.create(Pods, pod("big", "2"))
        yield* TestCluster.eventually(
          Effect.map(podNamed("big"), (p) => {
            const c = p.status?.conditions?.find((c) => c.type === "PodScheduled")
            expect(c?.status).toBe("False")
            expect(c?.reason).toBe("Unschedulable")
            expect(c?.message).toBe(
              "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu."
            )
          })
        )
        expect((yield* podNamed("big")).spec?.nodeName).toBeUndefined()
        yield* client.create(Nodes, node("large", { cpu: "4" }))
        yield* TestCluster.eventually(Effect.map(podNamed("big"), (p) => expect(p.spec?.nodeName).toBe("large")))
      })
    )
  )

  it.effect("retries an unschedulable pod when a bound pod is deleted and frees room", () =>
    run(
      Effect.gen(function* () {
        const client = yield* Client
        yield* client.create(Nodes, node("n1", { cpu: "1" }))
        yield* Scheduler.make()
        yield* client.create(Pods, pod("first", "800m"))
        yield* TestCluster.eventually(Effect.map(podNamed("first"), (p) => expect(p.spec?.nodeName).toBe("n1")))
        yield* client.create(Pods, pod("second", "800m"))
        yield* TestCluster.eventually(
          Effect.map(podNamed("second"), (p) =>
            expect(p.status?.conditions?.find((c) => c.type === "PodScheduled")?.reason).toBe("Unschedulable")
          )
        )
        yield* client.delete(Pods, "first", { namespace: "default", gracePeriodSeconds: 0 })
        yield* TestCluster.eventually(Effect.map(podNamed("second"), (p) => expect(p.spec?.nodeName).toBe("n1")))
      })
    )
  )

  const spreadOf = (profile: string) =>
    run(
      Effect.gen(function* () {
        const client = yield* Client
        for (const name of ["a", "b", "c", "d"]) yield* client.create(Nodes, node(name, { cpu: "4" }))
        yield* Scheduler.make({ profile })
        for (let i = 0; i < 4; i++) {
          yield* client.create(Pods, pod(`p${i}`, "1"))
          yield* TestCluster.eventually(Effect.map(boundPods, (pods) => expect(pods).toHaveLength(i + 1)))
        }
        return new Set((yield* boundPods).map((p) => p.spec?.nodeName)).size
      })
    )

  it.effect("most-allocated packs pods onto one node; least-allocated spreads them", () =>
    Effect.gen(function* () {
      expect(yield* spreadOf("most-allocated")).toBe(1)
      expect(yield* spreadOf("least-allocated")).toBe(4)
    })
  )

  it.effect("refuses an unknown profile with a readable error", () =>
    run(
      Effect.gen(function* () {
        const error = yield* Effect.flip(Scheduler.make({ profile: "nope" }))
        expect(error.message).toContain('unknown scheduler profile "nope"')
      })
    )
  )

  // For random clusters and pods, with two scheduler instances campaigning for one Lease: every
  // binding passes the filters (capacity, node selector, NoSchedule taints), no pod is ever bound
  // twice, and a pod is left pending only when no node can take it.
  it.effect("property: bindings respect capacity, selectors and taints; no pod is bound twice", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              cpu: fc.integer({ min: 1, max: 4 }),
              zone: fc.constantFrom("a", "b"),
              tainted: fc.boolean()
            }),
            { minLength: 1, maxLength: 5 }
          ),
          fc.array(
            fc.record({
              milliCpu: fc.integer({ min: 100, max: 2500 }),
              zone: fc.option(fc.constantFrom("a", "b"), { nil: undefined }),
              tolerates: fc.boolean()
            }),
            { minLength: 1, maxLength: 12 }
          ),
          (nodeShapes, podShapes) =>
            Effect.runPromise(
              Effect.provide(
                run(
                  Effect.gen(function* () {
                    const client = yield* Client
                    const nodes = nodeShapes.map((s, i) =>
                      node(`n${i}`, {
                        cpu: String(s.cpu),
                        labels: { zone: s.zone },
                        ...(s.tainted ? { taints: [{ key: "dedicated", value: "x", effect: "NoSchedule" }] } : {})
                      })
                    )
                    for (const n of nodes) yield* client.create(Nodes, n)
                    const bindings = new Map<string, Set<string>>()
                    yield* Effect.forkScoped(
                      Stream.runForEach(client.watch(Pods, { namespace: "default" }), (e) =>
                        Effect.sync(() => {
                          const name = e.object.metadata.name ?? ""
                          const at = e.object.spec?.nodeName
                          if (at !== undefined) bindings.set(name, (bindings.get(name) ?? new Set()).add(at))
                        })
                      )
                    )
                    yield* Effect.forkScoped(Scheduler.run({ identity: "one" }))
                    yield* Effect.forkScoped(Scheduler.run({ identity: "two" }))
                    const pods = podShapes.map((s, i) =>
                      pod(`p${i}`, `${s.milliCpu}m`, {
                        ...(s.zone === undefined ? {} : { nodeSelector: { zone: s.zone } }),
                        ...(s.tolerates ? { tolerations: [{ key: "dedicated", operator: "Exists" }] } : {})
                      })
                    )
                    for (const p of pods) yield* client.create(Pods, p)
                    const decided = Effect.map(client.list(Pods, { namespace: "default" }), (list) =>
                      list.items.forEach((p) =>
                        expect(
                          p.spec?.nodeName !== undefined ||
                            p.status?.conditions?.some((c) => c.reason === "Unschedulable") === true
                        ).toBe(true)
                      )
                    )
                    yield* TestCluster.eventually(decided, { timeout: "60 seconds" })
                    yield* TestClock.adjust("30 seconds")
                    yield* TestCluster.settle
                    const placed = yield* boundPods
                    for (const [name, nodesSeen] of bindings) expect(nodesSeen.size, `${name} bound once`).toBe(1)
                    const used = new Map<string, number>()
                    for (const p of placed) {
                      const n = nodes.find((x) => x.metadata.name === p.spec?.nodeName)!
                      const shape = podShapes[Number(p.metadata.name!.slice(1))]!
                      used.set(n.metadata.name!, (used.get(n.metadata.name!) ?? 0) + shape.milliCpu)
                      if (shape.zone !== undefined) expect(n.metadata.labels?.zone).toBe(shape.zone)
                      if ((n.spec?.taints?.length ?? 0) > 0) expect(shape.tolerates).toBe(true)
                    }
                    for (const n of nodes)
                      expect(used.get(n.metadata.name!) ?? 0).toBeLessThanOrEqual(
                        Resource.fromList(n.status?.allocatable).milliCpu
                      )
                    // A pod left pending must fit nowhere given what is placed.
                    for (const p of (yield* client.list(Pods, { namespace: "default" })).items) {
                      if (p.spec?.nodeName !== undefined) continue
                      const shape = podShapes[Number(p.metadata.name!.slice(1))]!
                      const fits = nodes.some(
                        (n) =>
                          (shape.zone === undefined || n.metadata.labels?.zone === shape.zone) &&
                          ((n.spec?.taints?.length ?? 0) === 0 || shape.tolerates) &&
                          (used.get(n.metadata.name!) ?? 0) + shape.milliCpu <=
                            Resource.fromList(n.status?.allocatable).milliCpu
                      )
                      expect(fits, `${p.metadata.name} left pending although a node fits`).toBe(false)
                    }
                  })
                ),
                TestContext.TestContext
              )
            )
        ),
        { seed: 42, numRuns: 12 }
      )
    )
  )
})
