/**
 * The ReplicaSet controller (Kubernetes' pkg/controller/replicaset): keeps `spec.replicas` active
 * pods matching each ReplicaSet's selector. It reads only its informers' caches, claims pods by
 * controller reference, creates the missing ones in slow-start batches and deletes the surplus in
 * Kubernetes' ranking, with expectations so a lagging cache never makes it act twice, and writes
 * the status (replicas, fullyLabeled, ready, available after minReadySeconds, terminating).
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Scope from "effect/Scope"
import type { ApiError } from "../api/errors.js"
import * as LabelSelector from "../api/LabelSelector.js"
import type { OwnerReference } from "../api/meta.js"
import { type Pod, Pods } from "../api/Pod.js"
import { type ReplicaSet, ReplicaSets } from "../api/ReplicaSet.js"
import { Client } from "../client/Client.js"
import * as EventRecorder from "../client/EventRecorder.js"
import type { Unreachable } from "../client/Transport.js"
import { byNamespace, byOwnerUid, type Informer, keyOf } from "../informer/Informer.js"
import { SharedInformers } from "../informer/SharedInformers.js"
import * as WorkQueue from "../informer/WorkQueue.js"
import { type KnownBug, KnownBugs } from "../testing/KnownBugs.js"
import * as Controller from "./Controller.js"
import { type AdoptionRefused, candidates, claim, controllerOf, newControllerRef } from "./ControllerRef.js"
import * as Expectations from "./Expectations.js"
import { isPodActive, isPodAvailable, isPodReady, isPodTerminating, millisUntilAvailable } from "./PodConditions.js"
import { podsToDelete } from "./PodRanking.js"
import { rfc3339 } from "../api/time.js"

/** The name on its events and logs. */
export const controllerName = "replicaset-controller"

export interface ReplicaSetControllerOptions {
  /** Concurrent reconciles; default 5 (kube-controller-manager's --concurrent-replicaset-syncs). */
  readonly workers?: number
  /** Most pods created or deleted by one reconcile; default 500. */
  readonly burstReplicas?: number
}

/** The condition set while creating or deleting pods fails. */
export const replicaFailure = "ReplicaFailure"

type ReplicaSetStatus = NonNullable<ReplicaSet["status"]>
type ReplicaSetCondition = NonNullable<ReplicaSetStatus["conditions"]>[number]

/** What a reconcile of a ReplicaSet can fail with (it is then retried with backoff). */
export type ReconcileError = ApiError | Unreachable | AdoptionRefused

/** What a reconcile reads and writes. */
export interface ReconcilerContext {
  readonly client: Client["Type"]
  readonly replicaSets: Informer<ReplicaSet>
  readonly pods: Informer<Pod>
  readonly expectations: Expectations.ControllerExpectations
  readonly recorder: EventRecorder.EventRecorder
  readonly burstReplicas: number
  /** Bugs planted by a test (KnownBugs.ts); none by default. */
  readonly knownBugs?: ReadonlySet<KnownBug>
}

// Objects in the cache are replaced, never mutated, so a parsed selector can live as long as its object.
const parsedSelectors = new WeakMap<object, LabelSelector.Selector | undefined>()

/** The ReplicaSet's selector, parsed; `undefined` when it is absent or invalid (then it selects nothing). */
export const selectorOf = (rs: ReplicaSet): LabelSelector.Selector | undefined => {
  const selector = rs.spec?.selector
  if (selector === undefined) return undefined
  if (!parsedSelectors.has(selector)) {
    parsedSelectors.set(selector, Either.getOrUndefined(LabelSelector.fromLabelSelector(selector)))
  }
  return parsedSelectors.get(selector)
}

/** The ReplicaSet a controller reference names, if the cache holds it with that uid (resolveControllerRef). */
const resolveControllerRef = (
  replicaSets: Informer<ReplicaSet>,
  namespace: string,
  ref: OwnerReference
): ReplicaSet | undefined => {
  if (ref.kind !== ReplicaSets.kind) return undefined
  const rs = replicaSets.get(`${namespace}/${ref.name}`)
  return rs?.metadata.uid === ref.uid ? rs : undefined
}

/** ReplicaSets in the pod's namespace whose non-empty selector matches it (GetPodReplicaSets). */
export const replicaSetsSelecting = (replicaSets: Informer<ReplicaSet>, pod: Pod): ReadonlyArray<ReplicaSet> =>
  replicaSets.byIndex(byNamespace, pod.metadata.namespace ?? "").filter((rs) => {
    const selector = selectorOf(rs)
    return (
      selector !== undefined && !LabelSelector.isEmpty(selector) && LabelSelector.matches(selector, pod.metadata.labels)
    )
  })

/** The pod a ReplicaSet creates (GetPodFromTemplate): the template, a generated name, a controller reference. */
export const podFromTemplate = (rs: ReplicaSet): Pod => {
  const template = rs.spec?.template
  const meta = template?.metadata
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      generateName: `${rs.metadata.name ?? ""}-`,
      namespace: rs.metadata.namespace ?? "default",
      ...(meta?.labels === undefined ? {} : { labels: { ...meta.labels } }),
      ...(meta?.annotations === undefined ? {} : { annotations: { ...meta.annotations } }),
      ...(meta?.finalizers === undefined ? {} : { finalizers: [...meta.finalizers] }),
      ownerReferences: [newControllerRef(rs, ReplicaSets)]
    },
    ...(template?.spec === undefined ? {} : { spec: template.spec })
  }
}

// A create refused because the namespace is going away is not a failure: nothing can be created there.
const namespaceTerminating = (error: ReconcileError): boolean =>
  error._tag === "Forbidden" && (error.details?.causes ?? []).some((cause) => cause.reason === "NamespaceTerminating")

/** Runs `count` calls in batches of 1, 2, 4 …, stopping after a batch with a failure (slowStartBatch). */
const slowStartBatch = <E>(
  count: number,
  call: Effect.Effect<void, E>
): Effect.Effect<{ readonly successes: number; readonly error?: E }> =>
  Effect.gen(function* () {
    let remaining = count
    let successes = 0
    for (let batch = Math.min(remaining, 1); batch > 0; batch = Math.min(2 * batch, remaining)) {
      // A batch of one needs no fiber of its own.
      const results =
        batch === 1
          ? [yield* Effect.either(call)]
          : yield* Effect.all(
              Array.from({ length: batch }, () => Effect.either(call)),
              { concurrency: "unbounded" }
            )
      const failures = results.filter(Either.isLeft)
      successes += batch - failures.length
      if (failures.length > 0) return { successes, error: failures[0].left }
      remaining -= batch
    }
    return { successes }
  })

const sameConditions = (a: ReadonlyArray<ReplicaSetCondition> | undefined, b: ReadonlyArray<ReplicaSetCondition>) =>
  JSON.stringify(a ?? []) === JSON.stringify(b)

/**
 * The status the pods give (calculateStatus): counts, and the ReplicaFailure condition set on a
 * failed create or delete (kept, with its first transition time, while it fails for the same
 * reason) and removed once managing the replicas succeeds. Zero counts are omitted, as Kubernetes
 * does; `terminatingReplicas` is always set.
 */
export const calculateStatus = (
  rs: ReplicaSet,
  active: ReadonlyArray<Pod>,
  terminating: ReadonlyArray<Pod>,
  manageError: ReconcileError | undefined,
  nowMillis: number,
  now: string
): ReplicaSetStatus => {
  const templateLabels = LabelSelector.fromMap(rs.spec?.template?.metadata?.labels ?? {})
  const minReadySeconds = rs.spec?.minReadySeconds ?? 0
  let fullyLabeled = 0
  let ready = 0
  let available = 0
  for (const pod of active) {
    if (LabelSelector.matches(templateLabels, pod.metadata.labels)) fullyLabeled++
    if (isPodReady(pod)) {
      ready++
      if (isPodAvailable(pod, minReadySeconds, nowMillis)) available++
    }
  }
  let conditions = rs.status?.conditions ?? []
  const failure = conditions.find((c) => c.type === replicaFailure)
  if (manageError !== undefined) {
    const diff = active.length - (rs.spec?.replicas ?? 1)
    const reason = diff < 0 ? "FailedCreate" : diff > 0 ? "FailedDelete" : ""
    if (failure === undefined || failure.status !== "True" || failure.reason !== reason) {
      conditions = [
        ...conditions.filter((c) => c.type !== replicaFailure),
        { type: replicaFailure, status: "True", lastTransitionTime: now, reason, message: manageError.message }
      ]
    }
  } else if (failure !== undefined) {
    conditions = conditions.filter((c) => c.type !== replicaFailure)
  }
  return {
    replicas: active.length,
    ...(fullyLabeled === 0 ? {} : { fullyLabeledReplicas: fullyLabeled }),
    ...(ready === 0 ? {} : { readyReplicas: ready }),
    ...(available === 0 ? {} : { availableReplicas: available }),
    terminatingReplicas: terminating.length,
    ...(rs.status?.observedGeneration === undefined ? {} : { observedGeneration: rs.status.observedGeneration }),
    ...(conditions.length === 0 ? {} : { conditions })
  }
}

/** Whether writing `status` would change nothing the controller owns (the steady state). */
const statusUnchanged = (rs: ReplicaSet, status: ReplicaSetStatus): boolean => {
  const old = rs.status
  return (
    (old?.replicas ?? 0) === status.replicas &&
    (old?.fullyLabeledReplicas ?? 0) === (status.fullyLabeledReplicas ?? 0) &&
    (old?.readyReplicas ?? 0) === (status.readyReplicas ?? 0) &&
    (old?.availableReplicas ?? 0) === (status.availableReplicas ?? 0) &&
    old?.terminatingReplicas === status.terminatingReplicas &&
    rs.metadata.generation === old?.observedGeneration &&
    sameConditions(old?.conditions, status.conditions ?? [])
  )
}

/**
 * The reconcile of one ReplicaSet key (syncReplicaSet), over the context's caches. Exported so
 * tests can drive it directly (for example over a cache that lags behind the API).
 */
export const reconciler = (ctx: ReconcilerContext) => {
  const trustsCache = ctx.knownBugs?.has("replicaSetStaleCache") === true
  const ignoresOwnership = ctx.knownBugs?.has("replicaSetIgnoresOwnership") === true
  return (key: string): Effect.Effect<Controller.ReconcileResult, ReconcileError> =>
    Effect.gen(function* () {
      const { client, expectations } = ctx
      const rs = ctx.replicaSets.get(key)
      if (rs === undefined) {
        yield* expectations.deleteExpectations(key)
        return {}
      }
      // Known bug replicaSetStaleCache: acts on what the cache shows, its own creates in flight or not.
      const needsSync = trustsCache || (yield* expectations.satisfied(key))
      const selector = selectorOf(rs)
      if (selector === undefined) {
        yield* Effect.logWarning(`ReplicaSet ${key} has an invalid selector; skipping`)
        return {}
      }
      const namespace = rs.metadata.namespace ?? ""
      const claimable = candidates(ctx.pods, rs)
      const active = ignoresOwnership
        ? // Known bug replicaSetIgnoresOwnership: every active pod the selector matches, whoever controls it.
          ctx.pods
            .byIndex(byNamespace, namespace)
            .filter((pod) => isPodActive(pod) && LabelSelector.matches(selector, pod.metadata.labels))
        : yield* claim(
            client,
            { owner: rs, ownerType: ReplicaSets, ownedType: Pods, selector },
            claimable.filter(isPodActive)
          )
      const terminating = claimable.filter(
        (pod) =>
          isPodTerminating(pod) &&
          controllerOf(pod)?.uid === rs.metadata.uid &&
          LabelSelector.matches(selector, pod.metadata.labels)
      )

      let manageError: ReconcileError | undefined
      if (needsSync && rs.metadata.deletionTimestamp === undefined) {
        const managed = yield* Effect.either(manageReplicas(ctx, key, rs, active))
        if (Either.isLeft(managed)) manageError = managed.left
      }

      const nowMillis = yield* Clock.currentTimeMillis
      const status = calculateStatus(rs, active, terminating, manageError, nowMillis, rfc3339(nowMillis))
      if (!statusUnchanged(rs, status)) yield* writeStatus(client, rs, status)
      if (manageError !== undefined) return yield* Effect.fail(manageError)
      return requeue(rs, active, nowMillis, yield* expectations.expiresIn(key))
    })
}

/** When to look again: once the next ready pod becomes available, or pending expectations expire. */
const requeue = (
  rs: ReplicaSet,
  active: ReadonlyArray<Pod>,
  nowMillis: number,
  expectationsLeft: number | undefined
): Controller.ReconcileResult => {
  const minReadySeconds = rs.spec?.minReadySeconds ?? 0
  let wait = expectationsLeft === undefined ? Infinity : Math.max(expectationsLeft + 1, 1)
  for (const pod of active) {
    const left = millisUntilAvailable(pod, minReadySeconds, nowMillis)
    if (left !== undefined) wait = Math.min(wait, left)
  }
  return wait === Infinity ? {} : { requeueAfter: `${wait} millis` }
}

/** Writes the status (one fresh read and retry on failure, as updateReplicaSetStatus). */
const writeStatus = (
  client: Client["Type"],
  rs: ReplicaSet,
  status: ReplicaSetStatus
): Effect.Effect<ReplicaSet, ApiError | Unreachable> => {
  const withStatus = (current: ReplicaSet): ReplicaSet => ({
    ...current,
    status: {
      ...status,
      ...(rs.metadata.generation === undefined ? {} : { observedGeneration: rs.metadata.generation })
    }
  })
  return client
    .updateStatus(ReplicaSets, withStatus(rs))
    .pipe(
      Effect.catchAll(() =>
        Effect.flatMap(
          client.get(ReplicaSets, rs.metadata.name ?? "", { namespace: rs.metadata.namespace ?? "" }),
          (fresh) => client.updateStatus(ReplicaSets, withStatus(fresh))
        )
      )
    )
}

/** Pods of the ReplicaSets sharing this one's controller (a Deployment's other revisions), for ranking. */
const indirectlyRelatedPods = (ctx: ReconcilerContext, rs: ReplicaSet): ReadonlyArray<Pod> => {
  const owner = controllerOf(rs)
  if (owner === undefined) return []
  const seen = new Set<string>()
  const related: Array<Pod> = []
  for (const sibling of ctx.replicaSets.byIndex(byOwnerUid, owner.uid ?? "")) {
    const selector = selectorOf(sibling)
    if (controllerOf(sibling)?.uid !== owner.uid || selector === undefined) continue
    // Kubernetes lists the namespace by the sibling's selector; a pod another controller owns is not
    // the Deployment's, so only what the sibling may claim is read.
    for (const pod of candidates(ctx.pods, sibling)) {
      const uid = pod.metadata.uid ?? ""
      if (seen.has(uid) || !LabelSelector.matches(selector, pod.metadata.labels)) continue
      seen.add(uid)
      related.push(pod)
    }
  }
  return related
}

/** Creates or deletes pods to close the gap to `spec.replicas`, at most `burstReplicas` (manageReplicas). */
const manageReplicas = (
  ctx: ReconcilerContext,
  key: string,
  rs: ReplicaSet,
  active: ReadonlyArray<Pod>
): Effect.Effect<void, ReconcileError> =>
  Effect.gen(function* () {
    const { client, expectations, recorder } = ctx
    const namespace = rs.metadata.namespace ?? "default"
    const diff = active.length - (rs.spec?.replicas ?? 1)
    if (diff < 0) {
      const count = Math.min(-diff, ctx.burstReplicas)
      // Expect first: the informer may deliver a new pod before its create call returns.
      yield* expectations.expectCreations(key, count)
      const createPod = client.create(Pods, podFromTemplate(rs), { namespace }).pipe(
        Effect.flatMap((pod) => recorder.event(rs, "Normal", "SuccessfulCreate", `Created pod: ${pod.metadata.name}`)),
        Effect.catchAll((error) =>
          namespaceTerminating(error)
            ? Effect.void
            : Effect.zipRight(
                recorder.event(rs, "Warning", "FailedCreate", `Error creating: ${error.message}`),
                Effect.fail(error)
              )
        )
      )
      const { successes, error } = yield* slowStartBatch(count, createPod)
      // The informer will never see the skipped creates.
      for (let i = successes; i < count; i++) yield* expectations.creationObserved(key)
      if (error !== undefined) return yield* Effect.fail(error)
    } else if (diff > 0) {
      const count = Math.min(diff, ctx.burstReplicas)
      const nowMillis = yield* Clock.currentTimeMillis
      const victims = podsToDelete(active, indirectlyRelatedPods(ctx, rs), count, nowMillis)
      yield* expectations.expectDeletions(key, victims.map(keyOf))
      const deletePod = (pod: Pod) =>
        client.delete(Pods, pod.metadata.name ?? "", { namespace }).pipe(
          Effect.zipRight(recorder.event(rs, "Normal", "SuccessfulDelete", `Deleted pod: ${pod.metadata.name}`)),
          Effect.catchAll((error) =>
            // The informer will never see a deletion that did not happen.
            Effect.zipRight(
              expectations.deletionObserved(key, keyOf(pod)),
              error._tag === "NotFound"
                ? Effect.void
                : Effect.zipRight(
                    recorder.event(rs, "Warning", "FailedDelete", `Error deleting: ${error.message}`),
                    Effect.fail(error)
                  )
            )
          )
        )
      const results =
        victims.length === 1
          ? [yield* Effect.either(deletePod(victims[0]!))]
          : yield* Effect.all(
              victims.map((pod) => Effect.either(deletePod(pod))),
              { concurrency: "unbounded" }
            )
      const failed = results.find(Either.isLeft)
      if (failed !== undefined) return yield* Effect.fail(failed.left)
    }
  })

const sameLabels = (a: Pod, b: Pod) =>
  JSON.stringify(a.metadata.labels ?? {}) === JSON.stringify(b.metadata.labels ?? {})

const sameRef = (a: OwnerReference | undefined, b: OwnerReference | undefined) =>
  a?.uid === b?.uid && a?.name === b?.name && a?.kind === b?.kind && a?.apiVersion === b?.apiVersion

/**
 * Starts the ReplicaSet controller in the current scope: informer handlers that map pod events
 * to their ReplicaSet (an orphan to every ReplicaSet that could adopt it) and record what
 * expectations wait for, and `workers` reconcile loops once the caches have synced.
 */
export const make = (
  options: ReplicaSetControllerOptions = {}
): Effect.Effect<void, never, Client | SharedInformers | Scope.Scope> =>
  Effect.gen(function* () {
    const client = yield* Client
    const informers = yield* SharedInformers
    const replicaSets = yield* informers.informer(ReplicaSets)
    const pods = yield* informers.informer(Pods)
    const expectations = yield* Expectations.make
    const recorder = yield* EventRecorder.make(controllerName)
    const queue = yield* WorkQueue.make()
    const enqueue = (rs: ReplicaSet) => queue.add(keyOf(rs))

    const podDeleted = (pod: Pod): Effect.Effect<void> => {
      const ref = controllerOf(pod)
      const rs = ref === undefined ? undefined : resolveControllerRef(replicaSets, pod.metadata.namespace ?? "", ref)
      if (rs === undefined) return Effect.void
      return Effect.zipRight(expectations.deletionObserved(keyOf(rs), keyOf(pod)), enqueue(rs))
    }
    const enqueueSelecting = (pod: Pod) => Effect.forEach(replicaSetsSelecting(replicaSets, pod), enqueue)

    yield* replicaSets.addHandler({
      onAdd: enqueue,
      onUpdate: (old, rs) =>
        Effect.zipRight(
          // Replaced by another object of the same name: the old one's expectations are void.
          old.metadata.uid === rs.metadata.uid ? Effect.void : expectations.deleteExpectations(keyOf(old)),
          enqueue(rs)
        ),
      onDelete: (rs) => Effect.zipRight(expectations.deleteExpectations(keyOf(rs)), enqueue(rs))
    })
    yield* pods.addHandler({
      onAdd: (pod) => {
        // Seen for the first time already being deleted (after a restart): count it as a deletion.
        if (pod.metadata.deletionTimestamp !== undefined) return podDeleted(pod)
        const ref = controllerOf(pod)
        if (ref === undefined) return enqueueSelecting(pod)
        const rs = resolveControllerRef(replicaSets, pod.metadata.namespace ?? "", ref)
        if (rs === undefined) return Effect.void
        return Effect.zipRight(expectations.creationObserved(keyOf(rs)), enqueue(rs))
      },
      onUpdate: (old, pod) =>
        Effect.gen(function* () {
          // A resync: nothing changed.
          if (old.metadata.resourceVersion === pod.metadata.resourceVersion) return
          const labelsChanged = !sameLabels(old, pod)
          if (pod.metadata.deletionTimestamp !== undefined) {
            yield* podDeleted(pod)
            if (labelsChanged) yield* podDeleted(old)
            return
          }
          const ref = controllerOf(pod)
          const oldRef = controllerOf(old)
          const refChanged = !sameRef(ref, oldRef)
          if (refChanged && oldRef !== undefined) {
            const previous = resolveControllerRef(replicaSets, old.metadata.namespace ?? "", oldRef)
            if (previous !== undefined) yield* enqueue(previous)
          }
          if (ref !== undefined) {
            const rs = resolveControllerRef(replicaSets, pod.metadata.namespace ?? "", ref)
            if (rs !== undefined) yield* enqueue(rs)
            return
          }
          if (labelsChanged || refChanged) yield* enqueueSelecting(pod)
        }),
      onDelete: podDeleted
    })

    yield* Effect.all([replicaSets.waitForSync, pods.waitForSync])
    yield* Controller.run(
      { name: controllerName, workers: options.workers ?? 5, queue },
      reconciler({
        client,
        replicaSets,
        pods,
        expectations,
        recorder,
        burstReplicas: options.burstReplicas ?? 500,
        knownBugs: yield* KnownBugs
      })
    )
  }).pipe(Effect.annotateLogs({ component: controllerName }))
