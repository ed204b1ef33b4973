/**
 * Test support for the log tests over real HTTP on 127.0.0.1: an API server (in-memory store)
 * that reaches kubelets with the HTTP KubeletConnection, and one node's kubelet with its own
 * server over a MemoryRuntime, all in the caller's scope. The runtime counts the log streams it
 * has open, so a test can see a reader's departure reach the runtime.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { type Pod, Pods } from "../../core/api/Pod.js"
import * as ApiServer from "../../core/apiserver/ApiServer.js"
import * as Client from "../../core/client/Client.js"
import * as Kubelet from "../../core/kubelet/Kubelet.js"
import { ContainerRuntime } from "../../core/runtime/ContainerRuntime.js"
import * as MemoryRuntime from "../../core/runtime/MemoryRuntime.js"
import * as MemoryStore from "../../core/store/MemoryStore.js"
import * as KubeletConnection from "./kubeletConnection.js"
import * as KubeletServer from "./kubeletServer.js"
import * as Server from "./server.js"
import * as HttpTransport from "./transport.js"

export const nodeName = "node-1"

export interface LogsTestbed {
  /** The API server's URL. */
  readonly server: string
  readonly runtime: MemoryRuntime.MemoryRuntime
  readonly client: Client.Client["Type"]
  /** Log streams the runtime is serving now. */
  readonly openLogs: () => number
  /** The id of instance `attempt` (default 0) of a pod's container, once the kubelet has it running. */
  readonly running: (pod: string, container: string, attempt?: number) => Effect.Effect<string>
}

/** A MemoryRuntime whose `logs` streams are counted while they are open. */
export const counted = (memory: MemoryRuntime.MemoryRuntime) => {
  let open = 0
  const runtime: MemoryRuntime.MemoryRuntime = {
    ...memory,
    logs: (id, options) =>
      Stream.ensuring(
        Stream.suspend(() => {
          open++
          return memory.logs(id, options)
        }),
        Effect.sync(() => {
          open--
        })
      )
  }
  return { runtime, openLogs: () => open }
}

export const make: Effect.Effect<LogsTestbed, never, Scope.Scope> = Effect.gen(function* () {
  const { runtime, openLogs } = counted(yield* MemoryRuntime.make({ nodeName }))
  const apiServer = yield* Layer.build(
    Server.layer({ port: 0 }).pipe(
      Layer.provide(ApiServer.layer()),
      Layer.provide(Layer.merge(MemoryStore.layer, KubeletConnection.layer()))
    )
  ).pipe(Effect.orDie)
  const server = yield* Effect.provide(Server.serverUrl, apiServer)
  const client = yield* Effect.provide(Client.make, yield* Layer.build(HttpTransport.layer({ server })))
  const kubeletPort = yield* KubeletServer.serve({ port: 0 }).pipe(
    Effect.provideService(ContainerRuntime, runtime),
    Effect.orDie
  )
  yield* Kubelet.make({
    nodeName,
    capacity: { cpu: "4", memory: "8Gi", pods: "110" },
    nodeIP: "127.0.0.1",
    kubeletPort
  }).pipe(
    Effect.provideService(Client.Client, client),
    Effect.provideService(ContainerRuntime, runtime),
    Logger.withMinimumLogLevel(LogLevel.Warning)
  )
  const running = (pod: string, container: string, attempt = 0) =>
    runtime.listContainers.pipe(
      Effect.flatMap((containers) => {
        const found = containers.find(
          (c) => c.pod.name === pod && c.name === container && c.attempt === attempt && c.state === "Running"
        )
        return found === undefined ? Effect.fail("not running yet") : Effect.succeed(found.id)
      }),
      Effect.retry(Schedule.intersect(Schedule.spaced("20 millis"), Schedule.recurs(500))),
      Effect.orDie
    )
  return { server, runtime, client, openLogs, running }
})

/** A pod of nginx containers with these names, bound to the testbed's node unless `nodeName` is null (never scheduled). */
export const pod = (name: string, containers: ReadonlyArray<string>, node: string | null = nodeName): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default" },
  spec: {
    ...(node === null ? {} : { nodeName: node }),
    containers: containers.map((c) => ({ name: c, image: "nginx:1.27" }))
  }
})

/**
 * The pods both log tests read: `web` (one container, "hello" and "world") and `duo` (containers
 * `a` and `b`, "from a" and "from b"), running with their lines written.
 */
export const seedPods = (testbed: LogsTestbed): Effect.Effect<void> =>
  Effect.gen(function* () {
    yield* testbed.client.create(Pods, pod("web", ["web"]))
    yield* testbed.client.create(Pods, pod("duo", ["a", "b"]))
    const web = yield* testbed.running("web", "web")
    yield* testbed.runtime.writeLog(web, "hello")
    yield* testbed.runtime.writeLog(web, "world")
    yield* testbed.runtime.writeLog(yield* testbed.running("duo", "a"), "from a")
    yield* testbed.runtime.writeLog(yield* testbed.running("duo", "b"), "from b")
  }).pipe(Effect.orDie)
