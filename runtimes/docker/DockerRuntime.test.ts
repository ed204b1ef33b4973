import { afterAll, describe, expect, it } from "@effect/vitest"
import Docker from "dockerode"
import { PassThrough } from "node:stream"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as Schedule from "effect/Schedule"
import type { ContainerConfig, ContainerRuntime, PodRef } from "../../core/runtime/ContainerRuntime.js"
import { testRuntime } from "../../core/runtime/RuntimeSuite.js"
import { dockerPresent, dockerSocket, testImage } from "../e2e.js"
import * as DockerRuntime from "./DockerRuntime.js"
import { chunks } from "./engine.js"
import { runtimeEventOf } from "./events.js"
import {
  attemptLabel,
  containerNameLabel,
  nodeLabel,
  podNameLabel,
  podNamespaceLabel,
  podUidLabel,
  sandboxIdLabel,
  typeLabel
} from "./labels.js"
import { demultiplexedLines } from "./logs.js"
import { containerInfoOf, timeOf } from "./status.js"
import { serveImage } from "./testRegistry.js"

const present = await dockerPresent("DockerRuntime tests")
const docker = new Docker({ socketPath: dockerSocket })
// Unique per run, so leftovers of this run are found (and removed) by their node label alone.
const node = `docker-test-${process.pid}-${Date.now().toString(36)}`
const otherNode = `${node}-other`
// No registry is reachable: pulls are served by one on 127.0.0.1, from the local test image.
const registry = present ? await serveImage(docker, testImage, "minik8s-test/busybox", "1.36") : undefined

const runtimeOf = (nodeName: string) =>
  DockerRuntime.make({ nodeName, socketPath: dockerSocket, podInfraImage: testImage })
const layerOf = (nodeName: string) =>
  DockerRuntime.layer({ nodeName, socketPath: dockerSocket, podInfraImage: testImage })

let pods = 0
const podRef = (): PodRef => {
  pods++
  return { uid: `docker-uid-${pods}`, namespace: "default", name: `docker-pod-${pods}` }
}

const containerConfig = (
  pod: PodRef,
  sandboxId: string,
  overrides: Partial<ContainerConfig> = {}
): ContainerConfig => ({
  pod,
  sandboxId,
  name: "main",
  image: testImage,
  command: ["sh", "-c"],
  args: ["sleep 3600"],
  env: {},
  requests: {},
  limits: {},
  attempt: 0,
  podAnnotations: {},
  init: false,
  ...overrides
})

type Runtime = ContainerRuntime["Type"]

/** Retries `check` every 100 ms, for 15 s at most. */
const eventually = <A, E>(check: Effect.Effect<A, E>) =>
  Effect.retry(check, Schedule.intersect(Schedule.spaced("100 millis"), Schedule.recurs(150)))

const exitedInfo = (runtime: Runtime, id: string) =>
  eventually(
    Effect.flatMap(runtime.inspectContainer(id), (info) =>
      info.state === "Exited" ? Effect.succeed(info) : Effect.fail(`container ${id} is ${info.state}`)
    )
  )

/** A sandbox for a fresh pod, and a container in it (started unless `start` is false). */
const started = (runtime: Runtime, overrides: Partial<ContainerConfig> = {}, start = true) =>
  Effect.gen(function* () {
    const pod = podRef()
    const sandbox = yield* runtime.runSandbox({ pod, attempt: 0, hostname: pod.name, labels: {}, annotations: {} })
    const id = yield* runtime.createContainer(containerConfig(pod, sandbox.id, overrides))
    if (start) yield* runtime.startContainer(id)
    return { pod, sandbox, id }
  })

const inspectRaw = (id: string) => Effect.promise(() => docker.getContainer(id).inspect())
const collect = <A, E>(stream: Stream.Stream<A, E>) =>
  Effect.map(Effect.timeout(Stream.runCollect(stream), "20 seconds"), Chunk.toReadonlyArray)
const elapsed = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const start = Date.now()
    const result = yield* effect
    return { result, millis: Date.now() - start }
  })

describe.skipIf(!present)("DockerRuntime", () => {
  afterAll(async () => {
    for (const nodeName of [node, otherNode]) {
      const leftovers = await docker.listContainers({ all: true, filters: { label: [`${nodeLabel}=${nodeName}`] } })
      await Promise.all(leftovers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })))
    }
    if (registry !== undefined) {
      // Only the served tag goes; the image itself stays under its other names.
      await docker
        .getImage(registry.image)
        .remove()
        .catch(() => undefined)
      await registry.close()
    }
  })

  testRuntime("Docker", layerOf(node), { live: true, image: registry?.image ?? testImage })

  describe("on a real engine", () => {
    const runtime = runtimeOf(node)

    it.live(
      "labels its containers so that a new instance for the node re-adopts them, and another node sees none",
      () =>
        Effect.gen(function* () {
          const { pod, sandbox, id } = yield* started(runtime, { name: "web", attempt: 2 })
          const raw = yield* inspectRaw(id)
          expect(raw.Config.Labels).toMatchObject({
            [nodeLabel]: node,
            [podUidLabel]: pod.uid,
            [podNamespaceLabel]: pod.namespace,
            [podNameLabel]: pod.name,
            [typeLabel]: "container",
            [containerNameLabel]: "web",
            [attemptLabel]: "2",
            [sandboxIdLabel]: sandbox.id
          })
          expect(raw.Name).toBe(`/minik8s_${node}_default_${pod.name}_web_2_${pod.uid}`)
          expect(raw.HostConfig.NetworkMode).toBe(`container:${sandbox.id}`)
          const rawSandbox = yield* inspectRaw(sandbox.id)
          expect(rawSandbox.Config.Labels).toMatchObject({ [nodeLabel]: node, [typeLabel]: "sandbox" })
          expect(rawSandbox.Config.Hostname).toBe(pod.name)

          const restarted = runtimeOf(node)
          expect((yield* restarted.listSandboxes).find((s) => s.id === sandbox.id)).toEqual(sandbox)
          expect((yield* restarted.listContainers).find((c) => c.id === id)).toEqual(
            yield* runtime.inspectContainer(id)
          )

          const other = runtimeOf(otherNode)
          expect(yield* other.listSandboxes).toEqual([])
          expect(yield* other.listContainers).toEqual([])
          expect((yield* Effect.flip(other.inspectContainer(id)))._tag).toBe("RuntimeNotFound")
          expect((yield* Effect.flip(other.createContainer(containerConfig(pod, sandbox.id))))._tag).toBe(
            "RuntimeNotFound"
          )
          yield* other.stopContainer(id, 0)
          yield* other.removeContainer(id)
          yield* other.stopSandbox(sandbox.id)
          yield* other.removeSandbox(sandbox.id)
          expect((yield* runtime.inspectContainer(id)).state).toBe("Running")
          expect((yield* runtime.listSandboxes).find((s) => s.id === sandbox.id)?.state).toBe("Ready")
          yield* runtime.removeSandbox(sandbox.id)
          expect((yield* restarted.listContainers).map((c) => c.id)).not.toContain(id)
        })
    )

    it.live("runs args over the image's command with env and working dir, in the pod's network and hostname", () =>
      Effect.gen(function* () {
        const { pod, id } = yield* started(runtime, {
          command: [],
          args: ["sh", "-c", "echo $GREETING; pwd; hostname; exit 3"],
          env: { GREETING: "hello" },
          workingDir: "/tmp"
        })
        const info = yield* exitedInfo(runtime, id)
        expect(info).toMatchObject({ state: "Exited", exitCode: 3, reason: "Error" })
        expect(info.finishedAt).toBeGreaterThanOrEqual(info.startedAt ?? Infinity)
        expect(yield* collect(runtime.logs(id, { follow: false }))).toEqual(["hello", "/tmp", pod.name])
      })
    )

    it.live("limits land in HostConfig: NanoCpus, Memory without swap, CpuShares from the request", () =>
      Effect.gen(function* () {
        const { id } = yield* started(
          runtime,
          { requests: { cpu: "250m" }, limits: { cpu: "500m", memory: "64Mi" } },
          false
        )
        const { HostConfig } = yield* inspectRaw(id)
        expect(HostConfig).toMatchObject({
          NanoCpus: 500_000_000,
          Memory: 64 * 1024 * 1024,
          MemorySwap: 64 * 1024 * 1024,
          CpuShares: 256
        })
        const bad = yield* Effect.flip(started(runtime, { limits: { memory: "lots" } }, false))
        expect(bad.message).toContain("limits.memory")
      })
    )

    it.live("a container over its memory limit is OOMKilled", () =>
      Effect.gen(function* () {
        const { id } = yield* started(runtime, {
          args: [`x=$(head -c 200m /dev/zero | tr "\\0" a)`],
          limits: { memory: "16Mi" }
        })
        expect(yield* exitedInfo(runtime, id)).toMatchObject({ exitCode: 137, reason: "OOMKilled" })
      })
    )

    it.live("a container that cannot start is Exited with ContainerCannotRun and Docker's message", () =>
      Effect.gen(function* () {
        const { id } = yield* started(runtime, { command: ["/no/such/program"], args: [] }, false)
        const failed = yield* Effect.flip(runtime.startContainer(id))
        expect(failed._tag).toBe("RuntimeError")
        const info = yield* runtime.inspectContainer(id)
        expect(info).toMatchObject({ state: "Exited", reason: "ContainerCannotRun" })
        expect(info.message).toContain("/no/such/program")
        expect(info.exitCode).not.toBe(0)
      })
    )

    it.live("stopping waits out the grace period for a container that ignores SIGTERM, then kills it", () =>
      Effect.gen(function* () {
        const { id } = yield* started(runtime)
        const { millis } = yield* elapsed(runtime.stopContainer(id, 2))
        expect(millis).toBeGreaterThanOrEqual(1_900)
        expect(yield* runtime.inspectContainer(id)).toMatchObject({ state: "Exited", exitCode: 137, reason: "Error" })
      })
    )

    it.live("logs: stdout and stderr, the last lines, and following until the container exits", () =>
      Effect.gen(function* () {
        const { id } = yield* started(runtime, { args: ["echo one; echo two >&2; sleep 1; echo three"] })
        const followed = yield* collect(runtime.logs(id, { follow: true }))
        expect([...followed].sort()).toEqual(["one", "three", "two"])
        expect(followed[2]).toBe("three")
        yield* exitedInfo(runtime, id)
        expect(yield* collect(runtime.logs(id, { follow: false, tailLines: 1 }))).toEqual(["three"])
        expect(yield* collect(runtime.logs(id, { follow: false, tailLines: 0 }))).toEqual([])
        expect(yield* collect(runtime.logs(id, { follow: false }))).toHaveLength(3)
      })
    )

    it.live("exec probes: exit 0 succeeds, another code fails with the output, a slow command times out", () =>
      Effect.gen(function* () {
        const { id } = yield* started(runtime)
        expect(yield* runtime.probe(id, { _tag: "Exec", command: ["true"] }, 1)).toEqual({ result: "Success" })
        expect(yield* runtime.probe(id, { _tag: "Exec", command: ["sh", "-c", "echo unhealthy; exit 1"] }, 1)).toEqual({
          result: "Failure",
          message: "unhealthy"
        })
        const { result, millis } = yield* elapsed(runtime.probe(id, { _tag: "Exec", command: ["sleep", "10"] }, 1))
        expect(result.result).toBe("Failure")
        expect(result.message).toContain("timed out")
        expect(millis).toBeLessThan(3_000)
      })
    )

    it.live("HTTP and TCP probes reach the pod IP", () =>
      Effect.gen(function* () {
        const { id } = yield* started(runtime, {
          args: ["mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www"]
        })
        const httpGet = (path: string) =>
          runtime.probe(id, { _tag: "HttpGet", scheme: "HTTP", port: 8080, path, headers: [] }, 1)
        expect(yield* eventually(Effect.filterOrFail(httpGet("/"), (r) => r.result === "Success"))).toEqual({
          result: "Success"
        })
        expect(yield* httpGet("/missing")).toEqual({
          result: "Failure",
          message: "HTTP probe failed with statuscode: 404"
        })
        expect(yield* runtime.probe(id, { _tag: "TcpSocket", port: 8080 }, 1)).toEqual({ result: "Success" })
        const closed = yield* runtime.probe(id, { _tag: "TcpSocket", port: 8081 }, 1)
        expect(closed.result).toBe("Failure")
        expect(closed.message).toMatch(/^dial tcp [\d.]+:8081: /)
      })
    )

    it.live("pulling an image no registry has fails with ImagePullError, promptly", () =>
      Effect.gen(function* () {
        const missing = `${registry?.image.split("/")[0] ?? "127.0.0.1:1"}/minik8s-test/no-such-image:1`
        const { result, millis } = yield* elapsed(Effect.flip(runtime.pullImage(missing)))
        expect(result).toMatchObject({ _tag: "ImagePullError", image: missing })
        expect(result.message.length).toBeGreaterThan(0)
        expect(millis).toBeLessThan(10_000)
        expect(yield* runtime.hasImage(missing)).toBe(false)
      })
    )

    it.live("reports the engine's version; an unreachable engine is a RuntimeError saying so", () =>
      Effect.gen(function* () {
        expect(yield* runtime.version).toMatch(/^docker:\/\/\d+\./)
        const unreachable = DockerRuntime.make({ nodeName: node, socketPath: "/nonexistent/docker.sock" })
        const failed = yield* Effect.flip(unreachable.version)
        expect(failed._tag).toBe("RuntimeError")
        expect(failed.message).toContain("cannot reach the Docker engine at /nonexistent/docker.sock")
        expect((yield* Effect.flip(unreachable.listContainers))._tag).toBe("RuntimeError")
      })
    )

    it.live("an events stream stops at once when interrupted", () =>
      Effect.gen(function* () {
        const watching = yield* Effect.fork(Stream.runDrain(runtime.events))
        yield* Effect.sleep("200 millis")
        yield* Fiber.interrupt(watching)
      }).pipe(Effect.timeout("5 seconds"))
    )
  })
})

describe("without an engine", () => {
  const frame = (stream: 1 | 2, text: string) => {
    const payload = Buffer.from(text)
    const header = Buffer.alloc(8)
    header[0] = stream
    header.writeUInt32BE(payload.length, 4)
    return Buffer.concat([header, payload])
  }

  it.effect("demultiplexes frames cut anywhere into lines, each stream keeping its own unfinished line", () =>
    Effect.gen(function* () {
      const raw = Buffer.concat([frame(1, "one\ntw"), frame(2, "err"), frame(1, "o\n"), frame(2, "or\nlast")])
      const pieces = [raw.subarray(0, 3), raw.subarray(3, 17), raw.subarray(17)]
      const lines = yield* Stream.runCollect(demultiplexedLines(Stream.fromIterable(pieces)))
      expect(Chunk.toReadonlyArray(lines)).toEqual(["one", "two", "error", "last"])
    })
  )

  it("maps Docker events of a node's containers to RuntimeEvents", () => {
    const event = (Action: string, type: string) => ({
      Type: "container",
      Action,
      Actor: { ID: "abc", Attributes: { [podUidLabel]: "uid-1", [typeLabel]: type } }
    })
    expect(runtimeEventOf(event("start", "container"))).toEqual({
      type: "ContainerStarted",
      podUid: "uid-1",
      id: "abc"
    })
    expect(runtimeEventOf(event("die", "container"))?.type).toBe("ContainerExited")
    expect(runtimeEventOf(event("destroy", "container"))?.type).toBe("ContainerRemoved")
    expect(runtimeEventOf(event("destroy", "sandbox"))?.type).toBe("SandboxRemoved")
    expect(runtimeEventOf(event("die", "sandbox"))).toBeUndefined()
    expect(runtimeEventOf({ Type: "container", Action: "start", Actor: { ID: "abc", Attributes: {} } })).toBeUndefined()
  })

  it("reads Docker's zero time as absent and nanosecond timestamps to the millisecond", () => {
    expect(timeOf("0001-01-01T00:00:00Z")).toBeUndefined()
    expect(timeOf("2024-05-01T10:00:00.123456789Z")).toBe(Date.UTC(2024, 4, 1, 10, 0, 0, 123))
  })

  it("never reports a container finished before it started, as Docker may for one that exits at once", () => {
    const inspected = (startedAt: string, finishedAt: string) =>
      containerInfoOf({
        Id: "c1",
        Image: "sha256:1",
        Created: "2024-05-01T10:00:00.000Z",
        Config: { Image: "busybox:1.36", Labels: {} },
        State: {
          Running: false,
          Status: "exited",
          ExitCode: 3,
          Error: "",
          OOMKilled: false,
          StartedAt: startedAt,
          FinishedAt: finishedAt
        }
      } as unknown as Docker.ContainerInspectInfo)
    const early = inspected("2024-05-01T10:00:01.504000001Z", "2024-05-01T10:00:01.503999999Z")
    expect([early.startedAt, early.finishedAt]).toEqual([
      Date.UTC(2024, 4, 1, 10, 0, 1, 504),
      Date.UTC(2024, 4, 1, 10, 0, 1, 504)
    ])
    const normal = inspected("2024-05-01T10:00:01.504Z", "2024-05-01T10:00:02.250Z")
    expect(normal.finishedAt).toBe(Date.UTC(2024, 4, 1, 10, 0, 2, 250))
  })

  it.live("interrupting a response body's Stream destroys the body, closing its connection", () =>
    Effect.gen(function* () {
      const body = new PassThrough()
      const reading = yield* Effect.fork(Stream.runDrain(chunks(body, String)))
      body.write("some")
      yield* Effect.sleep("10 millis")
      yield* Fiber.interrupt(reading)
      expect(body.destroyed).toBe(true)
    })
  )
})
