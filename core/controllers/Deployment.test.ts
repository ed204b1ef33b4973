import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import * as Clock from "effect/Clock"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import type * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import * as TestContext from "effect/TestContext"
import { type Deployment, Deployments } from "../api/Deployment.js"
import { Events } from "../api/Event.js"
import type { IntOrString } from "../api/IntOrString.js"
import { type Pod, Pods } from "../api/Pod.js"
import { type ReplicaSet, ReplicaSets } from "../api/ReplicaSet.js"
import { Client } from "../client/Client.js"
import { SharedInformers } from "../informer/SharedInformers.js"
import * as TestCluster from "../testing/TestCluster.js"
import { controllerOf } from "./ControllerRef.js"
import * as DeploymentController from "./Deployment.js"
import { resolve } from "./deployment/Fenceposts.js"
import * as PodTemplateHash from "./deployment/PodTemplateHash.js"
import { isPodReady } from "./PodConditions.js"
import * as ReplicaSetController from "./ReplicaSet.js"
import { rfc3339 } from "../api/time.js"

const ns = "default"

interface DeploymentOptions {
  readonly replicas?: number
  readonly image?: string
  readonly strategy?: "RollingUpdate" | "Recreate"
  readonly maxSurge?: IntOrString
  readonly maxUnavailable?: IntOrString
  readonly revisionHistoryLimit?: number
  readonly progressDeadlineSeconds?: number
  readonly paused?: boolean
  readonly minReadySeconds?: number
}

const deployment = (name: string, options: DeploymentOptions = {}): Deployment => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace: ns },
  spec: {
    replicas: options.replicas ?? 3,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: "app", image: options.image ?? "app:a" }] }
    },
    ...(options.strategy === "Recreate"
      ? { strategy: { type: "Recreate" } }
      : options.maxSurge !== undefined || options.maxUnavailable !== undefined
        ? {
            strategy: {
              type: "RollingUpdate",
              rollingUpdate: {
                ...(options.maxSurge === undefined ? {} : { maxSurge: options.maxSurge }),
                ...(options.maxUnavailable === undefined ? {} : { maxUnavailable: options.maxUnavailable })
              }
            }
          }
        : {}),
    ...(options.revisionHistoryLimit === undefined ? {} : { revisionHistoryLimit: options.revisionHistoryLimit }),
    ...(options.progressDeadlineSeconds === undefined
      ? {}
      : { progressDeadlineSeconds: options.progressDeadlineSeconds }),
    ...(options.paused === undefined ? {} : { paused: options.paused }),
    ...(options.minReadySeconds === undefined ? {} : { minReadySeconds: options.minReadySeconds })
  }
})

/** The tests' time step: the fake kubelet's period, and how far `eventually` moves the clock. */
const step = "500 millis"

/** `TestCluster.eventually` in half-second steps: invariants are checked on every change anyway (`followPods`). */
const eventually = <A, E, R>(
  check: Effect.Effect<A, E, R>,
  options: { readonly timeout?: Duration.DurationInput } = {}
) => TestCluster.eventually(check, { step, ...options })

/** Runs a test body against a fresh cluster on the TestClock, with a seeded Random. */
const cluster = <A, E>(body: Effect.Effect<A, E, Client | SharedInformers | Scope.Scope>) =>
  body.pipe(Effect.scoped, Effect.provide(TestCluster.layer()), TestCluster.seeded())

/** Both workload controllers, as the controller-manager runs them. */
const controllers = Effect.zipRight(ReplicaSetController.make(), DeploymentController.make())

interface KubeletOptions {
  /** How long after creation a pod becomes ready; default 0.5 s. */
  readonly readyAfterMillis?: number
  /** Bind pods to this node, so that deleting them is graceful (they linger until "stopped"). */
  readonly node?: string
  /** How long a bound pod takes to stop once deleted; default 2 s. */
  readonly stopMillis?: number
  /** The chance that a due pod becomes ready at a given tick (seeded Random); default 1. */
  readonly readyChance?: number
}

/**
 * What kubelets would do, every half second: bind (when asked), mark pods Running and Ready once
 * `readyAfterMillis` has passed — except pods of image `broken` — and remove deleted bound pods
 * once they have stopped.
 */
const kubelet = (options: KubeletOptions = {}) =>
  Effect.gen(function* () {
    const client = yield* Client
    const tick = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const pods = yield* client.list(Pods, { namespace: ns })
      for (const pod of pods.items) {
        const name = pod.metadata.name ?? ""
        const deleting = pod.metadata.deletionTimestamp
        if (deleting !== undefined) {
          if (Date.parse(deleting) + (options.stopMillis ?? 2000) <= now) {
            yield* Effect.ignore(client.delete(Pods, name, { namespace: ns, gracePeriodSeconds: 0 }))
          }
          continue
        }
        if (options.node !== undefined && pod.spec?.nodeName === undefined) {
          yield* Effect.ignore(client.bind(name, ns, options.node))
          continue
        }
        const created = Date.parse(pod.metadata.creationTimestamp ?? "")
        const broken = pod.spec?.containers?.[0]?.image === "broken"
        const lucky = (yield* Random.next) < (options.readyChance ?? 1)
        if (!isPodReady(pod) && !broken && lucky && created + (options.readyAfterMillis ?? 500) <= now) {
          yield* Effect.ignore(
            client.updateStatus(Pods, {
              ...pod,
              status: {
                ...pod.status,
                phase: "Running",
                conditions: [{ type: "Ready", status: "True", lastTransitionTime: rfc3339(now) }]
              }
            })
          )
        }
      }
    }).pipe(Effect.ignore)
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(step), tick)))
  })

const getDeployment = (name: string) => Effect.flatMap(Client, (c) => c.get(Deployments, name, { namespace: ns }))

const replicaSetsOf = (d: Deployment) =>
  Effect.map(
    Effect.flatMap(Client, (c) => c.list(ReplicaSets, { namespace: ns })),
    (list) =>
      list.items
        .filter((rs) => controllerOf(rs)?.uid === d.metadata.uid)
        .sort((a, b) => (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""))
  )

const podsOf = (app: string) =>
  Effect.map(
    Effect.flatMap(Client, (c) => c.list(Pods, { namespace: ns, labelSelector: `app=${app}` })),
    (list) => list.items
  )

/** Changes the Deployment's spec with a read-modify-write. */
const editSpec = (name: string, edit: (spec: NonNullable<Deployment["spec"]>) => NonNullable<Deployment["spec"]>) =>
  Effect.gen(function* () {
    const client = yield* Client
    const d = yield* getDeployment(name)
    return yield* client.update(Deployments, { ...d, spec: edit(d.spec!) })
  })

const setImage = (name: string, image: string) =>
  editSpec(name, (spec) => ({
    ...spec,
    template: { ...spec.template, spec: { ...spec.template?.spec, containers: [{ name: "app", image }] } }
  }))

/** Waits until the rollout of the current generation is complete (what `kubectl rollout status` waits for). */
const rolledOut = (name: string, timeout: Duration.DurationInput = "120 seconds") =>
  eventually(
    Effect.gen(function* () {
      const d = yield* getDeployment(name)
      const replicas = d.spec?.replicas ?? 1
      expect(d.status?.observedGeneration).toBe(d.metadata.generation)
      expect(d.status?.updatedReplicas ?? 0).toBe(replicas)
      expect(d.status?.replicas ?? 0).toBe(replicas)
      expect(d.status?.availableReplicas ?? 0).toBe(replicas)
      const pods = yield* podsOf(name)
      expect(pods.filter((p) => p.metadata.deletionTimestamp === undefined)).toHaveLength(replicas)
      return d
    }),
    { timeout }
  )

const imageOf = (obj: Pod | ReplicaSet) =>
  obj.kind === "Pod"
    ? (obj as Pod).spec?.containers?.[0]?.image
    : (obj as ReplicaSet).spec?.template?.spec?.containers?.[0]?.image

/**
 * Follows every state the pods of `app` pass through, as the pod informer sees them (each API
 * write in order), and calls `observe` with the pods after each change.
 */
const followPods = (app: string, observe: (pods: ReadonlyArray<Pod>) => void) =>
  Effect.gen(function* () {
    const informer = yield* Effect.flatMap(SharedInformers, (s) => s.informer(Pods))
    const pods = new Map<string, Pod>()
    const changed = (pod: Pod, gone: boolean) =>
      Effect.sync(() => {
        if (pod.metadata.labels?.app !== app) return
        if (gone) pods.delete(pod.metadata.uid ?? "")
        else pods.set(pod.metadata.uid ?? "", pod)
        observe([...pods.values()])
      })
    yield* informer.addHandler({
      onAdd: (pod) => changed(pod, false),
      onUpdate: (_, pod) => changed(pod, false),
      onDelete: (pod) => changed(pod, true)
    })
  })

const isAvailable = (pod: Pod) => isPodReady(pod) && pod.metadata.deletionTimestamp === undefined

/** Tracks the fewest available and the most existing pods once armed. */
const podBounds = (app: string) =>
  Effect.gen(function* () {
    const bounds = { armed: false, minAvailable: Infinity, maxPods: 0 }
    yield* followPods(app, (pods) => {
      if (!bounds.armed) return
      bounds.minAvailable = Math.min(bounds.minAvailable, pods.filter(isAvailable).length)
      bounds.maxPods = Math.max(bounds.maxPods, pods.length)
    })
    return bounds
  })

/** Lets `millis` of virtual time pass in half-second steps, every fiber running between them. */
const pass = (millis: number) =>
  Effect.repeatN(Effect.zipRight(TestClock.adjust(step), TestCluster.settle), Math.ceil(millis / 500) - 1)

const revisionOf = (rs: ReplicaSet) => Number(rs.metadata.annotations?.["deployment.kubernetes.io/revision"])

const conditionOf = (d: Deployment, type: string) => d.status?.conditions?.find((c) => c.type === type)

describe("Deployment controller", () => {
  it.effect("creates a ReplicaSet named by the pod-template-hash and reports status, conditions and events", () =>
    cluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* controllers
        yield* kubelet()
        const created = yield* client.create(Deployments, deployment("web"))
        const d = yield* rolledOut("web")
        const hash = PodTemplateHash.compute(created.spec!.template!)
        const [rs, ...others] = yield* replicaSetsOf(d)
        expect(others).toEqual([])
        expect(rs.metadata.name).toBe(`web-${hash}`)
        expect(rs.metadata.labels).toEqual({ app: "web", "pod-template-hash": hash })
        expect(rs.spec?.selector).toEqual({ matchLabels: { app: "web", "pod-template-hash": hash } })
        expect(rs.spec?.template?.metadata?.labels).toEqual({ app: "web", "pod-template-hash": hash })
        expect(rs.metadata.ownerReferences).toEqual([
          {
            apiVersion: "apps/v1",
            kind: "Deployment",
            name: "web",
            uid: d.metadata.uid,
            controller: true,
            blockOwnerDeletion: true
          }
        ])
        expect(rs.metadata.annotations).toEqual({
          "deployment.kubernetes.io/revision": "1",
          "deployment.kubernetes.io/desired-replicas": "3",
          // 25% surge of 3, rounded up.
          "deployment.kubernetes.io/max-replicas": "4"
        })
        expect(d.metadata.annotations?.["deployment.kubernetes.io/revision"]).toBe("1")
        for (const pod of yield* podsOf("web")) expect(pod.metadata.labels?.["pod-template-hash"]).toBe(hash)

        expect(d.status).toMatchObject({ replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 })
        expect(d.status?.unavailableReplicas).toBeUndefined()
        expect(conditionOf(d, "Available")).toMatchObject({ status: "True", reason: "MinimumReplicasAvailable" })
        const progressing = yield* eventually(
          Effect.map(getDeployment("web"), (fresh) => {
            const c = conditionOf(fresh, "Progressing")
            expect(c?.reason).toBe("NewReplicaSetAvailable")
            return c
          })
        )
        expect(progressing).toMatchObject({
          status: "True",
          message: `ReplicaSet "web-${hash}" has successfully progressed.`
        })
        const events = yield* eventually(
          Effect.map(client.list(Events, { namespace: ns }), (list) => {
            const scaling = list.items.filter((e) => e.reason === "ScalingReplicaSet")
            expect(scaling).toHaveLength(1)
            return scaling
          })
        )
        expect(events[0]).toMatchObject({
          type: "Normal",
          message: `Scaled up replica set web-${hash} from 0 to 3`,
          involvedObject: { kind: "Deployment", name: "web" },
          source: { component: "deployment-controller" }
        })
      })
    )
  )

  it.effect(
    "rolls out A → B with maxSurge 1 / maxUnavailable 0: never fewer than replicas available, never more than replicas + 1 pods",
    () =>
      cluster(
        Effect.gen(function* () {
          const client = yield* Client
          yield* controllers
          yield* kubelet()
          const bounds = yield* podBounds("web")
          yield* client.create(Deployments, deployment("web", { replicas: 5, maxSurge: 1, maxUnavailable: 0 }))
          const before = yield* rolledOut("web")
          bounds.armed = true
          yield* setImage("web", "app:b")
          const after = yield* rolledOut("web")
          expect(bounds.minAvailable).toBe(5)
          // The surge was used, and never exceeded.
          expect(bounds.maxPods).toBe(6)
          const pods = yield* podsOf("web")
          expect(pods.map(imageOf)).toEqual(Array(5).fill("app:b"))
          const [first, second] = [...(yield* replicaSetsOf(after))].sort((a, b) => revisionOf(a) - revisionOf(b))
          expect(imageOf(first)).toBe("app:a")
          expect(first.spec?.replicas).toBe(0)
          expect(second.spec?.replicas).toBe(5)
          expect(second.metadata.annotations?.["deployment.kubernetes.io/revision"]).toBe("2")
          expect(after.metadata.annotations?.["deployment.kubernetes.io/revision"]).toBe("2")
          expect(after.metadata.generation).toBe((before.metadata.generation ?? 0) + 1)
        })
      )
  )

  it.effect("honours maxSurge/maxUnavailable percentages (surge rounds up, unavailable rounds down)", () =>
    cluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* controllers
        yield* kubelet()
        const bounds = yield* podBounds("web")
        yield* client.create(Deployments, deployment("web", { replicas: 10, maxSurge: "25%", maxUnavailable: "25%" }))
        yield* rolledOut("web")
        bounds.armed = true
        yield* setImage("web", "app:b")
        yield* rolledOut("web")
        // 25% of 10: surge 3 (2.5 up), unavailable 2 (2.5 down).
        expect(bounds.maxPods).toBe(13)
        expect(bounds.minAvailable).toBe(8)
      })
    )
  )

  it.effect("Recreate never runs old and new pods together, and waits for old pods to terminate", () =>
    cluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* controllers
        yield* kubelet({ node: "node-1", stopMillis: 3000 })
        const overlaps: Array<string> = []
        let terminatingSeen = false
        yield* followPods("web", (pods) => {
          const images = new Set(pods.map(imageOf))
          if (images.size > 1) overlaps.push([...images].join(","))
          if (pods.some((p) => p.metadata.deletionTimestamp !== undefined)) terminatingSeen = true
        })
        yield* client.create(Deployments, deployment("web", { strategy: "Recreate" }))
        yield* rolledOut("web")
        yield* setImage("web", "app:b")
        const d = yield* rolledOut("web")
        expect(overlaps).toEqual([])
        // The old pods lingered while they stopped, and the new ones waited.
        expect(terminatingSeen).toBe(true)
        expect((yield* podsOf("web")).map(imageOf)).toEqual(["app:b", "app:b", "app:b"])
        expect((yield* replicaSetsOf(d)).map((rs) => [imageOf(rs), rs.spec?.replicas])).toEqual(
          expect.arrayContaining([
            ["app:a", 0],
            ["app:b", 3]
          ])
        )
      })
    )
  )

  it.effect("rollback to revision 1 reuses the old ReplicaSet and gives it the next revision", () =>
    cluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* controllers
        yield* kubelet()
        yield* client.create(Deployments, deployment("web"))
        const v1 = yield* rolledOut("web")
        const [rsA] = yield* replicaSetsOf(v1)
        yield* setImage("web", "app:b")
        yield* rolledOut("web")
        // `kubectl rollout undo --to-revision=1`: revision 1's template, without its hash label.
        yield* editSpec("web", (spec) => ({
          ...spec,
          template: { ...rsA.spec!.template!, metadata: { labels: { app: "web" } } }
        }))
        const v3 = yield* rolledOut("web")
        const all = yield* replicaSetsOf(v3)
        expect(all).toHaveLength(2)
        const reused = all.find((rs) => rs.metadata.uid === rsA.metadata.uid)!
        expect(reused.spec?.replicas).toBe(3)
        expect(reused.metadata.annotations?.["deployment.kubernetes.io/revision"]).toBe("3")
        expect(reused.metadata.annotations?.["deployment.kubernetes.io/revision-history"]).toBe("1")
        expect(all.find((rs) => rs !== reused)?.spec?.replicas).toBe(0)
        expect(v3.metadata.annotations?.["deployment.kubernetes.io/revision"]).toBe("3")
        expect((yield* podsOf("web")).map(imageOf)).toEqual(["app:a", "app:a", "app:a"])
      })
    )
  )

  it.effect("revisionHistoryLimit 2 deletes the oldest scaled-down ReplicaSets", () =>
    cluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* controllers
        yield* kubelet()
        yield* client.create(Deployments, deployment("web", { replicas: 2, revisionHistoryLimit: 2 }))
        yield* rolledOut("web")
        for (const image of ["app:b", "app:c", "app:d", "app:e"]) {
          yield* setImage("web", image)
          yield* rolledOut("web")
        }
        const d = yield* eventually(
          Effect.gen(function* () {
            const d = yield* getDeployment("web")
            expect(yield* replicaSetsOf(d)).toHaveLength(3)
            return d
          })
        )
        const left = yield* replicaSetsOf(d)
        expect(left.map((rs) => rs.metadata.annotations?.["deployment.kubernetes.io/revision"]).sort()).toEqual([
          "3",
          "4",
          "5"
        ])
        expect(left.map(imageOf).sort()).toEqual(["app:c", "app:d", "app:e"])
      })
    )
  )

  it.effect("pause stops the rollout but not scaling; resume continues", () =>
    cluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* controllers
        yield* kubelet()
        yield* client.create(Deployments, deployment("web"))
        yield* rolledOut("web")
        yield* editSpec("web", (spec) => ({ ...spec, paused: true }))
        yield* setImage("web", "app:b")
        const paused = yield* eventually(
          Effect.map(getDeployment("web"), (d) => {
            expect(conditionOf(d, "Progressing")).toMatchObject({
              status: "Unknown",
              reason: "DeploymentPaused",
              message: "Deployment is paused"
            })
            return d
          })
        )
        yield* pass(10_000)
        // No new ReplicaSet while paused…
        expect(yield* replicaSetsOf(paused)).toHaveLength(1)
        // …but scaling applies.
        yield* editSpec("web", (spec) => ({ ...spec, replicas: 5 }))
        yield* eventually(
          Effect.gen(function* () {
            const d = yield* getDeployment("web")
            const [rs] = yield* replicaSetsOf(d)
            expect(rs.spec?.replicas).toBe(5)
            expect(imageOf(rs)).toBe("app:a")
            expect(d.status?.availableReplicas).toBe(5)
          })
        )
        expect(yield* replicaSetsOf(paused)).toHaveLength(1)
        yield* editSpec("web", (spec) => ({ ...spec, paused: false }))
        const resumed = yield* rolledOut("web")
        expect((yield* podsOf("web")).map(imageOf)).toEqual(Array(5).fill("app:b"))
        expect(yield* replicaSetsOf(resumed)).toHaveLength(2)
        yield* eventually(
          Effect.map(getDeployment("web"), (d) =>
            expect(conditionOf(d, "Progressing")?.reason).toBe("NewReplicaSetAvailable")
          )
        )
      })
    )
  )

  it.effect("reports ProgressDeadlineExceeded when new pods never become ready", () =>
    cluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* controllers
        yield* kubelet()
        const start = yield* Clock.currentTimeMillis
        yield* client.create(Deployments, deployment("web", { image: "broken", progressDeadlineSeconds: 30 }))
        const early = yield* eventually(
          Effect.map(getDeployment("web"), (d) => {
            expect(d.status?.replicas).toBe(3)
            return d
          })
        )
        // Pods appearing is progress.
        expect(conditionOf(early, "Progressing")).toMatchObject({ status: "True", reason: "ReplicaSetUpdated" })
        expect(conditionOf(early, "Available")).toMatchObject({
          status: "False",
          reason: "MinimumReplicasUnavailable",
          message: "Deployment does not have minimum availability."
        })
        expect(early.status?.unavailableReplicas).toBe(3)
        const timedOut = yield* eventually(
          Effect.map(getDeployment("web"), (d) => {
            expect(conditionOf(d, "Progressing")?.reason).toBe("ProgressDeadlineExceeded")
            return d
          }),
          { timeout: "60 seconds" }
        )
        const elapsed = (yield* Clock.currentTimeMillis) - start
        expect(elapsed).toBeGreaterThanOrEqual(30_000)
        expect(elapsed).toBeLessThanOrEqual(33_000)
        const [rs] = yield* replicaSetsOf(timedOut)
        expect(conditionOf(timedOut, "Progressing")).toMatchObject({
          status: "False",
          message: `ReplicaSet "${rs.metadata.name}" has timed out progressing.`
        })
      })
    )
  )

  it.effect("scales proportionally when replicas change mid-rollout", () =>
    cluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* controllers
        yield* kubelet()
        yield* client.create(Deployments, deployment("web", { replicas: 10, maxSurge: 3, maxUnavailable: 2 }))
        yield* rolledOut("web")
        // A rollout that cannot finish: 8 old, 5 new (10 + 3 surge), 2 unavailable.
        yield* setImage("web", "broken")
        const sizes = (d: Deployment) =>
          Effect.map(replicaSetsOf(d), (list) => list.map((rs) => [imageOf(rs), rs.spec?.replicas]))
        const stuck = yield* eventually(
          Effect.gen(function* () {
            const d = yield* getDeployment("web")
            expect(yield* sizes(d)).toEqual(
              expect.arrayContaining([
                ["app:a", 8],
                ["broken", 5]
              ])
            )
            return d
          })
        )
        yield* pass(10_000)
        expect(yield* sizes(stuck)).toEqual(
          expect.arrayContaining([
            ["app:a", 8],
            ["broken", 5]
          ])
        )
        // 10 more (23 allowed): old 8·23/13 ≈ 14, new 5·23/13 ≈ 9.
        yield* editSpec("web", (spec) => ({ ...spec, replicas: 20 }))
        yield* eventually(
          Effect.gen(function* () {
            expect(yield* sizes(stuck)).toEqual(
              expect.arrayContaining([
                ["app:a", 14],
                ["broken", 9]
              ])
            )
          })
        )
      })
    )
  )

  it.effect("a hash collision bumps collisionCount and creates the ReplicaSet under the next hash", () =>
    cluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* controllers
        const manifest = deployment("web")
        const defaulted = yield* client.create(Deployments, manifest, { dryRun: true })
        const hash = PodTemplateHash.compute(defaulted.spec!.template!)
        // Someone else's ReplicaSet holds the name the Deployment's new ReplicaSet would get.
        yield* client.create(ReplicaSets, {
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          metadata: { name: `web-${hash}`, namespace: ns },
          spec: {
            replicas: 0,
            selector: { matchLabels: { app: "other" } },
            template: {
              metadata: { labels: { app: "other" } },
              spec: { containers: [{ name: "app", image: "other" }] }
            }
          }
        })
        yield* client.create(Deployments, manifest)
        const d = yield* eventually(
          Effect.gen(function* () {
            const d = yield* getDeployment("web")
            expect(d.status?.collisionCount).toBe(1)
            expect(yield* replicaSetsOf(d)).toHaveLength(1)
            return d
          })
        )
        const [rs] = yield* replicaSetsOf(d)
        expect(rs.metadata.name).toBe(`web-${PodTemplateHash.compute(defaulted.spec!.template!, 1)}`)
        expect(rs.metadata.name).not.toBe(`web-${hash}`)
      })
    )
  )

  it.effect("a Deployment being deleted only gets its status synced, no scaling", () =>
    cluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* controllers
        yield* kubelet()
        yield* client.create(Deployments, deployment("web"))
        yield* rolledOut("web")
        // Foreground: the Deployment lingers with its finalizer (no garbage collector runs here).
        yield* client.delete(Deployments, "web", { namespace: ns, propagationPolicy: "Foreground" })
        const scaled = yield* editSpec("web", (spec) => ({ ...spec, replicas: 6 }))
        expect(scaled.metadata.deletionTimestamp).toBeDefined()
        const d = yield* eventually(
          Effect.map(getDeployment("web"), (d) => {
            expect(d.status?.observedGeneration).toBe(d.metadata.generation)
            return d
          })
        )
        yield* pass(5_000)
        const [rs] = yield* replicaSetsOf(d)
        expect(rs.spec?.replicas).toBe(3)
        expect(d.status?.replicas).toBe(3)
      })
    )
  )

  it.effect("counts pods available only after minReadySeconds, and passes changes of it to the ReplicaSet", () =>
    cluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* controllers
        yield* kubelet()
        yield* client.create(Deployments, deployment("web", { replicas: 2, minReadySeconds: 10 }))
        const ready = yield* eventually(
          Effect.map(getDeployment("web"), (d) => {
            expect(d.status?.readyReplicas).toBe(2)
            return d
          })
        )
        expect(ready.status?.availableReplicas).toBeUndefined()
        expect(ready.status?.unavailableReplicas).toBe(2)
        expect(conditionOf(ready, "Available")?.status).toBe("False")
        const [rs] = yield* replicaSetsOf(ready)
        expect(rs.spec?.minReadySeconds).toBe(10)
        const available = yield* eventually(
          Effect.map(getDeployment("web"), (d) => {
            expect(d.status?.availableReplicas).toBe(2)
            return d
          })
        )
        expect(conditionOf(available, "Available")).toMatchObject({
          status: "True",
          reason: "MinimumReplicasAvailable"
        })
        yield* editSpec("web", (spec) => ({ ...spec, minReadySeconds: 0 }))
        yield* eventually(
          Effect.gen(function* () {
            const all = yield* replicaSetsOf(available)
            expect(all.map((rs) => [rs.metadata.uid, rs.spec?.minReadySeconds])).toEqual([[rs.metadata.uid, 0]])
          })
        )
      })
    )
  )

  it.effect("adopts an orphan ReplicaSet that matches its selector and template instead of creating one", () =>
    cluster(
      Effect.gen(function* () {
        const client = yield* Client
        const manifest = deployment("web")
        // There before the controllers start: which of two watches delivers first is not ordered.
        const orphan = yield* client.create(ReplicaSets, {
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          metadata: { name: "web-legacy", namespace: ns, labels: { app: "web" } },
          spec: { replicas: 1, selector: manifest.spec!.selector!, template: manifest.spec!.template! }
        })
        yield* controllers
        yield* kubelet()
        yield* client.create(Deployments, manifest)
        const d = yield* rolledOut("web")
        const [adopted, ...others] = yield* replicaSetsOf(d)
        expect(others).toEqual([])
        expect(adopted.metadata.uid).toBe(orphan.metadata.uid)
        expect(adopted.spec?.replicas).toBe(3)
        expect(adopted.metadata.annotations?.["deployment.kubernetes.io/revision"]).toBe("1")
      })
    )
  )

  it.effect(
    "keeps every rollout within maxSurge and maxUnavailable, also when the template changes mid-rollout (property)",
    () => {
      const bound = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom("0%", "10%", "25%", "50%", "100%"))
      const scenario = fc
        .record({
          replicas: fc.integer({ min: 1, max: 8 }),
          maxSurge: bound,
          maxUnavailable: bound,
          // Milliseconds into the first rollout at which the template changes again, if it does.
          secondAfter: fc.option(fc.integer({ min: 0, max: 4000 }), { nil: undefined })
        })
        .filter(
          ({ maxSurge, maxUnavailable }) =>
            !(parseInt(String(maxSurge)) === 0 && parseInt(String(maxUnavailable)) === 0)
        )
      // Each case on a fresh cluster and TestClock.
      const run = (s: typeof scenario extends fc.Arbitrary<infer A> ? A : never) =>
        cluster(
          Effect.gen(function* () {
            const client = yield* Client
            yield* controllers
            yield* kubelet({ readyChance: 0.5 })
            const bounds = yield* podBounds("web")
            yield* client.create(Deployments, deployment("web", s))
            yield* rolledOut("web")
            bounds.armed = true
            yield* setImage("web", "app:b")
            if (s.secondAfter !== undefined) {
              yield* pass(s.secondAfter)
              yield* setImage("web", "app:c")
            }
            yield* rolledOut("web")
            const [surge, unavailable] = resolve(s.maxSurge, s.maxUnavailable, s.replicas)
            expect(bounds.maxPods).toBeLessThanOrEqual(s.replicas + surge)
            expect(bounds.minAvailable).toBeGreaterThanOrEqual(s.replicas - Math.min(unavailable, s.replicas))
            const image = s.secondAfter === undefined ? "app:b" : "app:c"
            expect((yield* podsOf("web")).map(imageOf)).toEqual(Array(s.replicas).fill(image))
          })
        ).pipe(Effect.provide(TestContext.TestContext))
      return Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(scenario, (s) => Effect.runPromise(run(s))),
          { seed: 42, numRuns: 6 }
        )
      )
    }
  )
})
