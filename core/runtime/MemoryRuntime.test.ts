import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import type { ContainerConfig, PodRef } from "./ContainerRuntime.js"
import * as MemoryRuntime from "./MemoryRuntime.js"
import { testRuntime } from "./RuntimeSuite.js"

testRuntime("MemoryRuntime", MemoryRuntime.layer())

const pod: PodRef = { uid: "uid-1", namespace: "default", name: "web" }

const config = (sandboxId: string, annotations: Record<string, string> = {}): ContainerConfig => ({
  pod,
  sandboxId,
  name: "main",
  image: "nginx:1.27",
  command: [],
  args: [],
  env: {},
  requests: {},
  limits: {},
  attempt: 0,
  podAnnotations: annotations,
  init: false
})

/** A started container of a fresh runtime, with its pod's annotations. */
const running = (annotations: Record<string, string> = {}, options: MemoryRuntime.MemoryRuntimeOptions = {}) =>
  Effect.gen(function* () {
    const runtime = yield* MemoryRuntime.make({ images: ["nginx:1.27"], ...options })
    const sandbox = yield* runtime.runSandbox({ pod, attempt: 0, hostname: "web", labels: {}, annotations: {} })
    const id = yield* runtime.createContainer(config(sandbox.id, annotations))
    yield* runtime.startContainer(id)
    return { runtime, id, sandbox }
  })

const settle = Effect.repeatN(Effect.yieldNow(), 20)

describe("MemoryRuntime", () => {
  it.scoped("listings are the same arrays until something changes, then show the change", () =>
    Effect.gen(function* () {
      const runtime = yield* MemoryRuntime.make({ images: ["nginx:1.27"] })
      const states = Effect.map(runtime.listContainers, (all) => all.map((c) => c.state))
      const sandboxStates = Effect.map(runtime.listSandboxes, (all) => all.map((s) => s.state))
      const sandbox = yield* runtime.runSandbox({ pod, attempt: 0, hostname: "web", labels: {}, annotations: {} })
      expect(yield* sandboxStates).toEqual(["Ready"])
      const first = yield* runtime.listSandboxes
      expect(yield* runtime.listSandboxes).toBe(first)
      expect(Object.isFrozen(first)).toBe(true)

      expect(yield* states).toEqual([])
      const id = yield* runtime.createContainer(config(sandbox.id))
      expect(yield* states).toEqual(["Created"])
      yield* runtime.startContainer(id)
      const started = yield* runtime.listContainers
      expect(started.map((c) => c.state)).toEqual(["Running"])
      expect(yield* runtime.listContainers).toBe(started)
      yield* runtime.stopContainer(id, 30)
      expect(yield* states).toEqual(["Exited"])
      yield* runtime.stopSandbox(sandbox.id)
      expect(yield* sandboxStates).toEqual(["NotReady"])
      yield* runtime.removeContainer(id)
      expect(yield* states).toEqual([])
      yield* runtime.removeSandbox(sandbox.id)
      expect(yield* sandboxStates).toEqual([])
    })
  )

  it.scoped("a run-for container exits by itself after that long, with the exit code asked for", () =>
    Effect.gen(function* () {
      const { runtime, id } = yield* running({
        [MemoryRuntime.runForAnnotation]: "5m",
        [MemoryRuntime.exitCodeAnnotation]: "2"
      })
      yield* TestClock.adjust(Duration.minutes(4))
      expect((yield* runtime.inspectContainer(id)).state).toBe("Running")
      yield* TestClock.adjust(Duration.minutes(1))
      yield* settle
      expect(yield* runtime.inspectContainer(id)).toMatchObject({
        state: "Exited",
        exitCode: 2,
        reason: "Error",
        finishedAt: 300_000
      })
    })
  )

  it.scoped("a container exits at once on SIGTERM, with 143", () =>
    Effect.gen(function* () {
      const { runtime, id } = yield* running()
      yield* runtime.stopContainer(id, 30)
      expect(yield* runtime.inspectContainer(id)).toMatchObject({ state: "Exited", exitCode: 143, finishedAt: 0 })
    })
  )

  it.scoped("a SIGTERM-ignoring container is killed at the end of the grace period, with 137", () =>
    Effect.gen(function* () {
      const { runtime, id } = yield* running({ [MemoryRuntime.ignoreSigtermAnnotation]: "true" })
      const stopping = yield* Effect.fork(runtime.stopContainer(id, 30))
      yield* TestClock.adjust(Duration.seconds(29))
      expect((yield* runtime.inspectContainer(id)).state).toBe("Running")
      yield* TestClock.adjust(Duration.seconds(1))
      yield* Fiber.join(stopping)
      expect(yield* runtime.inspectContainer(id)).toMatchObject({ state: "Exited", exitCode: 137, finishedAt: 30_000 })
    })
  )

  it.scoped("a crash exits with the code and reason given, and is announced", () =>
    Effect.gen(function* () {
      const { runtime, id } = yield* running()
      const exited = yield* Effect.fork(
        runtime.events.pipe(
          Stream.filter((e) => e.type === "ContainerExited"),
          Stream.take(1),
          Stream.runCollect
        )
      )
      yield* settle
      yield* runtime.crash(id, 137, "OOMKilled")
      expect(Chunk.toReadonlyArray(yield* Fiber.join(exited))).toEqual([
        { type: "ContainerExited", podUid: "uid-1", id }
      ])
      expect(yield* runtime.inspectContainer(id)).toMatchObject({ exitCode: 137, reason: "OOMKilled" })
    })
  )

  it.scoped("every reader of the events gets each event published after it started reading, in order", () =>
    Effect.gen(function* () {
      const { runtime, id } = yield* running()
      const read = (n: number) =>
        Effect.fork(
          runtime.events.pipe(
            Stream.map((e) => `${e.type} ${e.id}`),
            Stream.take(n),
            Stream.runCollect
          )
        )
      const first = yield* read(3)
      yield* settle
      yield* runtime.stopContainer(id, 0)
      const second = yield* read(2)
      yield* settle
      yield* runtime.removeContainer(id)
      const sandboxes = yield* runtime.listSandboxes
      yield* runtime.removeSandbox(sandboxes[0]!.id)
      const sandboxId = sandboxes[0]!.id
      expect(Chunk.toReadonlyArray(yield* Fiber.join(first))).toEqual([
        `ContainerExited ${id}`,
        `ContainerRemoved ${id}`,
        `SandboxRemoved ${sandboxId}`
      ])
      expect(Chunk.toReadonlyArray(yield* Fiber.join(second))).toEqual([
        `ContainerRemoved ${id}`,
        `SandboxRemoved ${sandboxId}`
      ])
    })
  )

  it.scoped("probes succeed while running unless decided otherwise", () =>
    Effect.gen(function* () {
      const { runtime, id } = yield* running()
      const ready = { _tag: "HttpGet", scheme: "HTTP", port: 80, path: "/ready", headers: [] } as const
      const live = { _tag: "TcpSocket", port: 80 } as const
      expect((yield* runtime.probe(id, ready, 1)).result).toBe("Success")
      yield* runtime.setProbeResults((_, action) => (action._tag === "HttpGet" ? "Failure" : "Success"))
      expect((yield* runtime.probe(id, ready, 1)).result).toBe("Failure")
      expect((yield* runtime.probe(id, live, 1)).result).toBe("Success")
    })
  )

  it.scoped("pulls fail for images not pullable, until they are", () =>
    Effect.gen(function* () {
      const runtime = yield* MemoryRuntime.make({ pullable: (image) => image !== "nginx:nope" })
      const error = yield* Effect.flip(runtime.pullImage("nginx:nope"))
      expect(error).toMatchObject({ _tag: "ImagePullError", image: "nginx:nope" })
      expect(yield* runtime.hasImage("nginx:nope")).toBe(false)
      yield* runtime.setPullable(() => true)
      yield* runtime.pullImage("nginx:nope")
      expect(yield* runtime.hasImage("nginx:nope")).toBe(true)
    })
  )

  it.scoped("creating a container needs its image present", () =>
    Effect.gen(function* () {
      const runtime = yield* MemoryRuntime.make()
      const sandbox = yield* runtime.runSandbox({ pod, attempt: 0, hostname: "web", labels: {}, annotations: {} })
      const error = yield* Effect.flip(runtime.createContainer(config(sandbox.id)))
      expect(error._tag).toBe("RuntimeError")
    })
  )

  it.scoped("pod IPs count up from the first one; runtimes of different nodes have distinct ids", () =>
    Effect.gen(function* () {
      const a = yield* MemoryRuntime.make({ nodeName: "a", firstPodIp: "10.244.1.254" })
      const b = yield* MemoryRuntime.make({ nodeName: "b" })
      const sandbox = (runtime: MemoryRuntime.MemoryRuntime) =>
        runtime.runSandbox({ pod, attempt: 0, hostname: "web", labels: {}, annotations: {} })
      const [a1, a2, b1] = [yield* sandbox(a), yield* sandbox(a), yield* sandbox(b)]
      expect([a1.ip, a2.ip, b1.ip]).toEqual(["10.244.1.254", "10.244.1.255", "10.244.0.2"])
      expect(a1.id).not.toBe(b1.id)
    })
  )

  it.scoped("logs: written lines, the tail, and a follower that ends with the container", () =>
    Effect.gen(function* () {
      const { runtime, id } = yield* running()
      yield* runtime.writeLog(id, "one")
      yield* runtime.writeLog(id, "two")
      const following = yield* Effect.fork(Stream.runCollect(runtime.logs(id, { follow: true })))
      yield* settle
      yield* runtime.writeLog(id, "three")
      yield* runtime.exit(id, 0)
      expect(Chunk.toReadonlyArray(yield* Fiber.join(following))).toEqual(["one", "two", "three"])
      const tail = yield* Stream.runCollect(runtime.logs(id, { follow: false, tailLines: 1 }))
      expect(Chunk.toReadonlyArray(tail)).toEqual(["three"])
    })
  )
})
