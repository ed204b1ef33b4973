import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { ContainerConfig, PodRef } from "../../core/runtime/ContainerRuntime.js"
import { testRuntime } from "../../core/runtime/RuntimeSuite.js"
import { Simulation } from "../clock/Simulation.js"
import * as SimRuntime from "./SimRuntime.js"

const instant = { min: 0, max: 0 }
testRuntime(
  "SimRuntime",
  SimRuntime.layer({
    nodeName: "node-1",
    firstPodIp: SimRuntime.firstPodIp(1),
    imagePull: instant,
    containerStart: instant
  })
)

/** Runs the program in virtual time; a failed expectation fails the test. */
const simulate = <A>(program: Effect.Effect<A, unknown, Scope.Scope>, seed = 1): A => {
  const exit = new Simulation({ seed }).run(Effect.scoped(program))
  if (Exit.isFailure(exit)) throw new Error(Cause.pretty(exit.cause))
  return exit.value
}

const options: SimRuntime.SimRuntimeOptions = {
  nodeName: "node-2",
  firstPodIp: SimRuntime.firstPodIp(2),
  imagePull: { min: 1_000, max: 5_000 },
  containerStart: { min: 200, max: 2_000 }
}

let pods = 0
const newPod = (): PodRef => {
  pods++
  return { uid: `uid-${pods}`, namespace: "default", name: `pod-${pods}` }
}

const config = (pod: PodRef, sandboxId: string, image: string, requests = {}): ContainerConfig => ({
  pod,
  sandboxId,
  name: "main",
  image,
  command: [],
  args: [],
  env: {},
  requests,
  limits: {},
  attempt: 0,
  podAnnotations: {},
  init: false
})

/** Pulls the image if absent, then runs one container of a new pod; returns its ids. */
const runPod = (runtime: SimRuntime.SimRuntime, image: string, requests = {}) =>
  Effect.gen(function* () {
    const pod = newPod()
    if (!(yield* runtime.hasImage(image))) yield* runtime.pullImage(image)
    const sandbox = yield* runtime.runSandbox({ pod, attempt: 0, hostname: pod.name, labels: {}, annotations: {} })
    const id = yield* runtime.createContainer(config(pod, sandbox.id, image, requests))
    yield* runtime.startContainer(id)
    return { pod, sandbox, id }
  })

const elapsed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const start = yield* Clock.currentTimeMillis
    const result = yield* effect
    return [result, (yield* Clock.currentTimeMillis) - start] as const
  })

describe("SimRuntime", () => {
  it("gives node k the pod range 10.244.k.2 onward, growing the second octet past 255 nodes", () => {
    expect(SimRuntime.firstPodIp(1)).toBe("10.244.1.2")
    expect(SimRuntime.firstPodIp(255)).toBe("10.244.255.2")
    expect(SimRuntime.firstPodIp(256)).toBe("10.245.0.2")
    expect(SimRuntime.firstPodIp(513)).toBe("10.246.1.2")
  })

  it("pulls an absent image within imagePull, once; creates a container within containerStart", () => {
    simulate(
      Effect.gen(function* () {
        const runtime = yield* SimRuntime.make(options)
        expect(yield* runtime.hasImage("nginx:1.27")).toBe(false)
        const [, pull] = yield* elapsed(runtime.pullImage("nginx:1.27"))
        expect(pull).toBeGreaterThanOrEqual(1_000)
        expect(pull).toBeLessThanOrEqual(5_000)
        const [, again] = yield* elapsed(runtime.pullImage("nginx:1.27"))
        expect(again).toBe(0)
        const pod = newPod()
        const sandbox = yield* runtime.runSandbox({ pod, attempt: 0, hostname: "p", labels: {}, annotations: {} })
        expect(sandbox.ip).toBe("10.244.2.2")
        const [id, create] = yield* elapsed(runtime.createContainer(config(pod, sandbox.id, "nginx:1.27")))
        expect(create).toBeGreaterThanOrEqual(200)
        expect(create).toBeLessThanOrEqual(2_000)
        yield* runtime.startContainer(id)
        expect((yield* runtime.inspectContainer(id)).state).toBe("Running")
      })
    )
  })

  it("draws the same latencies from the same seed", () => {
    const pulls = (seed: number) =>
      simulate(
        Effect.gen(function* () {
          const runtime = yield* SimRuntime.make(options)
          const times: Array<number> = []
          for (const image of ["a:1", "b:1", "c:1"]) times.push((yield* elapsed(runtime.pullImage(image)))[1])
          return times
        }),
        seed
      )
    expect(pulls(7)).toEqual(pulls(7))
    expect(pulls(7)).not.toEqual(pulls(8))
  })

  it("cannot pull images of invalid.example/", () => {
    simulate(
      Effect.gen(function* () {
        const runtime = yield* SimRuntime.make(options)
        const error = yield* Effect.flip(runtime.pullImage("invalid.example/app:1"))
        expect(error._tag).toBe("ImagePullError")
        expect(yield* runtime.hasImage("invalid.example/app:1")).toBe(false)
      })
    )
  })

  it("crash: everything vanishes, calls fail until boot, which finds it empty but for the images", () => {
    simulate(
      Effect.gen(function* () {
        const runtime = yield* SimRuntime.make(options)
        const first = yield* runPod(runtime, "nginx:1.27")
        expect(runtime.podUids()).toEqual([first.pod.uid])
        const logs = yield* Effect.fork(Stream.runCollect(runtime.logs(first.id, { follow: true })))
        yield* Effect.sleep(1)
        yield* runtime.crash
        expect(runtime.isUp()).toBe(false)
        expect(runtime.podUids()).toEqual([])
        expect((yield* Effect.flip(runtime.listContainers)).message).toBe("node is down")
        expect((yield* Effect.flip(runtime.version))._tag).toBe("RuntimeError")
        expect((yield* Effect.flip(runtime.pullImage("other:1")))._tag).toBe("RuntimeError")
        expect((yield* Effect.flip(Stream.runDrain(runtime.events)))._tag).toBe("RuntimeError")
        yield* Fiber.join(logs)
        yield* runtime.boot
        expect(runtime.isUp()).toBe(true)
        expect(yield* runtime.listContainers).toEqual([])
        expect(yield* runtime.listSandboxes).toEqual([])
        expect(yield* runtime.hasImage("nginx:1.27")).toBe(true)
        expect(runtime.podUids()).toEqual([])
        const second = yield* runPod(runtime, "nginx:1.27")
        expect(runtime.podUids()).toEqual([second.pod.uid])
        expect(second.id).not.toBe(first.id)
        expect(second.sandbox.id).not.toBe(first.sandbox.id)
      })
    )
  })

  it("a container being created when the node crashes is never created", () => {
    simulate(
      Effect.gen(function* () {
        const runtime = yield* SimRuntime.make(options)
        yield* runtime.pullImage("nginx:1.27")
        const pod = newPod()
        const sandbox = yield* runtime.runSandbox({ pod, attempt: 0, hostname: "p", labels: {}, annotations: {} })
        const creating = yield* Effect.fork(runtime.createContainer(config(pod, sandbox.id, "nginx:1.27")))
        yield* Effect.sleep(100)
        yield* runtime.crash
        yield* runtime.boot
        const error = yield* Effect.flip(Fiber.join(creating))
        expect(error).toMatchObject({ _tag: "RuntimeError", message: "node is down" })
        expect(yield* runtime.listContainers).toEqual([])
      })
    )
  })

  it("crashContainer ends the running container with the exit code", () => {
    simulate(
      Effect.gen(function* () {
        const runtime = yield* SimRuntime.make(options)
        const { pod, id } = yield* runPod(runtime, "nginx:1.27")
        expect(yield* runtime.crashContainer(pod.uid, "main", 3)).toBe(true)
        expect(yield* runtime.inspectContainer(id)).toMatchObject({ state: "Exited", exitCode: 3, reason: "Error" })
        expect(yield* runtime.crashContainer(pod.uid, "main", 3)).toBe(false)
        expect(yield* runtime.crashContainer("no-such-uid", "main", 1)).toBe(false)
      })
    )
  })

  it("containers lists every container the node holds, sorted, with whether it runs; none while down", () => {
    simulate(
      Effect.gen(function* () {
        const runtime = yield* SimRuntime.make({ ...options, containerStart: instant })
        const first = yield* runPod(runtime, "nginx:1.27")
        const second = yield* runPod(runtime, "nginx:1.27")
        // A second "main" of the first pod, as a kubelet that did not re-adopt the first would start.
        const again = yield* runtime.createContainer(config(first.pod, first.sandbox.id, "nginx:1.27"))
        yield* runtime.startContainer(again)
        yield* runtime.stopContainer(second.id, 0)
        const entry = (podUid: string, id: string, running: boolean) => ({ podUid, container: "main", id, running })
        const key = (c: SimRuntime.NodeContainer) => `${c.podUid} ${c.container} ${c.id}`
        const expected = [
          entry(first.pod.uid, first.id, true),
          entry(first.pod.uid, again, true),
          entry(second.pod.uid, second.id, false)
        ]
        expect(runtime.containers()).toEqual(expected.sort((a, b) => (key(a) < key(b) ? -1 : 1)))
        yield* runtime.crash
        expect(runtime.containers()).toEqual([])
      })
    )
  })

  it("usage sums the requests of running containers", () => {
    simulate(
      Effect.gen(function* () {
        const runtime = yield* SimRuntime.make(options)
        const a = yield* runPod(runtime, "nginx:1.27", { cpu: "500m", memory: "256Mi" })
        yield* runPod(runtime, "nginx:1.27", { cpu: 1, memory: "1Gi" })
        yield* runPod(runtime, "nginx:1.27")
        expect(runtime.usage()).toEqual({ cpuMillis: 1_500, memoryBytes: 1_280 * 1024 * 1024 })
        yield* runtime.stopContainer(a.id, 30)
        expect(runtime.usage()).toEqual({ cpuMillis: 1_000, memoryBytes: 1024 * 1024 * 1024 })
        yield* runtime.crash
        expect(runtime.usage()).toEqual({ cpuMillis: 0, memoryBytes: 0 })
      })
    )
  })
})
