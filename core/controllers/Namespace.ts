/**
 * The namespace controller (Kubernetes' pkg/controller/namespace): a namespace being deleted is
 * emptied of every namespaced object, waits until they are gone (graceful pods, finalizers), then
 * loses its `kubernetes` finalizer through the `finalize` subresource, and the API server removes it.
 * Its status carries Kubernetes' deletion conditions (content remaining, finalizers remaining…).
 */
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { ApiError } from "../api/errors.js"
import type { KubeObject } from "../api/meta.js"
import { type Namespace, Namespaces } from "../api/Namespace.js"
import { type Pod, Pods } from "../api/Pod.js"
import { resources } from "../api/registry.js"
import type { ResourceType } from "../api/resource.js"
import { Client, collectionPath, objectPath } from "../client/Client.js"
import type { Unreachable } from "../client/Transport.js"
import { SharedInformers } from "../informer/SharedInformers.js"
import * as WorkQueue from "../informer/WorkQueue.js"
import * as Controller from "./Controller.js"
import { now } from "../api/time.js"

/** The spec finalizer this controller owns. */
export const finalizerToken = "kubernetes"

/** kube-controller-manager's --concurrent-namespace-syncs. */
const workers = 10

/** Kubernetes waits this long after a namespace event, so every API server has seen the deletion first. */
const deletionGracePeriod = "5 seconds"

/** How long objects held by finalizers are expected to take (Kubernetes' `finalizerEstimateSeconds`). */
const finalizerEstimateSeconds = 15

/** Deleting the namespace's content failed, or objects without finalizers survived their deletion. */
export class ContentDeletionFailed extends Data.TaggedError("ContentDeletionFailed")<{ readonly message: string }> {}

type Failure = ApiError | Unreachable | ContentDeletionFailed
type NamespaceCondition = NonNullable<NonNullable<Namespace["status"]>["conditions"]>[number]

/** What is left of one resource type after deleting all of it (`gvrDeletionMetadata`). */
interface Remaining {
  readonly resource: ResourceType<KubeObject>
  /** Seconds to wait before looking again; 0 when nothing is left. */
  readonly estimate: number
  readonly count: number
  readonly finalizers: ReadonlyMap<string, number>
}

/** The outcome of `deleteAllContent`. */
interface Content {
  readonly estimate: number
  readonly remaining: ReadonlyArray<Remaining>
  readonly errors: ReadonlyArray<string>
}

const namespaced = resources.filter((rt) => rt.namespaced)

const gvr = (rt: ResourceType<KubeObject>) => `${rt.group}/${rt.version}, Resource=${rt.plural}`

/** The deletion conditions in Kubernetes' order, each with its "all is well" variant. */
const conditionTypes: ReadonlyArray<readonly [type: string, reason: string, message: string]> = [
  ["NamespaceDeletionDiscoveryFailure", "ResourcesDiscovered", "All resources successfully discovered"],
  ["NamespaceDeletionGroupVersionParsingFailure", "ParsedGroupVersions", "All legacy kube types successfully parsed"],
  [
    "NamespaceDeletionContentFailure",
    "ContentDeleted",
    "All content successfully deleted, may be waiting on finalization"
  ],
  ["NamespaceContentRemaining", "ContentRemoved", "All content successfully removed"],
  ["NamespaceFinalizersRemaining", "ContentHasNoFinalizers", "All content-preserving finalizers finished"]
]

/** The failing variants the content calls for (`namespaceConditionUpdater`). */
const failures = (content: Content): ReadonlyMap<string, readonly [reason: string, message: string]> => {
  const found = new Map<string, readonly [string, string]>()
  if (content.errors.length > 0) {
    const errors = content.errors.length === 1 ? content.errors[0]! : `[${content.errors.join(", ")}]`
    found.set("NamespaceDeletionContentFailure", [
      "ContentDeletionFailed",
      `Failed to delete all resource types, ${content.errors.length} remaining: ${errors}`
    ])
  }
  const left = content.remaining
    .filter((r) => r.count > 0)
    .map((r) => `${r.resource.plural}.${r.resource.group} has ${r.count} resource instances`)
    .sort()
  if (left.length > 0)
    found.set("NamespaceContentRemaining", ["SomeResourcesRemain", `Some resources are remaining: ${left.join(", ")}`])
  const byFinalizer = new Map<string, number>()
  for (const r of content.remaining)
    for (const [finalizer, n] of r.finalizers) byFinalizer.set(finalizer, (byFinalizer.get(finalizer) ?? 0) + n)
  const held = [...byFinalizer].map(([finalizer, n]) => `${finalizer} in ${n} resource instances`).sort()
  if (held.length > 0)
    found.set("NamespaceFinalizersRemaining", [
      "SomeFinalizersRemain",
      `Some content in the namespace has finalizers remaining: ${held.join(", ")}`
    ])
  return found
}

/** The namespace's conditions updated for `content`, or undefined when none changed. */
const withConditions = (ns: Namespace, content: Content, at: string): Namespace | undefined => {
  const failing = failures(content)
  const conditions = [...(ns.status?.conditions ?? [])]
  let changed = false
  for (const [type, okReason, okMessage] of conditionTypes) {
    const [reason, message] = failing.get(type) ?? [okReason, okMessage]
    const next: NamespaceCondition = {
      type,
      status: failing.has(type) ? "True" : "False",
      lastTransitionTime: at,
      reason,
      message
    }
    const i = conditions.findIndex((c) => c.type === type)
    const old = conditions[i]
    if (old !== undefined && old.status === next.status && old.reason === reason && old.message === message) continue
    if (old === undefined) conditions.push(next)
    else conditions[i] = next
    changed = true
  }
  return changed ? { ...ns, status: { ...ns.status, conditions } } : undefined
}

/** The longest grace period among the namespace's running pods (`estimateGracefulTerminationForPods`). */
const podsEstimate = (pods: ReadonlyArray<Pod>): number =>
  pods
    .filter((p) => p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed")
    .reduce((max, p) => Math.max(max, p.spec?.terminationGracePeriodSeconds ?? 0), 0)

const isConflict = (e: Failure) => e._tag === "Conflict"

/** Starts the namespace controller; it stops with the scope. */
export const make = (): Effect.Effect<void, never, Client | SharedInformers | Scope.Scope> =>
  Effect.gen(function* () {
    const client = yield* Client
    const informer = yield* (yield* SharedInformers).informer(Namespaces)
    const queue = yield* WorkQueue.make()

    const getNamespace = (name: string) =>
      client.get(Namespaces, name).pipe(Effect.catchTag("NotFound", () => Effect.succeed(undefined)))

    /** Writes the status `change` asks for, on the latest namespace; answers the namespace as it is then. */
    const updateStatus = (name: string, change: (ns: Namespace) => Namespace | undefined) =>
      Effect.gen(function* () {
        const ns = yield* getNamespace(name)
        if (ns === undefined) return undefined
        const next = change(ns)
        if (next === undefined) return ns
        return yield* client
          .updateStatus(Namespaces, next)
          .pipe(Effect.catchTag("NotFound", () => Effect.succeed(undefined)))
      }).pipe(Effect.retry({ times: 5, while: isConflict }))

    /** Deletes every object of one kind in the namespace (background), then sees what is left. */
    const deleteAllOf = (rt: ResourceType<KubeObject>, namespace: string): Effect.Effect<Remaining, Failure> =>
      Effect.gen(function* () {
        const estimate =
          rt.group === "" && rt.plural === Pods.plural
            ? podsEstimate((yield* client.list(Pods, { namespace })).items)
            : 0
        yield* client.raw({
          method: "DELETE",
          path: collectionPath(rt, namespace),
          query: new URLSearchParams(),
          headers: { accept: "application/json", "content-type": "application/json" },
          // Background: the garbage collector must not add the orphan finalizer to what is deleted here.
          body: { _tag: "Parsed", value: { apiVersion: "v1", kind: "DeleteOptions", propagationPolicy: "Background" } }
        })
        const left = (yield* client.list(rt, { namespace })).items
        const finalizers = new Map<string, number>()
        for (const obj of left)
          for (const f of obj.metadata.finalizers ?? []) finalizers.set(f, (finalizers.get(f) ?? 0) + 1)
        if (left.length === 0) return { resource: rt, estimate: 0, count: 0, finalizers }
        if (estimate > 0) return { resource: rt, estimate, count: left.length, finalizers }
        if (finalizers.size > 0)
          return { resource: rt, estimate: finalizerEstimateSeconds, count: left.length, finalizers }
        return yield* Effect.fail(
          new ContentDeletionFailed({
            message: `unexpected items still remain in namespace: ${namespace} for gvr: ${gvr(rt)}`
          })
        )
      })

    const deleteAllContent = (namespace: string): Effect.Effect<Content> =>
      Effect.gen(function* () {
        const remaining: Array<Remaining> = []
        const errors: Array<string> = []
        for (const rt of namespaced) {
          const result = yield* Effect.either(deleteAllOf(rt, namespace))
          if (result._tag === "Right") remaining.push(result.right)
          else errors.push(result.left.message)
        }
        return { estimate: Math.max(0, ...remaining.map((r) => r.estimate)), remaining, errors }
      })

    /** Removes this controller's token from spec.finalizers; the API server then removes the namespace. */
    const finalize = (name: string) =>
      Effect.gen(function* () {
        const ns = yield* getNamespace(name)
        if (ns === undefined) return
        const finalizers = (ns.spec?.finalizers ?? []).filter((f) => f !== finalizerToken)
        yield* client
          .raw({
            method: "PUT",
            path: objectPath(Namespaces, undefined, name, "finalize"),
            query: new URLSearchParams(),
            headers: { accept: "application/json", "content-type": "application/json" },
            body: { _tag: "Parsed", value: { ...ns, spec: { ...ns.spec, finalizers } } }
          })
          .pipe(Effect.catchTag("NotFound", () => Effect.void))
      }).pipe(Effect.retry({ times: 5, while: isConflict }))

    /** `namespacedResourcesDeleter.Delete`. */
    const syncNamespace = (name: string): Effect.Effect<Controller.ReconcileResult | void, Failure> =>
      Effect.gen(function* () {
        const found = yield* getNamespace(name)
        if (found?.metadata.deletionTimestamp === undefined) return
        const ns = yield* updateStatus(name, (current) =>
          current.status?.phase === "Terminating"
            ? undefined
            : { ...current, status: { ...current.status, phase: "Terminating" } }
        )
        if (ns?.metadata.deletionTimestamp === undefined || (ns.spec?.finalizers ?? []).length === 0) return
        const content = yield* deleteAllContent(name)
        const at = yield* now
        yield* updateStatus(name, (current) => withConditions(current, content, at))
        if (content.errors.length > 0)
          return yield* Effect.fail(new ContentDeletionFailed({ message: content.errors.join("; ") }))
        if (content.estimate > 0) {
          yield* Effect.logDebug(
            `content remains in namespace ${name}; looking again in about ${content.estimate / 2} s`
          )
          return { requeueAfter: Duration.seconds(Math.floor(content.estimate / 2) + 1) }
        }
        yield* finalize(name)
      })

    const enqueue = (ns: Namespace) =>
      ns.metadata.deletionTimestamp === undefined
        ? Effect.void
        : queue.addAfter(ns.metadata.name ?? "", deletionGracePeriod)
    yield* informer.addHandler({ onAdd: enqueue, onUpdate: (_, ns) => enqueue(ns) })
    yield* Controller.run({ name: "namespace", workers, queue }, syncNamespace)
  }).pipe(Effect.annotateLogs("component", "namespace-controller"))
