import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import type * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import { Events } from "../api/Event.js"
import type { Taint } from "../api/Node.js"
import { Nodes } from "../api/Node.js"
import { type Pod, Pods, type Toleration } from "../api/Pod.js"
import { Client } from "../client/Client.js"
import type { SharedInformers } from "../informer/SharedInformers.js"
import * as TestCluster from "../testing/TestCluster.js"
import * as TaintEviction from "./TaintEviction.js"

const taint: Taint = { key: "maintenance", value: "now", effect: "NoExecute" }

describe("toleration matching", () => {
  it("follows Toleration.ToleratesTaint", () => {
    const tolerates = (t: Toleration) => TaintEviction.toleratesTaint(t, taint)
    expect(tolerates({ operator: "Exists" })).toBe(true)
    expect(tolerates({ key: "maintenance", operator: "Exists", effect: "NoExecute" })).toBe(true)
    expect(tolerates({ key: "maintenance", value: "now" })).toBe(true)
    expect(tolerates({ key: "maintenance", operator: "Equal", value: "later" })).toBe(false)
    expect(tolerates({ key: "maintenance", operator: "Exists", effect: "NoSchedule" })).toBe(false)
    expect(tolerates({ key: "other", operator: "Exists" })).toBe(false)
  })

  it("takes the first toleration of each taint and the smallest tolerationSeconds", () => {
    const second: Taint = { key: "node.kubernetes.io/unreachable", effect: "NoExecute" }
    const { allTolerated, used } = TaintEviction.matchingTolerations(
      [taint, second],
      [
        { key: "maintenance", operator: "Exists", tolerationSeconds: 60 },
        { operator: "Exists", tolerationSeconds: 5 }
      ]
    )
    expect(allTolerated).toBe(true)
    expect(TaintEviction.minTolerationMillis(used)).toBe(5_000)
    expect(TaintEviction.matchingTolerations([taint], [{ key: "other", operator: "Exists" }])).toEqual({
      allTolerated: false,
      used: []
    })
    expect(TaintEviction.minTolerationMillis([{ operator: "Exists" }])).toBeUndefined()
    expect(TaintEviction.minTolerationMillis([{ operator: "Exists", tolerationSeconds: -1 }])).toBe(0)
  })
})

const inCluster = <A, E>(body: Effect.Effect<A, E, Client | SharedInformers | Scope.Scope>) =>
  Effect.gen(function* () {
    const client = yield* Client
    yield* client.create(Nodes, { apiVersion: "v1", kind: "Node", metadata: { name: "node-1" } })
    yield* TaintEviction.make()
    return yield* body
  }).pipe(
    Logger.withMinimumLogLevel(LogLevel.None),
    Effect.scoped,
    Effect.provide(TestCluster.layer()),
    TestCluster.seeded()
  )

const boundPod = (name: string, tolerations: ReadonlyArray<Toleration>) =>
  Effect.flatMap(Client, (client) =>
    client.create(Pods, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, namespace: "default" },
      spec: { nodeName: "node-1", containers: [{ name: "main", image: "nginx:1.27" }], tolerations }
    } as Pod)
  )

const taintNode = (taints: ReadonlyArray<Taint>) =>
  Effect.gen(function* () {
    const client = yield* Client
    const node = yield* client.get(Nodes, "node-1")
    yield* client.update(Nodes, { ...node, spec: { ...node.spec, taints } })
    yield* TestCluster.settle
  })

const terminating = (name: string) =>
  Effect.flatMap(Client, (client) => client.get(Pods, name, { namespace: "default" })).pipe(
    Effect.map((pod) => pod.metadata.deletionTimestamp !== undefined)
  )

describe("TaintEviction", () => {
  it.effect("a pod whose tolerations change to tolerate forever is not evicted", () =>
    inCluster(
      Effect.gen(function* () {
        const pod = yield* boundPod("web", [
          { key: "maintenance", operator: "Exists", effect: "NoExecute", tolerationSeconds: 30 }
        ])
        yield* TestCluster.settle
        yield* taintNode([taint])
        yield* TestClock.adjust("10 seconds")
        const client = yield* Client
        const { tolerationSeconds: _, ...forever } = pod.spec!.tolerations![0]
        const current = yield* client.get(Pods, "web", { namespace: "default" })
        yield* client.update(Pods, {
          ...current,
          spec: { ...current.spec, tolerations: [forever, ...current.spec!.tolerations!.slice(1)] }
        })
        yield* TestCluster.settle
        yield* TestClock.adjust("60 seconds")
        yield* TestCluster.settle
        expect(yield* terminating("web")).toBe(false)
        const reasons = (yield* client.list(Events, { namespace: "default" })).items.map((e) => e.message)
        expect(reasons).toEqual(["Cancelling deletion of Pod default/web"])
      })
    )
  )

  it.effect("removing the taint cancels the countdown; a new taint starts a new one", () =>
    inCluster(
      Effect.gen(function* () {
        yield* boundPod("web", [{ key: "maintenance", operator: "Exists", effect: "NoExecute", tolerationSeconds: 30 }])
        yield* TestCluster.settle
        yield* taintNode([taint])
        yield* TestClock.adjust("20 seconds")
        yield* taintNode([])
        yield* TestClock.adjust("20 seconds")
        yield* TestCluster.settle
        expect(yield* terminating("web")).toBe(false)
        yield* taintNode([taint])
        yield* TestClock.adjust("29 seconds")
        yield* TestCluster.settle
        expect(yield* terminating("web")).toBe(false)
        yield* TestClock.adjust("1 second")
        yield* TestCluster.settle
        expect(yield* terminating("web")).toBe(true)
      })
    )
  )
})
