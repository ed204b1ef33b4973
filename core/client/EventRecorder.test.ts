import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import type * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import { Events } from "../api/Event.js"
import type { KubeObject } from "../api/meta.js"
import * as TestCluster from "../testing/TestCluster.js"
import * as Client from "./Client.js"
import * as EventRecorder from "./EventRecorder.js"

const pod: KubeObject = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web-1", namespace: "default", uid: "uid-web-1", resourceVersion: "7" }
}

const node: KubeObject = { apiVersion: "v1", kind: "Node", metadata: { name: "node-1", uid: "uid-node-1" } }

const events = (namespace = "default") =>
  Effect.flatMap(Client.Client, (client) => client.list(Events, { namespace })).pipe(Effect.map((l) => l.items))

const inCluster = <A, E>(effect: Effect.Effect<A, E, Client.Client | Scope.Scope>) =>
  effect.pipe(
    Logger.withMinimumLogLevel(LogLevel.None),
    Effect.scoped,
    Effect.provide(TestCluster.layer()),
    TestCluster.seeded()
  )

describe("EventRecorder", () => {
  it.effect("creates an Event about the object in its namespace", () =>
    inCluster(
      Effect.gen(function* () {
        yield* TestClock.setTime(Date.parse("2024-05-01T10:00:00Z"))
        const recorder = yield* EventRecorder.make("default-scheduler", "scheduler-0")
        yield* recorder.event(pod, "Normal", "Scheduled", "Successfully assigned default/web-1 to node-1")
        yield* TestCluster.settle
        const [event, ...rest] = yield* events()
        expect(rest).toEqual([])
        expect(event?.metadata.name).toMatch(/^web-1\.[0-9a-f]+$/)
        expect(event).toMatchObject({
          involvedObject: {
            kind: "Pod",
            apiVersion: "v1",
            name: "web-1",
            namespace: "default",
            uid: "uid-web-1",
            resourceVersion: "7"
          },
          reason: "Scheduled",
          message: "Successfully assigned default/web-1 to node-1",
          type: "Normal",
          source: { component: "default-scheduler", host: "scheduler-0" },
          firstTimestamp: "2024-05-01T10:00:00Z",
          lastTimestamp: "2024-05-01T10:00:00Z",
          count: 1,
          reportingComponent: "default-scheduler",
          reportingInstance: "scheduler-0"
        })
      })
    )
  )

  it.effect("a repeat within ten minutes bumps count and lastTimestamp of the same Event", () =>
    inCluster(
      Effect.gen(function* () {
        const recorder = yield* EventRecorder.make("kubelet", "node-1")
        yield* recorder.event(pod, "Warning", "BackOff", "Back-off restarting failed container")
        yield* TestClock.adjust("5 seconds")
        yield* recorder.event(pod, "Warning", "BackOff", "Back-off restarting failed container")
        yield* TestClock.adjust("9 minutes")
        yield* recorder.event(pod, "Warning", "BackOff", "Back-off restarting failed container")
        yield* TestCluster.settle
        const list = yield* events()
        expect(list).toHaveLength(1)
        expect(list[0]).toMatchObject({
          count: 3,
          firstTimestamp: "1970-01-01T00:00:00Z",
          lastTimestamp: "1970-01-01T00:09:05Z"
        })
      })
    )
  )

  it.effect("another message, type or object, or a repeat after ten minutes quiet, is a new Event", () =>
    inCluster(
      Effect.gen(function* () {
        const recorder = yield* EventRecorder.make("kubelet", "node-1")
        yield* recorder.event(pod, "Normal", "Pulled", "image a")
        yield* recorder.event(pod, "Normal", "Pulled", "image b")
        yield* recorder.event(pod, "Warning", "Pulled", "image a")
        yield* recorder.event({ ...pod, metadata: { ...pod.metadata, uid: "other" } }, "Normal", "Pulled", "image a")
        yield* TestCluster.settle
        expect(yield* events()).toHaveLength(4)
        yield* TestClock.adjust("11 minutes")
        yield* recorder.event(pod, "Normal", "Pulled", "image a")
        yield* TestCluster.settle
        const list = yield* events()
        expect(list).toHaveLength(5)
        expect(list.every((e) => e.count === 1)).toBe(true)
      })
    )
  )

  it.effect("events about cluster-scoped objects go to the default namespace", () =>
    inCluster(
      Effect.gen(function* () {
        const recorder = yield* EventRecorder.make("node-controller")
        yield* recorder.event(node, "Normal", "RegisteredNode", "Node node-1 event: Registered Node node-1")
        yield* TestCluster.settle
        const [event] = yield* events()
        expect(event?.involvedObject).toEqual({ kind: "Node", apiVersion: "v1", name: "node-1", uid: "uid-node-1" })
        expect(event?.source).toEqual({ component: "node-controller" })
        expect(event?.metadata.name).toMatch(/^node-1\./)
      })
    )
  )

  it.effect("writes queued events in order; past 1000 waiting, an event is dropped", () =>
    inCluster(
      Effect.gen(function* () {
        const recorder = yield* EventRecorder.make("kubelet", "node-1")
        // Reported in one go: the writer gets to none of them before the 1001st and 1002nd are dropped.
        yield* Effect.withMaxOpsBeforeYield(
          Effect.forEach(
            Array.from({ length: 1002 }, (_, i) => `message ${i}`),
            (message) => recorder.event(pod, "Normal", "Started", message)
          ),
          100_000
        )
        yield* TestCluster.settle
        const written = yield* events()
        expect(written).toHaveLength(1000)
        const order = [...written].sort((a, b) =>
          (a.metadata.creationTimestamp ?? "") === (b.metadata.creationTimestamp ?? "")
            ? Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion)
            : (a.metadata.creationTimestamp ?? "") < (b.metadata.creationTimestamp ?? "")
              ? -1
              : 1
        )
        expect(order.map((e) => e.message)).toEqual(Array.from({ length: 1000 }, (_, i) => `message ${i}`))
        // The writer waits again, and takes the next event as it comes.
        yield* recorder.event(pod, "Normal", "Started", "message after")
        yield* TestCluster.settle
        expect((yield* events()).map((e) => e.message)).toContain("message after")
      })
    )
  )

  it.effect("never fails: a write the API refuses is logged and later events still get through", () =>
    inCluster(
      Effect.gen(function* () {
        const client = yield* Client.Client
        const recorder = yield* EventRecorder.make("kubelet", "node-1")
        const elsewhere = { ...pod, metadata: { ...pod.metadata, namespace: "no-such-namespace" } }
        yield* recorder.event(elsewhere, "Normal", "Started", "Started container")
        yield* recorder.event(pod, "Normal", "Started", "Started container")
        yield* TestCluster.settle
        expect(yield* events()).toHaveLength(1)

        // The Event was deleted meanwhile: the repeat creates a new one.
        const [first] = yield* events()
        yield* client.delete(Events, first?.metadata.name ?? "", { namespace: "default" })
        yield* TestClock.adjust("1 seconds")
        yield* recorder.event(pod, "Normal", "Started", "Started container")
        yield* TestCluster.settle
        const list = yield* events()
        expect(list).toHaveLength(1)
        expect(list[0]?.metadata.name).not.toBe(first?.metadata.name)
        expect(list[0]?.count).toBe(1)
      })
    )
  )
})
