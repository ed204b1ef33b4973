/**
 * The ContainerRuntime conformance suite: the contract every runtime keeps (memory, simulated,
 * Docker), so the kubelet behaves the same over each. Containers are described both ways a runtime
 * may read them: a shell command (a real engine runs it) and the `sim.minik8s.io/*` pod annotations
 * (memory and simulated runtimes act them out); no test depends on log contents.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { type ContainerConfig, type ContainerInfo, ContainerRuntime, type PodRef } from "./ContainerRuntime.js"
import { exitCodeAnnotation, runForAnnotation } from "./MemoryRuntime.js"

export interface RuntimeSuiteOptions {
  /** Run on the real clock (a real engine); default: on TestClock, which the suite moves itself. */
  readonly live?: boolean
  /** The image every test container uses; default "busybox:1.36". */
  readonly image?: string
}

/** Registers the suite; `layer` gives a fresh runtime per test. */
export const testRuntime = (
  name: string,
  layer: Layer.Layer<ContainerRuntime, unknown>,
  options: RuntimeSuiteOptions = {}
) =>
  describe(`ContainerRuntime over ${name}`, () => {
    const image = options.image ?? "busybox:1.36"
    const live = options.live === true
    const test = (title: string, body: Effect.Effect<void, unknown, ContainerRuntime>) =>
      live
        ? it.live(title, () => Effect.scoped(Effect.provide(body, layer)), 120_000)
        : it.effect(title, () => Effect.scoped(Effect.provide(body, layer)))

    // Lets the engine act: scheduler turns, plus a little time on a real engine.
    const settle = live ? Effect.sleep(Duration.millis(200)) : Effect.repeatN(Effect.yieldNow(), 20)

    /** Retries `check` as time passes (TestClock moved, or real time) until it holds; 60 s at most. */
    const eventually = <A, E, R>(check: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
      const step = live ? Effect.sleep(Duration.millis(100)) : TestClock.adjust(Duration.millis(100))
      const attempt = (left: number): Effect.Effect<A, E, R> =>
        Effect.catchAllCause(Effect.zipRight(settle, check), (cause) =>
          left <= 0
            ? Effect.failCause(cause)
            : Effect.zipRight(
                step,
                Effect.suspend(() => attempt(left - 1))
              )
        )
      return attempt(600)
    }

    let pods = 0
    const podRef = (): PodRef => {
      pods++
      return { uid: `suite-uid-${pods}`, namespace: "default", name: `suite-pod-${pods}` }
    }

    const ensureImage = Effect.gen(function* () {
      const runtime = yield* ContainerRuntime
      if (!(yield* runtime.hasImage(image))) yield* runtime.pullImage(image)
    })

    const sandbox = (pod: PodRef, attempt = 0) =>
      Effect.flatMap(ContainerRuntime, (runtime) =>
        runtime.runSandbox({ pod, attempt, hostname: pod.name, labels: {}, annotations: {} })
      )

    /** A container that sleeps (runs until stopped), or exits by itself with `exitCode` after a second. */
    const containerConfig = (
      pod: PodRef,
      sandboxId: string,
      name: string,
      behaviour: { readonly exitCode?: number } = {}
    ): ContainerConfig => ({
      pod,
      sandboxId,
      name,
      image,
      command: ["sh", "-c"],
      args: [behaviour.exitCode === undefined ? "sleep 3600" : `sleep 1; exit ${behaviour.exitCode}`],
      env: {},
      requests: {},
      limits: {},
      attempt: 0,
      podAnnotations:
        behaviour.exitCode === undefined
          ? {}
          : { [runForAnnotation]: "1s", [exitCodeAnnotation]: String(behaviour.exitCode) },
      init: false
    })

    const started = (pod: PodRef, name: string, behaviour: { readonly exitCode?: number } = {}) =>
      Effect.gen(function* () {
        const runtime = yield* ContainerRuntime
        yield* ensureImage
        const sb = yield* sandbox(pod)
        const id = yield* runtime.createContainer(containerConfig(pod, sb.id, name, behaviour))
        yield* runtime.startContainer(id)
        return { sandbox: sb, id }
      })

    const inspect = (id: string) => Effect.flatMap(ContainerRuntime, (runtime) => runtime.inspectContainer(id))
    const exitedInfo = (id: string) =>
      eventually(
        Effect.flatMap(inspect(id), (info) =>
          info.state === "Exited" ? Effect.succeed(info) : Effect.fail(`container ${id} is ${info.state}`)
        )
      )
    const ids = (items: ReadonlyArray<{ readonly id: string }>) => items.map((item) => item.id)

    test(
      "reports a version",
      Effect.gen(function* () {
        const runtime = yield* ContainerRuntime
        expect((yield* runtime.version).length).toBeGreaterThan(0)
      })
    )

    test(
      "pulls an image, which is then present",
      Effect.gen(function* () {
        const runtime = yield* ContainerRuntime
        yield* runtime.pullImage(image)
        expect(yield* runtime.hasImage(image)).toBe(true)
      })
    )

    test(
      "a sandbox is Ready with an IP, NotReady once stopped, gone once removed; stop and remove are idempotent",
      Effect.gen(function* () {
        const runtime = yield* ContainerRuntime
        const pod = podRef()
        const sb = yield* sandbox(pod, 2)
        expect(sb.state).toBe("Ready")
        expect(sb.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/)
        const listed = (yield* runtime.listSandboxes).find((s) => s.id === sb.id)
        expect(listed).toMatchObject({ pod, attempt: 2, state: "Ready" })
        yield* runtime.stopSandbox(sb.id)
        yield* runtime.stopSandbox(sb.id)
        expect((yield* runtime.listSandboxes).find((s) => s.id === sb.id)?.state).toBe("NotReady")
        yield* runtime.removeSandbox(sb.id)
        yield* runtime.removeSandbox(sb.id)
        expect(ids(yield* runtime.listSandboxes)).not.toContain(sb.id)
      })
    )

    test(
      "listPod shows the pod's own sandboxes and containers, in their states as they change, and no other pod's",
      Effect.gen(function* () {
        const runtime = yield* ContainerRuntime
        yield* ensureImage
        const [pod, other] = [podRef(), podRef()]
        const sb = yield* sandbox(pod)
        const otherSb = yield* sandbox(other)
        const id = yield* runtime.createContainer(containerConfig(pod, sb.id, "main"))
        yield* runtime.createContainer(containerConfig(other, otherSb.id, "main"))
        const states = Effect.map(runtime.listPod(pod.uid), (listing) => ({
          sandboxes: listing.sandboxes.map((s) => [s.id, s.state]),
          containers: listing.containers.map((c) => [c.id, c.state])
        }))
        expect(yield* states).toEqual({ sandboxes: [[sb.id, "Ready"]], containers: [[id, "Created"]] })
        yield* runtime.startContainer(id)
        expect((yield* states).containers).toEqual([[id, "Running"]])
        expect((yield* runtime.listContainers).find((c) => c.id === id)?.state).toBe("Running")
        yield* runtime.stopContainer(id, 1)
        expect((yield* states).containers).toEqual([[id, "Exited"]])
        expect((yield* runtime.listContainers).find((c) => c.id === id)?.state).toBe("Exited")
        yield* runtime.stopSandbox(sb.id)
        yield* runtime.removeSandbox(sb.id)
        expect(yield* states).toEqual({ sandboxes: [], containers: [] })
        expect((yield* runtime.listPod(other.uid)).sandboxes.map((s) => s.id)).toEqual([otherSb.id])
      })
    )

    test(
      "a container goes Created → Running → Exited → removed, with its pod, name, attempt and times",
      Effect.gen(function* () {
        const runtime = yield* ContainerRuntime
        yield* ensureImage
        const pod = podRef()
        const sb = yield* sandbox(pod)
        const id = yield* runtime.createContainer({ ...containerConfig(pod, sb.id, "main"), attempt: 3 })
        const created = yield* inspect(id)
        expect(created).toMatchObject({ id, pod, sandboxId: sb.id, name: "main", attempt: 3, image, state: "Created" })
        expect(created.imageId.length).toBeGreaterThan(0)
        yield* runtime.startContainer(id)
        const running = yield* inspect(id)
        expect(running.state).toBe("Running")
        expect(running.startedAt).toBeGreaterThanOrEqual(created.createdAt)
        yield* runtime.stopContainer(id, 1)
        const exited = yield* inspect(id)
        expect(exited.state).toBe("Exited")
        expect(exited.exitCode).not.toBe(0)
        expect(exited.finishedAt).toBeGreaterThanOrEqual(running.startedAt ?? 0)
        yield* runtime.stopContainer(id, 1)
        yield* runtime.removeContainer(id)
        yield* runtime.removeContainer(id)
        expect(ids(yield* runtime.listContainers)).not.toContain(id)
        const missing = yield* Effect.flip(inspect(id))
        expect(missing._tag).toBe("RuntimeNotFound")
      })
    )

    test(
      "unknown ids: NotFound for create, start and inspect; stop and remove succeed",
      Effect.gen(function* () {
        const runtime = yield* ContainerRuntime
        yield* ensureImage
        const pod = podRef()
        const noSandbox = yield* Effect.flip(runtime.createContainer(containerConfig(pod, "no-such-sandbox", "main")))
        expect(noSandbox._tag).toBe("RuntimeNotFound")
        expect((yield* Effect.flip(runtime.startContainer("no-such-container")))._tag).toBe("RuntimeNotFound")
        expect((yield* Effect.flip(runtime.inspectContainer("no-such-container")))._tag).toBe("RuntimeNotFound")
        yield* runtime.stopContainer("no-such-container", 0)
        yield* runtime.removeContainer("no-such-container")
        yield* runtime.stopSandbox("no-such-sandbox")
        yield* runtime.removeSandbox("no-such-sandbox")
      })
    )

    test(
      "a container that ends by itself reports its exit code and reason",
      Effect.gen(function* () {
        const pod = podRef()
        const ok = yield* started(pod, "ok", { exitCode: 0 })
        const failed = yield* started(podRef(), "failed", { exitCode: 3 })
        const okInfo: ContainerInfo = yield* exitedInfo(ok.id)
        expect(okInfo).toMatchObject({ exitCode: 0, reason: "Completed" })
        const failedInfo = yield* exitedInfo(failed.id)
        expect(failedInfo).toMatchObject({ exitCode: 3, reason: "Error" })
        expect(failedInfo.finishedAt).toBeGreaterThanOrEqual(failedInfo.startedAt ?? 0)
      })
    )

    test(
      "stopping a sandbox kills its containers; removing it removes them",
      Effect.gen(function* () {
        const runtime = yield* ContainerRuntime
        const pod = podRef()
        const { id, sandbox: sb } = yield* started(pod, "main")
        yield* runtime.stopSandbox(sb.id)
        expect((yield* inspect(id)).state).toBe("Exited")
        yield* runtime.removeSandbox(sb.id)
        expect(ids(yield* runtime.listContainers)).not.toContain(id)
      })
    )

    test(
      "removing a running container stops it first",
      Effect.gen(function* () {
        const runtime = yield* ContainerRuntime
        const { id } = yield* started(podRef(), "main")
        yield* runtime.removeContainer(id)
        expect(ids(yield* runtime.listContainers)).not.toContain(id)
      })
    )

    test(
      "events: started, exited, removed, in that order, then the sandbox's removal",
      Effect.gen(function* () {
        const runtime = yield* ContainerRuntime
        yield* ensureImage
        const pod = podRef()
        const collected = yield* Effect.fork(
          runtime.events.pipe(
            Stream.filter((event) => event.podUid === pod.uid),
            Stream.takeUntil((event) => event.type === "SandboxRemoved"),
            Stream.runCollect
          )
        )
        yield* settle
        const sb = yield* sandbox(pod)
        const id = yield* runtime.createContainer(containerConfig(pod, sb.id, "main"))
        yield* runtime.startContainer(id)
        yield* runtime.stopContainer(id, 1)
        yield* runtime.removeContainer(id)
        yield* runtime.removeSandbox(sb.id)
        const events = Chunk.toReadonlyArray(yield* Fiber.join(collected))
        expect(events.map((event) => [event.type, event.id])).toEqual([
          ["ContainerStarted", id],
          ["ContainerExited", id],
          ["ContainerRemoved", id],
          ["SandboxRemoved", sb.id]
        ])
      })
    )

    test(
      "logs of an exited container end when not following, and when following",
      Effect.gen(function* () {
        const runtime = yield* ContainerRuntime
        const { id } = yield* started(podRef(), "main", { exitCode: 0 })
        yield* exitedInfo(id)
        yield* Stream.runCollect(runtime.logs(id, { follow: false }))
        yield* Stream.runCollect(runtime.logs(id, { follow: true }))
        yield* Stream.runCollect(runtime.logs(id, { follow: false, tailLines: 1 }))
        const missing = yield* Effect.flip(Stream.runCollect(runtime.logs("no-such-container", { follow: false })))
        expect(missing._tag).toBe("RuntimeNotFound")
      })
    )

    test(
      "a followed log ends when its container exits",
      Effect.gen(function* () {
        const runtime = yield* ContainerRuntime
        const { id } = yield* started(podRef(), "main")
        const following = yield* Effect.fork(Stream.runCollect(runtime.logs(id, { follow: true })))
        yield* settle
        yield* runtime.stopContainer(id, 1)
        yield* eventually(
          Effect.flatMap(Fiber.poll(following), (done) => (done._tag === "Some" ? Effect.void : Effect.fail("open")))
        )
      })
    )

    test(
      "a probe of a running container answers; of an exited one fails",
      Effect.gen(function* () {
        const runtime = yield* ContainerRuntime
        const { id } = yield* started(podRef(), "main")
        const action = { _tag: "Exec", command: ["true"] } as const
        expect(["Success", "Failure"]).toContain((yield* runtime.probe(id, action, 1)).result)
        yield* runtime.stopContainer(id, 1)
        expect((yield* runtime.probe(id, action, 1)).result).toBe("Failure")
      })
    )
  })
