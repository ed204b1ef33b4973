import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import type * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import { type Node, Nodes } from "../api/Node.js"
import { type Pod, Pods } from "../api/Pod.js"
import { Client } from "../client/Client.js"
import type { SharedInformers } from "../informer/SharedInformers.js"
import * as TestCluster from "../testing/TestCluster.js"
import * as PodGC from "./PodGC.js"

const node = (name: string, ready: "True" | "Unknown", taints: NonNullable<Node["spec"]>["taints"] = []): Node =>
  ({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name },
    spec: { taints },
    status: { conditions: [{ type: "Ready", status: ready }] }
  }) as Node

const pod = (name: string, nodeName: string, phase: "Running" | "Succeeded" | "Failed" = "Running"): Pod =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default" },
    spec: { ...(nodeName === "" ? {} : { nodeName }), containers: [{ name: "main", image: "nginx:1.27" }] },
    status: { phase }
  }) as Pod

const inCluster = <A, E>(body: Effect.Effect<A, E, Client | SharedInformers | Scope.Scope>) =>
  body.pipe(
    Logger.withMinimumLogLevel(LogLevel.None),
    Effect.scoped,
    Effect.provide(TestCluster.layer()),
    TestCluster.seeded()
  )

/** Creates the node and pods (each pod's status written as given), then starts PodGC. */
const setUp = (nodes: ReadonlyArray<Node>, pods: ReadonlyArray<Pod>, options: PodGC.PodGCOptions = {}) =>
  Effect.gen(function* () {
    const client = yield* Client
    for (const n of nodes) yield* client.updateStatus(Nodes, { ...(yield* client.create(Nodes, n)), status: n.status })
    for (const p of pods) {
      const created = yield* client.create(Pods, p)
      yield* client.updateStatus(Pods, { ...created, status: p.status })
      // Distinct creation times, so "oldest first" has an order to follow.
      yield* TestClock.adjust("1 second")
    }
    yield* PodGC.make(options)
    yield* TestCluster.settle
  })

const present = Effect.flatMap(Client, (client) =>
  Effect.map(client.list(Pods, { namespace: "default" }), (list) => list.items.map((p) => p.metadata.name).sort())
)

/** Moves the clock `seconds` forward a second at a time; answers the names of the pods left. */
const after = (seconds: number) =>
  Effect.zipRight(
    Effect.forEach(
      Array.from({ length: seconds }),
      () => Effect.zipRight(TestClock.adjust("1 second"), TestCluster.settle),
      { discard: true }
    ),
    present
  )

describe("PodGC", () => {
  it.effect("the pods of a deleted node are force-deleted once the node has been missing for the quarantine", () =>
    inCluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* setUp([node("node-1", "True"), node("node-2", "True")], [pod("orphan", "node-1"), pod("kept", "node-2")])
        yield* client.delete(Nodes, "node-1")
        // Passes every 20 s: the first one to miss the node starts a 40 s quarantine.
        expect(yield* after(39)).toEqual(["kept", "orphan"])
        expect(yield* after(21)).toEqual(["kept"])
      })
    )
  )

  it.effect("a node that comes back within the quarantine keeps its pods", () =>
    inCluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* setUp([node("node-1", "True")], [pod("web", "node-1")])
        yield* client.delete(Nodes, "node-1")
        yield* after(25)
        yield* client.create(Nodes, node("node-1", "True"))
        expect(yield* after(60)).toEqual(["web"])
      })
    )
  )

  it.effect("terminated pods beyond the threshold go, oldest first; running pods never count", () =>
    inCluster(
      Effect.gen(function* () {
        yield* setUp(
          [node("node-1", "True")],
          [
            pod("done-1", "node-1", "Succeeded"),
            pod("failed-2", "node-1", "Failed"),
            pod("running", "node-1"),
            pod("done-3", "node-1", "Succeeded"),
            pod("done-4", "node-1", "Succeeded")
          ],
          { terminatedPodThreshold: 2 }
        )
        expect(yield* after(1)).toEqual(["done-3", "done-4", "running"])
      })
    )
  )

  it.effect("terminating pods go at once on an out-of-service node that is not ready, and when never scheduled", () =>
    inCluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* setUp(
          [
            node("down", "Unknown", [{ key: PodGC.outOfServiceTaintKey, effect: "NoExecute" }]),
            node("slow", "Unknown")
          ],
          [pod("on-down", "down"), pod("on-slow", "slow"), pod("unscheduled", "")]
        )
        for (const name of ["on-down", "on-slow", "unscheduled"]) {
          yield* client.delete(Pods, name, { namespace: "default" })
        }
        // Only the pod on the node that is merely slow waits for its kubelet.
        expect(yield* after(20)).toEqual(["on-slow"])
      })
    )
  )
})
