/**
 * The Deployment controller (Kubernetes' pkg/controller/deployment): rolls a Deployment's pods
 * out through ReplicaSets — one per pod template, named `<deployment>-<pod-template-hash>` — with
 * the RollingUpdate or Recreate strategy, scales them proportionally when `replicas` changes
 * mid-rollout, keeps `revisionHistoryLimit` old ones for rollback, and writes the status and the
 * Available/Progressing conditions. It reads only its informers' caches; the ReplicaSet
 * controller makes the pods.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Scope from "effect/Scope"
import { type Deployment, type DeploymentStatus, Deployments } from "../api/Deployment.js"
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
import { isRollingUpdate, replicasOf } from "./deployment/Fenceposts.js"
import * as PodTemplateHash from "./deployment/PodTemplateHash.js"
import * as Progress from "./deployment/Progress.js"
import * as Recreate from "./deployment/Recreate.js"
import * as ReplicaSetList from "./deployment/ReplicaSets.js"
import * as Revision from "./deployment/Revision.js"
import * as Rolling from "./deployment/Rolling.js"
import * as Scale from "./deployment/Scale.js"
import * as Semantic from "./deployment/Semantic.js"

/** The name on its events and logs. */
export const controllerName = "deployment-controller"

export interface DeploymentControllerOptions {
  /** Concurrent reconciles; default 5 (kube-controller-manager's --concurrent-deployment-syncs). */
  readonly workers?: number
}

/** What a reconcile of a Deployment can fail with (it is then retried with backoff). */
export type ReconcileError = ApiError | Unreachable | AdoptionRefused

/** What a reconcile reads and writes. */
export interface ReconcilerContext {
  readonly client: Client["Type"]
  readonly deployments: Informer<Deployment>
  readonly replicaSets: Informer<ReplicaSet>
  readonly pods: Informer<Pod>
  readonly recorder: EventRecorder.EventRecorder
  /** Bugs planted by a test (KnownBugs.ts); none by default. */
  readonly knownBugs?: ReadonlySet<KnownBug>
}

// Objects in the cache are replaced, never mutated, so a parsed selector can live as long as its object.
const parsedSelectors = new WeakMap<object, LabelSelector.Selector | undefined>()

/** The Deployment's selector, parsed; `undefined` when absent or invalid (then it selects nothing). */
const selectorOf = (d: Deployment): LabelSelector.Selector | undefined => {
  const selector = d.spec?.selector
  if (selector === undefined) return undefined
  if (!parsedSelectors.has(selector)) {
    parsedSelectors.set(selector, Either.getOrUndefined(LabelSelector.fromLabelSelector(selector)))
  }
  return parsedSelectors.get(selector)
}

/** Deployments in the ReplicaSet's namespace whose non-empty selector matches it (getDeploymentsForReplicaSet). */
const deploymentsSelecting = (deployments: Informer<Deployment>, rs: ReplicaSet): ReadonlyArray<Deployment> =>
  deployments.byIndex(byNamespace, rs.metadata.namespace ?? "").filter((d) => {
    const selector = selectorOf(d)
    return (
      selector !== undefined && !LabelSelector.isEmpty(selector) && LabelSelector.matches(selector, rs.metadata.labels)
    )
  })

/** The Deployment a controller reference names, if the cache holds it with that uid. */
const resolveControllerRef = (
  deployments: Informer<Deployment>,
  namespace: string,
  ref: OwnerReference | undefined
): Deployment | undefined => {
  if (ref?.kind !== Deployments.kind) return undefined
  const d = deployments.get(`${namespace}/${ref.name}`)
  return d?.metadata.uid === ref.uid ? d : undefined
}

const nameOf = (obj: { readonly metadata: { readonly name?: string | undefined } }) => obj.metadata.name ?? ""

/** The pods of each ReplicaSet, by its uid (getPodMapForDeployment). */
const podsByReplicaSet = (
  pods: Informer<Pod>,
  selector: LabelSelector.Selector,
  rsList: ReadonlyArray<ReplicaSet>
): Recreate.PodsByReplicaSet =>
  new Map(
    rsList.map((rs) => {
      const uid = rs.metadata.uid ?? ""
      const owned = pods
        .byIndex(byOwnerUid, uid)
        .filter((pod) => controllerOf(pod)?.uid === uid && LabelSelector.matches(selector, pod.metadata.labels))
      return [uid, owned] as const
    })
  )

/** The ReplicaSet the Deployment's template asks for, before its size and revision are set. */
const newReplicaSetFor = (d: Deployment, hash: string): ReplicaSet => {
  const template = PodTemplateHash.addLabel(d.spec?.template ?? {}, hash)
  const selector = d.spec?.selector ?? {}
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      // A name from the hash makes creating it idempotent.
      name: `${nameOf(d)}-${hash}`,
      namespace: d.metadata.namespace ?? "default",
      ownerReferences: [newControllerRef(d, Deployments)],
      ...(template.metadata?.labels === undefined ? {} : { labels: template.metadata.labels })
    },
    spec: {
      replicas: 0,
      minReadySeconds: d.spec?.minReadySeconds ?? 0,
      selector: { ...selector, matchLabels: { ...selector.matchLabels, [PodTemplateHash.label]: hash } },
      template
    }
  }
}

/** The Deployment's ReplicaSets: the new one (if any) and the old ones. */
interface Found {
  readonly newRS: ReplicaSet | undefined
  readonly oldRSs: ReadonlyArray<ReplicaSet>
}

/**
 * One sync of one Deployment (syncDeployment and what it calls). `d` follows the Deployment
 * through its own status writes, so later writes in the same sync do not conflict with earlier ones.
 */
const sync = (
  ctx: ReconcilerContext,
  initial: Deployment,
  selector: LabelSelector.Selector,
  written: (replaced: Deployment, latest: Deployment) => void,
  ignoresMaxSurge: boolean
) => {
  const { client, recorder } = ctx
  let d = initial
  let nowMillis = 0
  const namespace = d.metadata.namespace ?? "default"

  const writeStatus = (status: DeploymentStatus, from: Deployment = d) =>
    Effect.map(client.updateStatus(Deployments, { ...from, status }), (updated) => {
      d = updated
      written(from, updated)
    })

  /** Scales one ReplicaSet and refreshes its desired/max annotations (scaleReplicaSet). */
  const scaleReplicaSet = (rs: ReplicaSet, replicas: number) =>
    Effect.gen(function* () {
      const oldScale = ReplicaSetList.specReplicas(rs)
      const sizeChanged = oldScale !== replicas
      if (!sizeChanged && !Revision.replicasAnnotationsNeedUpdate(rs, d)) return { scaled: false, rs }
      const annotated = Revision.setReplicasAnnotations(rs, d)
      const updated = yield* client.update(ReplicaSets, { ...annotated, spec: { ...annotated.spec, replicas } })
      if (sizeChanged) {
        const direction = oldScale < replicas ? "up" : "down"
        yield* recorder.event(
          d,
          "Normal",
          "ScalingReplicaSet",
          `Scaled ${direction} replica set ${nameOf(rs)} from ${oldScale} to ${replicas}`
        )
      }
      return { scaled: sizeChanged, rs: updated }
    })

  /** Scales only when the size differs (scaleReplicaSetAndRecordEvent). */
  const scaleIfNeeded = (rs: ReplicaSet, replicas: number) =>
    ReplicaSetList.specReplicas(rs) === replicas ? Effect.succeed({ scaled: false, rs }) : scaleReplicaSet(rs, replicas)

  /** Creates the new ReplicaSet (the create half of getNewReplicaSet). */
  const createNewReplicaSet = (oldRSs: ReadonlyArray<ReplicaSet>) =>
    Effect.gen(function* () {
      const revision = Revision.maxRevision(oldRSs) + 1
      const hash = PodTemplateHash.compute(d.spec?.template ?? {}, d.status?.collisionCount)
      const unsized = newReplicaSetFor(d, hash)
      const replicas = Rolling.newReplicaSetReplicas(d, [...oldRSs, unsized], unsized)
      const proposed = Revision.setNewReplicaSetAnnotations(
        d,
        { ...unsized, spec: { ...unsized.spec, replicas } },
        revision,
        false
      ).rs
      const created = yield* client.create(ReplicaSets, proposed, { namespace }).pipe(
        Effect.map((rs) => ({ rs, alreadyExisted: false })),
        Effect.catchTag("AlreadyExists", (error) =>
          // A slow cache, or a hash collision with a ReplicaSet of another template.
          Effect.flatMap(client.get(ReplicaSets, nameOf(proposed), { namespace }), (existing) => {
            if (
              controllerOf(existing)?.uid === d.metadata.uid &&
              PodTemplateHash.equalIgnoreHash(d.spec?.template, existing.spec?.template)
            ) {
              return Effect.succeed({ rs: existing, alreadyExisted: true })
            }
            const collisionCount = (d.status?.collisionCount ?? 0) + 1
            return Effect.zipRight(
              Effect.zipRight(
                writeStatus({ ...d.status, collisionCount }),
                Effect.logInfo(`hash collision on ${nameOf(proposed)}: collisionCount now ${collisionCount}`)
              ),
              Effect.fail(error)
            )
          })
        ),
        Effect.tapError((error) => {
          if (error._tag === "AlreadyExists" || isNamespaceTerminating(error)) return Effect.void
          const message = `Failed to create new replica set "${nameOf(proposed)}": ${error.message}`
          const reported = Progress.hasProgressDeadline(d)
            ? Effect.ignore(
                writeStatus(
                  Progress.setCondition(
                    d.status ?? {},
                    Progress.condition(
                      Progress.Progressing,
                      "False",
                      Progress.reasons.replicaSetCreateError,
                      message,
                      nowMillis
                    )
                  )
                )
              )
            : Effect.void
          return Effect.zipRight(
            reported,
            recorder.event(d, "Warning", Progress.reasons.replicaSetCreateError, message)
          )
        })
      )
      if (!created.alreadyExisted && replicas > 0) {
        yield* recorder.event(
          d,
          "Normal",
          "ScalingReplicaSet",
          `Scaled up replica set ${nameOf(created.rs)} from 0 to ${replicas}`
        )
      }
      const withRevision = Revision.setDeploymentRevision(d, String(revision)) ?? d
      let status = d.status ?? {}
      if (!created.alreadyExisted && Progress.hasProgressDeadline(d)) {
        status = Progress.setCondition(
          status,
          Progress.condition(
            Progress.Progressing,
            "True",
            Progress.reasons.newReplicaSetCreated,
            `Created new replica set "${nameOf(created.rs)}"`,
            nowMillis
          )
        )
      }
      if (withRevision !== d || status !== d.status) yield* writeStatus(status, withRevision)
      return created.rs
    })

  /**
   * The new ReplicaSet, if it exists, with its revision synced, and the old ones
   * (getAllReplicaSetsAndSyncRevision without creating).
   */
  const replicaSetsAndSyncRevision = (rsList: ReadonlyArray<ReplicaSet>) =>
    Effect.gen(function* () {
      const existing = ReplicaSetList.findNew(d, rsList)
      const oldRSs = ReplicaSetList.findOld(rsList, existing)
      if (existing === undefined) return { newRS: undefined, oldRSs }
      const revision = Revision.maxRevision(oldRSs) + 1
      const { rs: annotated, changed } = Revision.setNewReplicaSetAnnotations(d, existing, revision, true)
      const minReadySeconds = d.spec?.minReadySeconds ?? 0
      if (changed || (existing.spec?.minReadySeconds ?? 0) !== minReadySeconds) {
        const updated = yield* client.update(ReplicaSets, {
          ...annotated,
          spec: { ...annotated.spec, minReadySeconds }
        })
        return { newRS: updated, oldRSs }
      }
      // The ReplicaSet's revision is the more reliable one: the Deployment's may have failed to update.
      const withRevision = Revision.setDeploymentRevision(d, String(Revision.revisionOf(existing))) ?? d
      let status = d.status ?? {}
      if (Progress.hasProgressDeadline(d) && Progress.getCondition(status, Progress.Progressing) === undefined) {
        status = Progress.setCondition(
          status,
          Progress.condition(
            Progress.Progressing,
            "True",
            Progress.reasons.foundNewReplicaSet,
            `Found new replica set "${nameOf(existing)}"`,
            nowMillis
          )
        )
      }
      if (withRevision !== d || status !== d.status) yield* writeStatus(status, withRevision)
      return { newRS: existing, oldRSs }
    })

  const allOf = (newRS: ReplicaSet | undefined, oldRSs: ReadonlyArray<ReplicaSet>) =>
    newRS === undefined ? oldRSs : [...oldRSs, newRS]

  /** Writes the status when it changed (syncDeploymentStatus). */
  const syncStatus = (all: ReadonlyArray<ReplicaSet>, newRS: ReplicaSet | undefined) => {
    const status = Progress.calculateStatus(all, newRS, d, nowMillis)
    return Semantic.equal(d.status, status) ? Effect.void : writeStatus(status)
  }

  /**
   * Writes the rollout status with its Progressing estimate (syncRolloutStatus); when nothing
   * changed, asks to look again once the progress deadline may have passed.
   */
  const syncRolloutStatus = (all: ReadonlyArray<ReplicaSet>, newRS: ReplicaSet | undefined) =>
    Effect.gen(function* () {
      const status = Progress.rolloutStatus(all, newRS, d, nowMillis)
      if (!Semantic.equal(d.status, status)) {
        yield* writeStatus(status)
        return {}
      }
      const after = Progress.progressCheckAfterMillis(d, status, nowMillis)
      return after === undefined ? {} : { requeueAfter: `${after} millis` }
    })

  /** Deletes old ReplicaSets beyond revisionHistoryLimit (cleanupDeployment). */
  const cleanup = (oldRSs: ReadonlyArray<ReplicaSet>) =>
    Effect.forEach(
      Revision.toCleanUp(d, oldRSs),
      (rs) =>
        client.delete(ReplicaSets, nameOf(rs), { namespace }).pipe(
          Effect.asVoid,
          Effect.catchTag("NotFound", () => Effect.void)
        ),
      { discard: true }
    )

  /** Scaling only, for a paused Deployment or a change of replicas (sync). */
  const scaleOnly = ({ newRS, oldRSs }: Found) =>
    Effect.gen(function* () {
      for (const step of Scale.plan(d, newRS, oldRSs)) yield* scaleReplicaSet(step.rs, step.replicas)
      if (d.spec?.paused === true) yield* cleanup(oldRSs)
      yield* syncStatus(allOf(newRS, oldRSs), newRS)
      return {}
    })

  /** RollingUpdate (rolloutRolling): grow the new ReplicaSet, else shrink old ones, then status. */
  const rolloutRolling = ({ newRS: existing, oldRSs }: Found) =>
    Effect.gen(function* () {
      const newRS = existing ?? (yield* createNewReplicaSet(oldRSs))
      const all = allOf(newRS, oldRSs)
      const replicas = replicasOf(d)
      const newSize = ReplicaSetList.specReplicas(newRS)
      if (newSize !== replicas) {
        // Known bug deploymentIgnoresMaxSurge: the new ReplicaSet goes to full size at once.
        const target = newSize > replicas || ignoresMaxSurge ? replicas : Rolling.newReplicaSetReplicas(d, all, newRS)
        const { scaled } = yield* scaleIfNeeded(newRS, target)
        if (scaled) return yield* syncRolloutStatus(all, newRS)
      }
      let scaledDown = false
      for (const step of Rolling.scaleDownOld(d, all, ReplicaSetList.active(oldRSs), newRS)) {
        const { scaled } = yield* scaleIfNeeded(step.rs, step.replicas)
        scaledDown = scaledDown || scaled
      }
      if (scaledDown) return yield* syncRolloutStatus(all, newRS)
      if (Progress.isComplete(d, d.status ?? {})) yield* cleanup(oldRSs)
      return yield* syncRolloutStatus(all, newRS)
    })

  /** Recreate (rolloutRecreate): old ReplicaSets to zero, wait for their pods to go, then the new one. */
  const rolloutRecreate = ({ newRS: existing, oldRSs }: Found, rsList: ReadonlyArray<ReplicaSet>) =>
    Effect.gen(function* () {
      let scaledDown = false
      for (const rs of ReplicaSetList.active(oldRSs)) {
        const { scaled } = yield* scaleIfNeeded(rs, 0)
        scaledDown = scaledDown || scaled
      }
      if (scaledDown || Recreate.oldPodsRunning(existing, oldRSs, podsByReplicaSet(ctx.pods, selector, rsList))) {
        return yield* syncRolloutStatus(allOf(existing, oldRSs), existing)
      }
      // Created only now: earlier, it would have scaled up before the old pods were gone.
      const newRS = existing ?? (yield* createNewReplicaSet(oldRSs))
      yield* scaleIfNeeded(newRS, replicasOf(d))
      if (Progress.isComplete(d, d.status ?? {})) yield* cleanup(oldRSs)
      return yield* syncRolloutStatus(allOf(newRS, oldRSs), newRS)
    })

  return Effect.gen(function* () {
    nowMillis = yield* Clock.currentTimeMillis
    const rsList = yield* claim(
      client,
      { owner: d, ownerType: Deployments, ownedType: ReplicaSets, selector },
      candidates(ctx.replicaSets, d)
    )
    if (d.metadata.deletionTimestamp !== undefined) {
      // Being deleted: the garbage collector removes the ReplicaSets; only the status is kept true.
      const { newRS, oldRSs } = yield* replicaSetsAndSyncRevision(rsList)
      yield* syncStatus(allOf(newRS, oldRSs), newRS)
      return {}
    }
    const paused = Progress.pausedStatus(d, nowMillis)
    if (paused !== undefined) yield* writeStatus(paused)
    const found = yield* replicaSetsAndSyncRevision(rsList)
    if (d.spec?.paused === true || Scale.isScalingEvent(d, allOf(found.newRS, found.oldRSs))) {
      return yield* scaleOnly(found)
    }
    return yield* isRollingUpdate(d) ? rolloutRolling(found) : rolloutRecreate(found, rsList)
  })
}

// Creating in a namespace being deleted fails, and will until it is gone: nothing to report.
const isNamespaceTerminating = (error: ReconcileError): boolean =>
  error._tag === "Forbidden" && (error.details?.causes ?? []).some((cause) => cause.reason === "NamespaceTerminating")

/** The Deployment as this controller last wrote it, and the resourceVersions its writes replaced. */
interface OwnWrite {
  readonly replaced: Set<string>
  latest: Deployment
}

/**
 * The reconcile of one Deployment key (syncDeployment), over the context's caches. Exported so
 * tests can drive it directly.
 */
export const reconciler = (ctx: ReconcilerContext) => {
  const ignoresMaxSurge = ctx.knownBugs?.has("deploymentIgnoresMaxSurge") === true
  // A reconcile right after this controller's own status write may still find a version it
  // replaced in the cache; it uses what it wrote instead of failing on a conflict.
  const ownWrites = new Map<string, OwnWrite>()
  const current = (key: string): Deployment | undefined => {
    const cached = ctx.deployments.get(key)
    const own = ownWrites.get(key)
    if (own !== undefined && own.replaced.has(cached?.metadata.resourceVersion ?? "")) return own.latest
    ownWrites.delete(key)
    return cached
  }
  const written = (key: string) => (replaced: Deployment, latest: Deployment) => {
    const own = ownWrites.get(key) ?? { replaced: new Set<string>(), latest }
    own.replaced.add(replaced.metadata.resourceVersion ?? "")
    own.latest = latest
    ownWrites.set(key, own)
  }
  return (key: string): Effect.Effect<Controller.ReconcileResult, ReconcileError> =>
    Effect.gen(function* () {
      const d = current(key)
      if (d === undefined) return {}
      const selector = selectorOf(d)
      if (selector === undefined) {
        yield* Effect.logWarning(`Deployment ${key} has an invalid selector; skipping`)
        return {}
      }
      if (LabelSelector.isEmpty(selector)) {
        yield* ctx.recorder.event(
          d,
          "Warning",
          "SelectingAll",
          "This deployment is selecting all pods. A non-empty selector is required."
        )
        const generation = d.metadata.generation ?? 0
        if ((d.status?.observedGeneration ?? 0) < generation) {
          yield* ctx.client.updateStatus(Deployments, { ...d, status: { ...d.status, observedGeneration: generation } })
        }
        return {}
      }
      return yield* sync(ctx, d, selector, written(key), ignoresMaxSurge)
    })
}

const sameLabels = (a: ReplicaSet, b: ReplicaSet) => Semantic.equal(a.metadata.labels, b.metadata.labels)

const sameRef = (a: OwnerReference | undefined, b: OwnerReference | undefined) =>
  a?.uid === b?.uid && a?.name === b?.name && a?.kind === b?.kind

/**
 * Starts the Deployment controller in the current scope: handlers that map ReplicaSet events to
 * their Deployment (an orphan to every Deployment that could adopt it) and a deleted pod to the
 * Deployment of its ReplicaSet (Recreate waits for those), and `workers` reconcile loops once
 * the caches have synced.
 */
export const make = (
  options: DeploymentControllerOptions = {}
): Effect.Effect<void, never, Client | SharedInformers | Scope.Scope> =>
  Effect.gen(function* () {
    const client = yield* Client
    const informers = yield* SharedInformers
    const deployments = yield* informers.informer(Deployments)
    const replicaSets = yield* informers.informer(ReplicaSets)
    const pods = yield* informers.informer(Pods)
    const recorder = yield* EventRecorder.make(controllerName)
    const queue = yield* WorkQueue.make()
    const enqueue = (d: Deployment) => queue.add(keyOf(d))
    const enqueueOwner = (rs: ReplicaSet) => {
      const d = resolveControllerRef(deployments, rs.metadata.namespace ?? "", controllerOf(rs))
      return d === undefined ? Effect.void : enqueue(d)
    }
    const enqueueSelecting = (rs: ReplicaSet) => Effect.forEach(deploymentsSelecting(deployments, rs), enqueue)

    yield* deployments.addHandler(Controller.enqueueHandler(queue))
    yield* replicaSets.addHandler({
      onAdd: (rs) =>
        rs.metadata.deletionTimestamp !== undefined || controllerOf(rs) !== undefined
          ? enqueueOwner(rs)
          : enqueueSelecting(rs),
      onUpdate: (old, rs) =>
        Effect.gen(function* () {
          // A resync: nothing changed.
          if (old.metadata.resourceVersion === rs.metadata.resourceVersion) return
          const ref = controllerOf(rs)
          const refChanged = !sameRef(ref, controllerOf(old))
          if (refChanged) yield* enqueueOwner(old)
          if (ref !== undefined) return yield* enqueueOwner(rs)
          if (refChanged || !sameLabels(old, rs)) yield* enqueueSelecting(rs)
        }),
      onDelete: enqueueOwner
    })
    yield* pods.addHandler({
      onDelete: (pod) => {
        const ref = controllerOf(pod)
        const rs =
          ref?.kind === ReplicaSets.kind ? replicaSets.get(`${pod.metadata.namespace ?? ""}/${ref.name}`) : undefined
        if (rs === undefined || rs.metadata.uid !== ref?.uid) return Effect.void
        const d = resolveControllerRef(deployments, rs.metadata.namespace ?? "", controllerOf(rs))
        return d === undefined || isRollingUpdate(d) ? Effect.void : enqueue(d)
      }
    })

    yield* Effect.all([deployments.waitForSync, replicaSets.waitForSync, pods.waitForSync])
    yield* Controller.run(
      { name: controllerName, workers: options.workers ?? 5, queue },
      reconciler({ client, deployments, replicaSets, pods, recorder, knownBugs: yield* KnownBugs })
    )
  }).pipe(Effect.annotateLogs({ component: controllerName }))
