import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import { Events } from "../api/Event.js"
import type { Container, Pod } from "../api/Pod.js"
import { Pods } from "../api/Pod.js"
import { Client } from "../client/Client.js"
import { ContainerRuntime } from "../runtime/ContainerRuntime.js"
import * as MemoryRuntime from "../runtime/MemoryRuntime.js"
import * as TestCluster from "../testing/TestCluster.js"
import * as Kubelet from "./Kubelet.js"

const nodeName = "node-1"
const options: Kubelet.KubeletOptions = { nodeName, capacity: { cpu: "2", memory: "4Gi", pods: "110" } }

const pod = (
  name: string,
  spec: Partial<NonNullable<Pod["spec"]>> = {},
  annotations: Record<string, string> = {}
): Pod =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", annotations },
    spec: { nodeName, containers: [{ name: "main", image: "nginx:1.27" }], ...spec }
  }) as Pod

const container = (name: string, extra: Partial<Container> = {}): Container => ({ name, image: "nginx:1.27", ...extra })

/** A fresh cluster, a MemoryRuntime for the node and a kubelet over it, all on the test's TestClock. */
const withKubelet = <A, E>(
  body: (runtime: MemoryRuntime.MemoryRuntime) => Effect.Effect<A, E, Client | Scope.Scope>,
  runtimeOptions: MemoryRuntime.MemoryRuntimeOptions = {}
) =>
  Effect.gen(function* () {
    const runtime = yield* MemoryRuntime.make({ nodeName, images: ["nginx:1.27", "busybox:1.36"], ...runtimeOptions })
    yield* Kubelet.make(options).pipe(Effect.provideService(ContainerRuntime, runtime))
    return yield* body(runtime)
  }).pipe(Effect.scoped, Effect.provide(TestCluster.layer()), TestCluster.seeded())

const create = (p: Pod) => Effect.flatMap(Client, (client) => client.create(Pods, p))
const get = (name: string) => Effect.flatMap(Client, (client) => client.get(Pods, name, { namespace: "default" }))
const condition = (p: Pod, type: string) => p.status?.conditions?.find((c) => c.type === type)
const statusOf = (p: Pod, name: string) =>
  [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].find((s) => s.name === name)

/** The pod, once `check` holds for it (moving the TestClock meanwhile). */
const until = (name: string, check: (p: Pod) => void, timeout: Duration.DurationInput = "60 seconds") =>
  TestCluster.eventually(
    Effect.tap(get(name), (p) => Effect.sync(() => check(p))),
    { timeout, step: "1 second" }
  )

const running = (name: string) => until(name, (p) => expect(p.status?.phase).toBe("Running"))

/** The runtime's instances of a pod's container, newest first. */
const instances = (runtime: MemoryRuntime.MemoryRuntime, p: Pod, name: string) =>
  Effect.map(runtime.listContainers, (all) =>
    all.filter((c) => c.pod.uid === p.metadata.uid && c.name === name).sort((a, b) => b.attempt - a.attempt)
  )

const eventReasons = (p: Pod) =>
  Effect.flatMap(Client, (client) =>
    Effect.map(client.list(Events, { namespace: "default" }), (list) =>
      list.items.filter((e) => e.involvedObject?.uid === p.metadata.uid).map((e) => `${e.reason}: ${e.message}`)
    )
  )

describe("Kubelet", () => {
  it.effect("runs a pod: Pending, then Running and Ready with container statuses, IPs and Events", () =>
    withKubelet(() =>
      Effect.gen(function* () {
        const created = yield* create(pod("web"))
        expect(created.status?.phase).toBe("Pending")
        const p = yield* until("web", (p) => expect(condition(p, "Ready")?.status).toBe("True"))
        expect(p.status).toMatchObject({
          phase: "Running",
          podIP: "10.244.0.2",
          podIPs: [{ ip: "10.244.0.2" }],
          qosClass: "BestEffort"
        })
        expect(p.status?.hostIP).toMatch(/^10\./)
        expect(p.status?.startTime).toBeDefined()
        expect(p.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual([
          "PodReadyToStartContainers=True",
          "Initialized=True",
          "Ready=True",
          "ContainersReady=True",
          "PodScheduled=True"
        ])
        expect(statusOf(p, "main")).toMatchObject({
          name: "main",
          ready: true,
          started: true,
          restartCount: 0,
          image: "nginx:1.27",
          state: { running: { startedAt: "1970-01-01T00:00:00Z" } },
          lastState: {}
        })
        expect(statusOf(p, "main")?.containerID).toMatch(/^memory:\/\//)
        expect(statusOf(p, "main")?.imageID).toMatch(/^sha256:/)
        yield* TestCluster.eventually(
          Effect.map(eventReasons(p), (events) =>
            expect([...events].sort()).toEqual([
              "Created: Created container: main",
              'Pulled: Container image "nginx:1.27" already present on machine',
              "Started: Started container main"
            ])
          )
        )
      })
    )
  )

  it.effect("runs init containers one at a time, in order, before the app containers", () =>
    withKubelet((runtime) =>
      Effect.gen(function* () {
        const p = yield* create(pod("web", { initContainers: [container("init-a"), container("init-b")] }))
        const initA = yield* until("web", (p) => expect(statusOf(p, "init-a")?.state?.running).toBeDefined())
        expect(initA.status?.phase).toBe("Pending")
        expect(condition(initA, "Initialized")).toMatchObject({
          status: "False",
          reason: "ContainersNotInitialized",
          message: "containers with incomplete status: [init-a init-b]"
        })
        expect(statusOf(initA, "init-b")?.state?.waiting?.reason).toBe("PodInitializing")
        expect(statusOf(initA, "main")?.state?.waiting?.reason).toBe("PodInitializing")
        expect((yield* runtime.listContainers).map((c) => c.name)).toEqual(["init-a"])

        yield* runtime.exit((yield* instances(runtime, p, "init-a"))[0].id, 0)
        yield* until("web", (p) => expect(statusOf(p, "init-b")?.state?.running).toBeDefined())
        expect((yield* instances(runtime, p, "main")).length).toBe(0)

        yield* runtime.exit((yield* instances(runtime, p, "init-b"))[0].id, 0)
        const done = yield* until("web", (p) => expect(condition(p, "Ready")?.status).toBe("True"))
        expect(condition(done, "Initialized")?.status).toBe("True")
        expect(statusOf(done, "init-a")?.state?.terminated).toMatchObject({ exitCode: 0, reason: "Completed" })
        expect(statusOf(done, "init-b")?.state?.terminated).toMatchObject({ exitCode: 0, reason: "Completed" })
      })
    )
  )

  it.effect("an init container that fails with restartPolicy Never fails the pod", () =>
    withKubelet((runtime) =>
      Effect.gen(function* () {
        const p = yield* create(pod("job", { restartPolicy: "Never", initContainers: [container("init")] }))
        yield* until("job", (p) => expect(statusOf(p, "init")?.state?.running).toBeDefined())
        yield* runtime.crash((yield* instances(runtime, p, "init"))[0].id, 2)
        const failed = yield* until("job", (p) => expect(p.status?.phase).toBe("Failed"))
        expect(statusOf(failed, "init")?.state?.terminated?.exitCode).toBe(2)
        expect((yield* instances(runtime, p, "main")).length).toBe(0)
      })
    )
  )

  it.effect("restarts a crashing container with CrashLoopBackOff: at once, then after 10 s, 20 s, 40 s", () =>
    withKubelet((runtime) =>
      Effect.gen(function* () {
        const p = yield* create(pod("crash"))
        yield* running("crash")
        const delays: Array<number> = []
        for (let restart = 1; restart <= 4; restart++) {
          const [current] = yield* instances(runtime, p, "main")
          const crashedAt = yield* Clock.currentTimeMillis
          yield* runtime.crash(current.id, 1)
          const next = yield* TestCluster.eventually(
            Effect.flatMap(instances(runtime, p, "main"), ([latest]) =>
              latest.attempt === restart && latest.state === "Running"
                ? Effect.succeed(latest)
                : Effect.fail("not restarted yet")
            ),
            { timeout: "2 minutes", step: "1 second" }
          )
          delays.push(((next.startedAt ?? 0) - crashedAt) / 1000)
        }
        expect(delays).toEqual([0, 10, 20, 40])
        const p4 = yield* until("crash", (p) => expect(statusOf(p, "main")?.restartCount).toBe(4))
        expect(statusOf(p4, "main")?.lastState?.terminated).toMatchObject({ exitCode: 1, reason: "Error" })
        // Only the newest exited instance is kept besides the running one.
        expect((yield* instances(runtime, p, "main")).length).toBe(2)
        yield* runtime.crash((yield* instances(runtime, p, "main"))[0].id, 1)
        const waiting = yield* until("crash", (p) =>
          expect(statusOf(p, "main")?.state?.waiting?.reason).toBe("CrashLoopBackOff")
        )
        expect(waiting.status?.phase).toBe("Running")
        expect(statusOf(waiting, "main")?.state?.waiting?.message).toMatch(
          /^back-off 1m20s restarting failed container=main pod=crash_default\(/
        )
        expect(statusOf(waiting, "main")?.lastState?.terminated?.exitCode).toBe(1)
        expect(condition(waiting, "Ready")?.status).toBe("False")
      })
    )
  )

  it.effect("a running pod with nothing to do is not synced again until something about it changes", () =>
    Effect.gen(function* () {
      const runtime = yield* MemoryRuntime.make({ nodeName, images: ["nginx:1.27"] })
      let syncs = 0
      const counted = {
        ...runtime,
        listPod: (uid: string) =>
          Effect.zipRight(
            Effect.sync(() => syncs++),
            runtime.listPod(uid)
          )
      }
      yield* Kubelet.make(options).pipe(Effect.provideService(ContainerRuntime, counted))
      const p = yield* create(pod("quiet"))
      yield* until("quiet", (p) => expect(condition(p, "Ready")?.status).toBe("True"))
      yield* TestClock.adjust("10 seconds")
      const settled = syncs
      // Five periodic resyncs' worth of time: each would find the same, so none runs.
      yield* TestClock.adjust("5 minutes")
      expect(syncs).toBe(settled)
      // A change still syncs the pod at once: the container's exit restarts it.
      yield* runtime.crash((yield* instances(runtime, p, "main"))[0].id, 1)
      yield* until("quiet", (p) => expect(statusOf(p, "main")?.restartCount).toBe(1))
      expect(syncs).toBeGreaterThan(settled)
    }).pipe(Effect.scoped, Effect.provide(TestCluster.layer()), TestCluster.seeded())
  )

  it.effect("restartPolicy Never: a failed container fails the pod, and it is not restarted", () =>
    withKubelet((runtime) =>
      Effect.gen(function* () {
        const p = yield* create(pod("once", { restartPolicy: "Never" }))
        yield* running("once")
        yield* runtime.crash((yield* instances(runtime, p, "main"))[0].id, 3)
        const failed = yield* until("once", (p) => expect(p.status?.phase).toBe("Failed"))
        expect(statusOf(failed, "main")?.state?.terminated).toMatchObject({ exitCode: 3, reason: "Error" })
        expect(condition(failed, "Ready")).toMatchObject({ status: "False", reason: "ContainersNotReady" })
        yield* TestClock.adjust(Duration.minutes(1))
        yield* TestCluster.settle
        expect((yield* instances(runtime, p, "main")).length).toBe(1)
        expect((yield* runtime.listSandboxes).map((s) => s.state)).toEqual(["NotReady"])
      })
    )
  )

  it.effect("restartPolicy OnFailure: a zero exit completes the pod (Succeeded)", () =>
    withKubelet((runtime) =>
      Effect.gen(function* () {
        const p = yield* create(pod("task", { restartPolicy: "OnFailure" }))
        yield* running("task")
        yield* runtime.exit((yield* instances(runtime, p, "main"))[0].id, 0)
        const done = yield* until("task", (p) => expect(p.status?.phase).toBe("Succeeded"))
        expect(condition(done, "Ready")).toMatchObject({ status: "False", reason: "PodCompleted" })
        expect(condition(done, "Initialized")).toMatchObject({ status: "True", reason: "PodCompleted" })
      })
    )
  )

  it.effect("a container run for a while by the runtime completes the pod", () =>
    withKubelet(() =>
      Effect.gen(function* () {
        yield* create(pod("batch", { restartPolicy: "Never" }, { [MemoryRuntime.runForAnnotation]: "90s" }))
        yield* running("batch")
        yield* TestClock.adjust(Duration.seconds(89))
        yield* TestCluster.settle
        expect((yield* get("batch")).status?.phase).toBe("Running")
        const done = yield* until("batch", (p) => expect(p.status?.phase).toBe("Succeeded"), "10 seconds")
        expect(statusOf(done, "main")?.state?.terminated).toMatchObject({ exitCode: 0, reason: "Completed" })
      })
    )
  )

  it.effect("readiness failures make the pod not Ready; liveness failures restart the container", () =>
    withKubelet((runtime) =>
      Effect.gen(function* () {
        const probed = container("main", {
          readinessProbe: { httpGet: { path: "/ready", port: 80 }, periodSeconds: 5, failureThreshold: 2 },
          livenessProbe: { tcpSocket: { port: 80 }, periodSeconds: 10, failureThreshold: 3 }
        })
        const p = yield* create(pod("probed", { containers: [probed] }))
        yield* until("probed", (p) => expect(condition(p, "Ready")?.status).toBe("True"))

        yield* runtime.setProbeResults((_, action) => (action._tag === "HttpGet" ? "Failure" : "Success"))
        const unready = yield* until("probed", (p) => expect(condition(p, "Ready")?.status).toBe("False"))
        expect(condition(unready, "Ready")).toMatchObject({
          reason: "ContainersNotReady",
          message: "containers with unready status: [main]"
        })
        expect(statusOf(unready, "main")).toMatchObject({ ready: false, restartCount: 0 })
        yield* runtime.setProbeResults(() => "Success")
        yield* until("probed", (p) => expect(condition(p, "Ready")?.status).toBe("True"))

        yield* runtime.setProbeResults((_, action) => (action._tag === "TcpSocket" ? "Failure" : "Success"))
        const restarted = yield* until("probed", (p) => expect(statusOf(p, "main")?.restartCount).toBe(1))
        expect(statusOf(restarted, "main")?.lastState?.terminated?.exitCode).toBe(143)
        yield* runtime.setProbeResults(() => "Success")
        yield* until("probed", (p) => expect(condition(p, "Ready")?.status).toBe("True"))
        const events = yield* eventReasons(p)
        expect(events).toContain("Unhealthy: Readiness probe failed: probe of main failed")
        expect(events).toContain("Unhealthy: Liveness probe failed: probe of main failed")
        expect(events).toContain("Killing: Container main failed liveness probe, will be restarted")
        expect((yield* instances(runtime, p, "main"))[0].state).toBe("Running")
      })
    )
  )

  it.effect("graceful deletion waits for a container that ignores SIGTERM up to the grace period", () =>
    withKubelet((runtime) =>
      Effect.gen(function* () {
        const client = yield* Client
        const p = yield* create(
          pod("slow", { terminationGracePeriodSeconds: 30 }, { [MemoryRuntime.ignoreSigtermAnnotation]: "true" })
        )
        yield* running("slow")
        yield* client.delete(Pods, "slow", { namespace: "default" })
        yield* TestCluster.settle
        yield* TestClock.adjust(Duration.seconds(29))
        yield* TestCluster.settle
        const lingering = yield* get("slow")
        expect(lingering.metadata.deletionTimestamp).toBeDefined()
        expect((yield* instances(runtime, p, "main"))[0].state).toBe("Running")
        yield* TestClock.adjust(Duration.seconds(1))
        yield* TestCluster.eventually(
          Effect.map(Effect.flip(get("slow")), (error) => expect(error._tag).toBe("NotFound"))
        )
        expect(yield* runtime.listContainers).toEqual([])
        expect(yield* runtime.listSandboxes).toEqual([])
        expect(yield* eventReasons(p)).toContain("Killing: Stopping container main")
      })
    )
  )

  it.effect("a second deletion with a shorter grace period cuts the termination under way short", () =>
    withKubelet((runtime) =>
      Effect.gen(function* () {
        const client = yield* Client
        yield* create(
          pod("slow", { terminationGracePeriodSeconds: 30 }, { [MemoryRuntime.ignoreSigtermAnnotation]: "true" })
        )
        yield* running("slow")
        yield* client.delete(Pods, "slow", { namespace: "default" })
        yield* TestCluster.settle
        yield* TestClock.adjust(Duration.seconds(5))
        yield* client.delete(Pods, "slow", { namespace: "default", gracePeriodSeconds: 2 })
        expect((yield* get("slow")).metadata.deletionGracePeriodSeconds).toBe(2)
        yield* TestCluster.settle
        yield* TestClock.adjust(Duration.seconds(3))
        yield* TestCluster.settle
        const after = yield* Effect.either(get("slow"))
        expect(after._tag === "Left" ? after.left._tag : "still there").toBe("NotFound")
        expect(yield* runtime.listContainers).toEqual([])
      })
    )
  )

  it.effect("a restarted kubelet re-adopts running containers and removes those of pods deleted meanwhile", () =>
    Effect.gen(function* () {
      const client = yield* Client
      const runtime = yield* MemoryRuntime.make({ nodeName, images: ["nginx:1.27"] })
      const startKubelet = Effect.gen(function* () {
        const scope = yield* Scope.make()
        yield* Kubelet.make(options).pipe(Effect.provideService(ContainerRuntime, runtime), Scope.extend(scope))
        return scope
      })
      const first = yield* startKubelet
      const kept = yield* create(pod("kept"))
      const gone = yield* create(pod("gone"))
      const before = yield* until("kept", (p) => expect(condition(p, "Ready")?.status).toBe("True"))
      yield* running("gone")
      yield* Scope.close(first, Exit.void)

      yield* client.delete(Pods, "gone", { namespace: "default", gracePeriodSeconds: 0 })
      yield* TestClock.adjust(Duration.minutes(1))
      yield* TestCluster.settle
      expect((yield* instances(runtime, gone, "main"))[0].state).toBe("Running")

      const second = yield* startKubelet
      yield* TestCluster.eventually(
        Effect.flatMap(runtime.listContainers, (all) =>
          Effect.sync(() => expect(all.map((c) => c.pod.name)).toEqual(["kept"]))
        ),
        { step: "1 second" }
      )
      expect((yield* runtime.listSandboxes).map((s) => s.pod.name)).toEqual(["kept"])
      yield* TestClock.adjust(Duration.minutes(2))
      const after = yield* until("kept", (p) => expect(condition(p, "Ready")?.status).toBe("True"))
      expect(statusOf(after, "main")).toMatchObject({ restartCount: 0, ready: true })
      expect(statusOf(after, "main")?.containerID).toBe(statusOf(before, "main")?.containerID)
      expect((yield* instances(runtime, kept, "main")).length).toBe(1)
      yield* Scope.close(second, Exit.void)
    }).pipe(Effect.scoped, Effect.provide(TestCluster.layer()), TestCluster.seeded())
  )

  it.effect("an image that cannot be pulled: ErrImagePull, then ImagePullBackOff, then Running once pullable", () =>
    withKubelet(
      (runtime) =>
        Effect.gen(function* () {
          const p = yield* create(pod("pull", { containers: [container("main", { image: "nginx:nope" })] }))
          const first = yield* until("pull", (p) =>
            expect(statusOf(p, "main")?.state?.waiting?.reason).toBe("ErrImagePull")
          )
          expect(first.status?.phase).toBe("Pending")
          expect(statusOf(first, "main")?.state?.waiting?.message).toMatch(/not found/)
          yield* until("pull", (p) => expect(statusOf(p, "main")?.state?.waiting?.reason).toBe("ImagePullBackOff"))
          const events = yield* eventReasons(p)
          expect(events).toContain("Failed: Error: ErrImagePull")
          expect(events).toContain("Failed: Error: ImagePullBackOff")
          yield* runtime.setPullable(() => true)
          yield* until("pull", (p) => expect(condition(p, "Ready")?.status).toBe("True"), "2 minutes")
        }),
      { pullable: (image) => image !== "nginx:nope" }
    )
  )

  it.effect("a new image replaces the running container", () =>
    withKubelet((runtime) =>
      Effect.gen(function* () {
        const client = yield* Client
        const p = yield* create(pod("web"))
        yield* running("web")
        yield* client.patch(Pods, "web", [{ op: "replace", path: "/spec/containers/0/image", value: "busybox:1.36" }], {
          type: "json",
          namespace: "default"
        })
        const updated = yield* until("web", (p) => expect(statusOf(p, "main")?.image).toBe("busybox:1.36"))
        expect(statusOf(updated, "main")).toMatchObject({ restartCount: 1, state: { running: {} } })
        expect((yield* instances(runtime, p, "main"))[0].image).toBe("busybox:1.36")
        expect(yield* eventReasons(p)).toContain("Killing: Container main definition changed, will be restarted")
      })
    )
  )

  it.effect("imagePullPolicy Never with the image absent: ErrImageNeverPull", () =>
    withKubelet(() =>
      Effect.gen(function* () {
        yield* create(pod("never", { containers: [container("main", { image: "redis:7", imagePullPolicy: "Never" })] }))
        const p = yield* until("never", (p) =>
          expect(statusOf(p, "main")?.state?.waiting?.reason).toBe("ErrImageNeverPull")
        )
        expect(statusOf(p, "main")?.state?.waiting?.message).toBe(
          'Container image "redis:7" is not present with pull policy of Never'
        )
      })
    )
  )

  it.effect("rejects a pod whose requests do not fit what is left: Failed, OutOfcpu", () =>
    withKubelet((runtime) =>
      Effect.gen(function* () {
        const requesting = (cpu: string) => [container("main", { resources: { requests: { cpu } } })]
        yield* create(pod("big", { containers: requesting("1500m") }))
        yield* running("big")
        const rejected = yield* create(pod("late", { containers: requesting("1") }))
        const p = yield* until("late", (p) => expect(p.status?.phase).toBe("Failed"))
        expect(p.status).toMatchObject({
          reason: "OutOfcpu",
          message:
            "Pod was rejected: Node didn't have enough resource: cpu, requested: 1000, used: 1500, capacity: 2000"
        })
        expect((yield* runtime.listContainers).filter((c) => c.pod.uid === rejected.metadata.uid)).toEqual([])
        yield* TestCluster.eventually(
          Effect.map(eventReasons(rejected), (events) =>
            expect(events).toContain(
              "OutOfcpu: Node didn't have enough resource: cpu, requested: 1000, used: 1500, capacity: 2000"
            )
          )
        )
      })
    )
  )
})
