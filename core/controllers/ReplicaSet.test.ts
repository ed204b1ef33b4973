import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as Runtime from "effect/Runtime"
import * as fc from "fast-check"
import { Forbidden } from "../api/errors.js"
import { Events } from "../api/Event.js"
import { type Pod, Pods } from "../api/Pod.js"
import { type ReplicaSet, ReplicaSets } from "../api/ReplicaSet.js"
import { Client } from "../client/Client.js"
import * as EventRecorder from "../client/EventRecorder.js"
import { SharedInformers } from "../informer/SharedInformers.js"
import * as TestCluster from "../testing/TestCluster.js"
import { controllerOf } from "./ControllerRef.js"
import * as Expectations from "./Expectations.js"
import { isPodActive } from "./PodConditions.js"
import * as ReplicaSetController from "./ReplicaSet.js"
import { rfc3339 } from "../api/time.js"

const ns = "default"

const replicaSet = (
  name: string,
  replicas: number,
  options: { readonly minReadySeconds?: number; readonly templateLabels?: Record<string, string> } = {}
): ReplicaSet => ({
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: { name, namespace: ns },
  spec: {
    replicas,
    ...(options.minReadySeconds === undefined ? {} : { minReadySeconds: options.minReadySeconds }),
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: options.templateLabels ?? { app: name } },
      spec: { containers: [{ name: "c", image: "nginx:1" }] }
    }
  }
})

const orphan = (name: string, labels: Record<string, string>): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: ns, labels },
  spec: { containers: [{ name: "c", image: "nginx:1" }] }
})

/** Runs a test body against a fresh cluster on the TestClock, with a seeded Random. */
const cluster = <A, E>(body: Effect.Effect<A, E, Client | SharedInformers | Scope.Scope>) =>
  body.pipe(Effect.scoped, Effect.provide(TestCluster.layer()), TestCluster.seeded())

const getRs = (name: string) => Effect.flatMap(Client, (c) => c.get(ReplicaSets, name, { namespace: ns }))

const podsOf = (rs: ReplicaSet) =>
  Effect.map(
    Effect.flatMap(Client, (c) => c.list(Pods, { namespace: ns })),
    (list) => list.items.filter((p) => controllerOf(p)?.uid === rs.metadata.uid)
  )

const activePodsOf = (rs: ReplicaSet) => Effect.map(podsOf(rs), (pods) => pods.filter(isPodActive))

/** What a kubelet would write: phase Running and the Ready condition, changing at the Clock's now. */
const setReady = (pod: Pod, ready: boolean) =>
  Effect.gen(function* () {
    const client = yield* Client
    const now = rfc3339(yield* Clock.currentTimeMillis)
    const fresh = yield* client.get(Pods, pod.metadata.name ?? "", { namespace: ns })
    return yield* client.updateStatus(Pods, {
      ...fresh,
      status: {
        ...fresh.status,
        phase: "Running",
        conditions: [{ type: "Ready", status: ready ? "True" : "False", lastTransitionTime: now }]
      }
    })
  })

const bind = (pod: Pod, node: string) => Effect.flatMap(Client, (c) => c.bind(pod.metadata.name ?? "", ns, node))

const scale = (name: string, replicas: number) =>
  Effect.flatMap(Client, (c) => c.scale(ReplicaSets, name, replicas, { namespace: ns }))

/** Waits until the ReplicaSet has `count` active pods and its status says so for its current generation. */
const converged = (name: string, count: number) =>
  TestCluster.eventually(
    Effect.gen(function* () {
      const rs = yield* getRs(name)
      const pods = yield* activePodsOf(rs)
      expect(pods).toHaveLength(count)
      expect(rs.status?.replicas).toBe(count)
      expect(rs.status?.observedGeneration).toBe(rs.metadata.generation)
      return pods
    })
  )

describe("ReplicaSet controller", () => {
  it.effect("scales 0 → 3: pods from the template, generated names, controller references, events", () =>
    cluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* ReplicaSetController.make()
        const created = yield* client.create(ReplicaSets, replicaSet("web", 0))
        yield* converged("web", 0)
        yield* scale("web", 3)
        const pods = yield* converged("web", 3)
        for (const pod of pods) {
          expect(pod.metadata.name).toMatch(/^web-[a-z0-9]{5}$/)
          expect(pod.metadata.generateName).toBe("web-")
          expect(pod.metadata.labels).toEqual({ app: "web" })
          expect(pod.spec?.containers?.[0]?.image).toBe("nginx:1")
          expect(pod.metadata.ownerReferences).toEqual([
            {
              apiVersion: "apps/v1",
              kind: "ReplicaSet",
              name: "web",
              uid: created.metadata.uid,
              controller: true,
              blockOwnerDeletion: true
            }
          ])
        }
        expect(new Set(pods.map((p) => p.metadata.name)).size).toBe(3)
        const events = yield* TestCluster.eventually(
          Effect.gen(function* () {
            const list = yield* client.list(Events, { namespace: ns })
            const creates = list.items.filter((e) => e.reason === "SuccessfulCreate")
            expect(creates).toHaveLength(3)
            return creates
          })
        )
        expect(events.map((e) => e.message).sort()).toEqual(pods.map((p) => `Created pod: ${p.metadata.name}`).sort())
        expect(events[0].involvedObject).toMatchObject({ kind: "ReplicaSet", name: "web" })
        const rs = yield* getRs("web")
        expect(rs.status).toMatchObject({ replicas: 3, fullyLabeledReplicas: 3, terminatingReplicas: 0 })
        expect(rs.status?.readyReplicas ?? 0).toBe(0)
      })
    )
  )

  it.effect("scales 3 → 5 → 2 and converges; deletions are recorded", () =>
    cluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* ReplicaSetController.make()
        yield* client.create(ReplicaSets, replicaSet("web", 3))
        yield* converged("web", 3)
        yield* scale("web", 5)
        yield* converged("web", 5)
        yield* scale("web", 2)
        yield* converged("web", 2)
        // Unbound pods are deleted at once: nothing lingers.
        expect(yield* podsOf(yield* getRs("web"))).toHaveLength(2)
        yield* TestCluster.eventually(
          Effect.gen(function* () {
            const list = yield* client.list(Events, { namespace: ns })
            expect(list.items.filter((e) => e.reason === "SuccessfulDelete")).toHaveLength(3)
          })
        )
      })
    )
  )

  it.effect("scale 5 → 2 deletes not-ready pods first", () =>
    cluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* ReplicaSetController.make()
        yield* client.create(ReplicaSets, replicaSet("web", 5))
        const pods = yield* converged("web", 5)
        // All scheduled (on different nodes, so no pod is doubled up); three become ready.
        for (const [i, pod] of pods.entries()) yield* bind(pod, `node-${i}`)
        const ready = pods.slice(0, 3)
        const notReady = pods.slice(3)
        for (const pod of ready) yield* setReady(pod, true)
        for (const pod of notReady) yield* setReady(pod, false)
        yield* TestCluster.eventually(Effect.map(getRs("web"), (rs) => expect(rs.status?.readyReplicas).toBe(3)))
        yield* scale("web", 2)
        const remaining = yield* converged("web", 2)
        for (const pod of remaining) expect(ready.map((p) => p.metadata.name)).toContain(pod.metadata.name)
        // Bound pods are deleted gracefully: the not-ready ones linger as terminating (no kubelet here).
        const all = yield* podsOf(yield* getRs("web"))
        const terminating = all.filter((p) => p.metadata.deletionTimestamp !== undefined).map((p) => p.metadata.name)
        expect(terminating).toHaveLength(3)
        for (const pod of notReady) expect(terminating).toContain(pod.metadata.name)
        yield* TestCluster.eventually(
          Effect.map(getRs("web"), (rs) => expect(rs.status).toMatchObject({ replicas: 2, terminatingReplicas: 3 }))
        )
      })
    )
  )

  it.effect("scale-down deletes unscheduled pods before scheduled ones", () =>
    cluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* ReplicaSetController.make()
        yield* client.create(ReplicaSets, replicaSet("web", 4))
        const pods = yield* converged("web", 4)
        const scheduled = pods.slice(0, 2)
        for (const [i, pod] of scheduled.entries()) yield* bind(pod, `node-${i}`)
        yield* TestCluster.eventually(
          Effect.map(activePodsOf(yield* getRs("web")), (ps) =>
            expect(ps.filter((p) => (p.spec?.nodeName ?? "") !== "")).toHaveLength(2)
          )
        )
        yield* TestCluster.settle
        yield* scale("web", 2)
        const remaining = yield* converged("web", 2)
        expect(remaining.map((p) => p.metadata.name).sort()).toEqual(scheduled.map((p) => p.metadata.name).sort())
        // The unscheduled ones were deleted outright.
        expect(yield* podsOf(yield* getRs("web"))).toHaveLength(2)
      })
    )
  )

  it.effect("adopts a matching orphan instead of creating a pod; fullyLabeledReplicas counts template labels", () =>
    cluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* ReplicaSetController.make()
        // Matches the selector (app=web) but lacks the template's tier label.
        yield* client.create(Pods, orphan("stray", { app: "web" }))
        const rs = yield* client.create(
          ReplicaSets,
          replicaSet("web", 2, { templateLabels: { app: "web", tier: "fe" } })
        )
        const pods = yield* converged("web", 2)
        expect(pods.map((p) => p.metadata.name)).toContain("stray")
        const stray = yield* client.get(Pods, "stray", { namespace: ns })
        expect(controllerOf(stray)).toMatchObject({ kind: "ReplicaSet", name: "web", uid: rs.metadata.uid })
        expect((yield* client.list(Pods, { namespace: ns })).items).toHaveLength(2)
        yield* TestCluster.eventually(
          Effect.map(getRs("web"), (r) => expect(r.status).toMatchObject({ replicas: 2, fullyLabeledReplicas: 1 }))
        )
      })
    )
  )

  it.effect("releases a pod whose labels stop matching, and replaces it", () =>
    cluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* ReplicaSetController.make()
        yield* client.create(ReplicaSets, replicaSet("web", 2))
        const [leaving] = yield* converged("web", 2)
        yield* client.patch(
          Pods,
          leaving.metadata.name ?? "",
          { metadata: { labels: { app: "debug" } } },
          {
            type: "merge",
            namespace: ns
          }
        )
        yield* TestCluster.eventually(
          Effect.gen(function* () {
            const released = yield* client.get(Pods, leaving.metadata.name ?? "", { namespace: ns })
            expect(released.metadata.ownerReferences ?? []).toEqual([])
          })
        )
        const pods = yield* converged("web", 2)
        expect(pods.map((p) => p.metadata.name)).not.toContain(leaving.metadata.name)
        expect((yield* client.list(Pods, { namespace: ns })).items).toHaveLength(3)
      })
    )
  )

  it.effect("replaces a deleted pod", () =>
    cluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* ReplicaSetController.make()
        yield* client.create(ReplicaSets, replicaSet("web", 3))
        const before = yield* converged("web", 3)
        yield* client.delete(Pods, before[0].metadata.name ?? "", { namespace: ns })
        yield* TestCluster.eventually(
          Effect.map(activePodsOf(yield* getRs("web")), (pods) =>
            expect(pods.map((p) => p.metadata.name)).not.toContain(before[0].metadata.name)
          )
        )
        const after = yield* converged("web", 3)
        expect(after.filter((p) => before.some((b) => b.metadata.name === p.metadata.name))).toHaveLength(2)
      })
    )
  )

  it.effect("status: readyReplicas at once, availableReplicas only after minReadySeconds on the Clock", () =>
    cluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* ReplicaSetController.make()
        yield* client.create(ReplicaSets, replicaSet("web", 2, { minReadySeconds: 10 }))
        const pods = yield* converged("web", 2)
        yield* TestClock.adjust("1 second")
        const readyAt = yield* Clock.currentTimeMillis
        for (const pod of pods) yield* setReady(pod, true)
        yield* TestCluster.eventually(
          Effect.map(getRs("web"), (rs) => expect(rs.status?.readyReplicas).toBe(2)),
          { timeout: "1 second" }
        )
        expect((yield* getRs("web")).status?.availableReplicas ?? 0).toBe(0)
        yield* TestCluster.eventually(
          Effect.map(getRs("web"), (rs) => expect(rs.status?.availableReplicas).toBe(2)),
          { timeout: "30 seconds", step: "250 millis" }
        )
        // The ready time has seconds precision; available strictly after it plus 10 s.
        const availableAt = yield* Clock.currentTimeMillis
        expect(availableAt - readyAt).toBeGreaterThan(9_000)
        expect(availableAt - readyAt).toBeLessThan(11_000)
      })
    )
  )

  it.effect("observedGeneration follows spec changes", () =>
    cluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* ReplicaSetController.make()
        yield* client.create(ReplicaSets, replicaSet("web", 1))
        yield* converged("web", 1)
        const first = (yield* getRs("web")).status?.observedGeneration ?? 0
        yield* scale("web", 2)
        yield* converged("web", 2)
        const rs = yield* getRs("web")
        expect(rs.metadata.generation).toBeGreaterThan(first)
        expect(rs.status?.observedGeneration).toBe(rs.metadata.generation)
      })
    )
  )

  it.effect("expectations prevent double creates while the pod cache lags", () =>
    cluster(
      Effect.gen(function* () {
        const client = yield* Client
        const informers = yield* SharedInformers
        const replicaSets = yield* informers.informer(ReplicaSets)
        const pods = yield* informers.informer(Pods)
        yield* client.create(ReplicaSets, replicaSet("web", 3))
        yield* TestCluster.eventually(Effect.sync(() => expect(replicaSets.get(`${ns}/web`)).toBeDefined()))
        // A pod cache that never catches up with the creates.
        const lagging = { ...pods, list: () => [], byIndex: () => [] }
        const expectations = yield* Expectations.make
        const reconcile = ReplicaSetController.reconciler({
          client,
          replicaSets,
          pods: lagging,
          expectations,
          recorder: yield* EventRecorder.make("test"),
          burstReplicas: 500
        })
        yield* reconcile(`${ns}/web`)
        yield* reconcile(`${ns}/web`)
        expect((yield* client.list(Pods, { namespace: ns })).items).toHaveLength(3)
        expect(expectations.get(`${ns}/web`)).toMatchObject({ add: 3 })
        // The second reconcile asks to look again when the expectations expire.
        const result = yield* reconcile(`${ns}/web`)
        expect(result.requeueAfter).toBeDefined()
        // Once they expire (a lost observation), the controller acts on what it sees again.
        yield* TestClock.adjust("5 minutes")
        yield* TestClock.adjust("1 second")
        yield* reconcile(`${ns}/web`)
        expect((yield* client.list(Pods, { namespace: ns })).items).toHaveLength(6)
      })
    )
  )

  it.effect(
    "a failed create sets ReplicaFailure, records FailedCreate and lowers expectations; success clears it",
    () =>
      cluster(
        Effect.gen(function* () {
          const client = yield* Client
          const informers = yield* SharedInformers
          const replicaSets = yield* informers.informer(ReplicaSets)
          const pods = yield* informers.informer(Pods)
          yield* client.create(ReplicaSets, replicaSet("web", 2))
          yield* TestCluster.eventually(Effect.sync(() => expect(replicaSets.get(`${ns}/web`)).toBeDefined()))
          const quota = new Forbidden({ message: 'pods "web-x" is forbidden: exceeded quota: compute' })
          const refusing = { ...client, create: () => Effect.fail(quota) }
          const expectations = yield* Expectations.make
          const recorder = yield* EventRecorder.make("replicaset-controller")
          const context = { replicaSets, pods, expectations, recorder, burstReplicas: 500 }
          const error = yield* Effect.flip(
            ReplicaSetController.reconciler({ ...context, client: refusing as typeof client })(`${ns}/web`)
          )
          expect(error).toBe(quota)
          // Only the first of the slow-start batch was tried; the other create is forgotten.
          expect(yield* expectations.satisfied(`${ns}/web`)).toBe(true)
          const failed = yield* getRs("web")
          expect(failed.status?.conditions).toEqual([
            {
              type: "ReplicaFailure",
              status: "True",
              lastTransitionTime: rfc3339(yield* Clock.currentTimeMillis),
              reason: "FailedCreate",
              message: quota.message
            }
          ])
          yield* TestCluster.eventually(
            Effect.gen(function* () {
              const events = (yield* client.list(Events, { namespace: ns })).items
              expect(events.find((e) => e.reason === "FailedCreate")?.message).toBe(`Error creating: ${quota.message}`)
            })
          )
          yield* TestCluster.eventually(
            Effect.sync(() => expect(replicaSets.get(`${ns}/web`)?.status?.conditions).toHaveLength(1))
          )
          yield* ReplicaSetController.reconciler({ ...context, client })(`${ns}/web`)
          expect((yield* getRs("web")).status?.conditions).toBeUndefined()
          expect((yield* client.list(Pods, { namespace: ns })).items).toHaveLength(2)
        })
      )
  )

  it.effect(
    "converges after random scale changes, pod deletions and readiness flips, never overshooting (property)",
    () => {
      type Step =
        | { readonly _tag: "scale"; readonly replicas: number }
        | { readonly _tag: "delete"; readonly index: number }
        | { readonly _tag: "flip"; readonly index: number }
      const step: fc.Arbitrary<Step> = fc.oneof(
        fc.record({ _tag: fc.constant("scale" as const), replicas: fc.integer({ min: 0, max: 6 }) }),
        fc.record({ _tag: fc.constant("delete" as const), index: fc.nat() }),
        fc.record({ _tag: fc.constant("flip" as const), index: fc.nat() })
      )
      const steps = fc.array(fc.tuple(step, fc.integer({ min: 0, max: 1500 })), { minLength: 1, maxLength: 8 })
      // One cluster and controller for every run (each with its own ReplicaSet), to keep the test fast.
      let runs = 0
      const run = (plan: ReadonlyArray<readonly [Step, number]>) =>
        Effect.gen(function* () {
          const client = yield* Client
          const name = `web${runs++}`
          let replicas = 2
          const rs = yield* client.create(ReplicaSets, replicaSet(name, replicas))
          // Every instant the API passes through: active owned pods after each pod change, by revision.
          const instants: Array<{ readonly revision: number; readonly active: number }> = []
          const active = new Set<string>()
          yield* Effect.forkScoped(
            Stream.runForEach(
              client.watch(Pods, { namespace: ns, resourceVersion: rs.metadata.resourceVersion ?? "" }),
              (e) =>
                Effect.sync(() => {
                  const name = e.object.metadata.name ?? ""
                  const owned = controllerOf(e.object)?.uid === rs.metadata.uid
                  if (e.type !== "DELETED" && owned && isPodActive(e.object)) active.add(name)
                  else active.delete(name)
                  instants.push({ revision: Number(e.object.metadata.resourceVersion), active: active.size })
                })
            )
          )
          // The most pods allowed from a revision on: the largest target the controller may still be
          // acting on, lowered once the API is seen holding exactly the current target.
          const ceilings: Array<{ readonly from: number; readonly ceiling: number }> = [{ from: 0, ceiling: replicas }]
          let ceiling = replicas
          const observe = Effect.gen(function* () {
            const list = yield* client.list(Pods, { namespace: ns })
            const pods = list.items.filter((p) => controllerOf(p)?.uid === rs.metadata.uid && isPodActive(p))
            if (pods.length === replicas && ceiling !== replicas) {
              ceiling = replicas
              ceilings.push({ from: Number(list.metadata.resourceVersion), ceiling })
            }
            return pods
          })
          for (const [s, pause] of plan) {
            const pods = yield* observe
            if (s._tag === "scale") {
              replicas = s.replicas
              const scaled = yield* scale(name, replicas)
              if (replicas > ceiling) {
                ceiling = replicas
                ceilings.push({ from: Number(scaled.metadata.resourceVersion), ceiling })
              }
            } else if (pods.length > 0) {
              const pod = pods[s.index % pods.length]
              if (s._tag === "delete") yield* client.delete(Pods, pod.metadata.name ?? "", { namespace: ns })
              else yield* setReady(pod, pod.status?.conditions?.[0]?.status !== "True")
            }
            yield* TestCluster.settle
            yield* observe
            yield* TestClock.adjust(`${pause} millis`)
          }
          yield* TestCluster.eventually(Effect.map(observe, (pods) => expect(pods).toHaveLength(replicas)))
          // And it stays there.
          yield* TestClock.adjust("10 seconds")
          yield* TestCluster.settle
          expect(yield* observe).toHaveLength(replicas)
          for (const instant of instants) {
            const limit = ceilings.filter((c) => c.from < instant.revision).at(-1)?.ceiling ?? Infinity
            expect(instant.active, `at revision ${instant.revision}`).toBeLessThanOrEqual(limit)
          }
        })
      return cluster(
        Effect.gen(function* () {
          yield* ReplicaSetController.make()
          const runtime = yield* Effect.runtime<Client>()
          yield* Effect.promise(() =>
            fc.assert(
              fc.asyncProperty(steps, (plan) => Runtime.runPromise(runtime)(Effect.scoped(run(plan)))),
              { seed: 42, numRuns: 15 }
            )
          )
        })
      )
    }
  )
})
