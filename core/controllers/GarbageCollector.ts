/**
 * The garbage collector (Kubernetes' pkg/controller/garbagecollector): informers on every kind
 * feed a dependency graph built from ownerReferences; workers delete objects whose owners are all
 * gone (verified by a live GET, not the cache), carry out foreground deletion (dependents first,
 * then the owner's `foregroundDeletion` finalizer) and orphaning (ownerReferences removed from the
 * dependents, then the `orphan` finalizer).
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { ApiError } from "../api/errors.js"
import type { KubeObject, ObjectMeta, OwnerReference } from "../api/meta.js"
import { byKind, resources } from "../api/registry.js"
import type { ResourceType } from "../api/resource.js"
import { Client, type DeleteOptions } from "../client/Client.js"
import type { Unreachable } from "../client/Transport.js"
import { SharedInformers } from "../informer/SharedInformers.js"
import * as WorkQueue from "../informer/WorkQueue.js"
import { planted } from "../testing/KnownBugs.js"
import * as Controller from "./Controller.js"
import * as Graph from "./garbagecollector/Graph.js"
import { type Identity, ownerIdentity, refUid } from "./garbagecollector/Identity.js"

export interface GarbageCollectorOptions {
  /** Concurrent workers on each queue; default 5. */
  readonly workers?: number
}

/** The kind of an ownerReference or object is not one the API serves, so it cannot be checked. */
export class UnknownKind extends Data.TaggedError("UnknownKind")<{
  readonly apiVersion: string
  readonly kind: string
}> {}

type Failure = ApiError | Unreachable | UnknownKind

/** How the references of an object to its owners stand (`classifyReferences`). */
interface Classified {
  /** Owners that exist and are not deleting their dependents in the foreground. */
  readonly solid: ReadonlyArray<OwnerReference>
  /** Owners that do not exist (or exist with another uid). */
  readonly dangling: ReadonlyArray<OwnerReference>
  /** Owners being deleted in the foreground, waiting for this object to go. */
  readonly waiting: ReadonlyArray<OwnerReference>
}

/** Kubernetes leaves events out of the graph: they are many and nobody owns them. */
const collected = resources.filter((rt) => !(rt.group === "" && rt.kind === "Event"))

/** An owner unverified yet by an informer is looked at again after this. */
const unobservedRecheck = "1 second"

const isConflict = (e: Failure) => e._tag === "Conflict"

/** Starts the garbage collector; its workers begin once every informer has synced, and stop with the scope. */
export const make = (
  options: GarbageCollectorOptions = {}
): Effect.Effect<void, never, Client | SharedInformers | Scope.Scope> =>
  Effect.gen(function* () {
    const client = yield* Client
    const shared = yield* SharedInformers
    const graph = Graph.make()
    const attemptToDelete = yield* WorkQueue.make()
    const attemptToOrphan = yield* WorkQueue.make()
    const ignoresLiveOwner = yield* planted("gcIgnoresLiveOwner")

    // Every watch event of every collected resource comes here, and most bring no work: no step then.
    const enqueue = (work: Graph.Work): Effect.Effect<void> => {
      const adds = [...work.attemptToDelete.map(attemptToDelete.add), ...work.attemptToOrphan.map(attemptToOrphan.add)]
      return adds.length === 0 ? Effect.void : adds.length === 1 ? adds[0]! : Effect.all(adds, { discard: true })
    }

    const resourceOf = (apiVersion: string, kind: string): Effect.Effect<ResourceType<KubeObject>, UnknownKind> => {
      const rt = byKind(apiVersion, kind)
      return rt === undefined ? Effect.fail(new UnknownKind({ apiVersion, kind })) : Effect.succeed(rt)
    }
    const at = (rt: ResourceType<KubeObject>, id: Identity) => (rt.namespaced ? { namespace: id.namespace } : {})

    /** The object now, or undefined when it is gone or another object (another uid) has its name. */
    const latest = (id: Identity): Effect.Effect<KubeObject | undefined, Failure> =>
      Effect.flatMap(resourceOf(id.apiVersion, id.kind), (rt) =>
        client.get(rt, id.name, at(rt, id)).pipe(
          Effect.map((obj) => (obj.metadata.uid === id.uid ? obj : undefined)),
          Effect.catchTag("NotFound", () => Effect.succeed(undefined))
        )
      )

    /** A read-modify-write of the object's metadata, as a merge patch with its uid and resourceVersion as preconditions. */
    const patchMetadata = (
      id: Identity,
      change: (meta: ObjectMeta) => Partial<Record<keyof ObjectMeta, unknown>> | undefined
    ): Effect.Effect<void, Failure> =>
      Effect.gen(function* () {
        const rt = yield* resourceOf(id.apiVersion, id.kind)
        const current = yield* latest(id)
        if (current === undefined) return
        const fields = change(current.metadata)
        if (fields === undefined) return
        const metadata = { ...fields, uid: id.uid, resourceVersion: current.metadata.resourceVersion }
        yield* client
          .patch(rt, id.name, { metadata }, { type: "merge", ...at(rt, id) })
          .pipe(Effect.catchTag("NotFound", () => Effect.void))
      }).pipe(Effect.retry({ times: 5, while: isConflict }))

    const removeFinalizer = (id: Identity, finalizer: string) =>
      patchMetadata(id, (meta) => {
        const finalizers = meta.finalizers ?? []
        if (!finalizers.includes(finalizer)) return undefined
        const rest = finalizers.filter((f) => f !== finalizer)
        return { finalizers: rest.length === 0 ? null : rest }
      })

    const removeOwnerReferences = (id: Identity, uids: ReadonlyArray<string>) =>
      patchMetadata(id, (meta) => {
        const refs = meta.ownerReferences ?? []
        const rest = refs.filter((ref) => !uids.includes(refUid(ref)))
        return rest.length === refs.length ? undefined : { ownerReferences: rest.length === 0 ? null : rest }
      })

    /** Sets blockOwnerDeletion=false on every blocking reference (to break a foreground cycle). */
    const unblockOwnerReferences = (id: Identity) =>
      patchMetadata(id, (meta) => {
        const refs = meta.ownerReferences ?? []
        if (!refs.some((ref) => ref.blockOwnerDeletion === true)) return undefined
        return {
          ownerReferences: refs.map((ref) =>
            ref.blockOwnerDeletion === true ? { ...ref, blockOwnerDeletion: false } : ref
          )
        }
      })

    const deleteObject = (id: Identity, propagationPolicy: NonNullable<DeleteOptions["propagationPolicy"]>) =>
      Effect.flatMap(resourceOf(id.apiVersion, id.kind), (rt) =>
        client.delete(rt, id.name, { ...at(rt, id), propagationPolicy, preconditions: { uid: id.uid } }).pipe(
          Effect.asVoid,
          // Gone already, or replaced by another object of the same name: nothing of this one is left.
          Effect.catchIf(
            (e) => e._tag === "NotFound" || e._tag === "Conflict",
            () => Effect.void
          )
        )
      )

    /** Whether the owner a reference names is absent (`isDangling`); otherwise the owner as it is now. */
    const ownerOf = (
      ref: OwnerReference,
      dependent: Graph.Node
    ): Effect.Effect<KubeObject | "dangling" | "invalid", Failure> =>
      Effect.gen(function* () {
        const owner = ownerIdentity(ref, dependent.identity.namespace)
        if (graph.absentOwners.has(owner)) return "dangling"
        const rt = yield* resourceOf(owner.apiVersion, owner.kind)
        // A cluster-scoped object cannot be owned by a namespaced one; retrying would not change that.
        if (rt.namespaced && dependent.identity.namespace === "") return "invalid"
        const found = yield* latest(owner)
        if (found !== undefined) return found
        graph.absentOwners.add(owner)
        return "dangling"
      })

    const classify = (
      refs: ReadonlyArray<OwnerReference>,
      node: Graph.Node
    ): Effect.Effect<Classified | undefined, Failure> =>
      Effect.gen(function* () {
        const solid: Array<OwnerReference> = []
        const dangling: Array<OwnerReference> = []
        const waiting: Array<OwnerReference> = []
        for (const ref of refs) {
          const owner = yield* ownerOf(ref, node)
          if (owner === "invalid") {
            yield* Effect.logWarning(
              `${node.identity.kind} ${node.identity.name} is cluster-scoped but names the namespaced ${ref.kind} ${ref.name} as its owner`
            )
            return undefined
          }
          if (owner === "dangling") dangling.push(ref)
          else if (
            owner.metadata.deletionTimestamp !== undefined &&
            (owner.metadata.finalizers ?? []).includes(Graph.foregroundFinalizer)
          )
            waiting.push(ref)
          else solid.push(ref)
        }
        return { solid, dangling, waiting }
      })

    /** An owner deleting in the foreground goes once no dependent blocks it (`processDeletingDependentsItem`). */
    const processDeletingDependents = (node: Graph.Node) => {
      const blocking = graph.blockingDependents(node)
      if (blocking.length === 0) return removeFinalizer(node.identity, Graph.foregroundFinalizer)
      return Effect.forEach(
        blocking.filter((d) => !d.deletingDependents),
        (d) => attemptToDelete.add(d.identity.uid),
        { discard: true }
      )
    }

    /** Reports a verified absence to the graph and queues what it frees. */
    const absent = (id: Identity) => Effect.suspend(() => enqueue(graph.verifiedAbsent(id)))

    /** `attemptToDeleteItem`: decides, from the live object and its owners, whether it goes and how. */
    const attemptToDeleteItem = (uid: string): Effect.Effect<Controller.ReconcileResult | void, Failure> =>
      Effect.gen(function* () {
        const node = graph.node(uid)
        // Being deleted is a one-way trip: its dependents are looked at once it is gone.
        if (node === undefined || (node.beingDeleted && !node.deletingDependents)) return
        const id = node.identity
        // Known bug gcIgnoresLiveOwner: an owner no informer has shown yet is taken for gone, without a live GET.
        if (ignoresLiveOwner && !node.observed) return yield* absent(id)
        const current = yield* latest(id)
        if (current === undefined) return yield* absent(id)
        if (node.deletingDependents) yield* processDeletingDependents(node)
        else yield* collect(node, current)
        // An owner known only from references is looked at until an informer sees it or it is found absent.
        if (!node.observed && graph.node(uid) === node) return { requeueAfter: unobservedRecheck }
      })

    const collect = (node: Graph.Node, current: KubeObject): Effect.Effect<void, Failure> =>
      Effect.gen(function* () {
        const refs = current.metadata.ownerReferences ?? []
        if (refs.length === 0) return
        const classified = yield* classify(refs, node)
        if (classified === undefined) return
        const { solid, dangling, waiting } = classified
        const id = node.identity
        if (solid.length > 0) {
          // It stays; references to absent owners, and to owners waiting for it, are dropped.
          if (dangling.length + waiting.length === 0) return
          yield* Effect.logDebug(`removing dangling and waiting owner references of ${id.kind} ${id.name}`)
          return yield* removeOwnerReferences(
            id,
            [...dangling, ...waiting].map((ref) => refUid(ref))
          )
        }
        if (waiting.length > 0 && node.dependents.size > 0) {
          // An owner waits for it and it has dependents of its own: they go first (foreground).
          if ([...node.dependents].some((d) => d.deletingDependents)) yield* unblockOwnerReferences(id)
          yield* Effect.logDebug(`deleting ${id.kind} ${id.name} in the foreground: an owner waits for it`)
          return yield* deleteObject(id, "Foreground")
        }
        const finalizers = current.metadata.finalizers ?? []
        const policy = finalizers.includes(Graph.orphanFinalizer)
          ? "Orphan"
          : finalizers.includes(Graph.foregroundFinalizer)
            ? "Foreground"
            : "Background"
        yield* Effect.logDebug(`deleting ${id.kind} ${id.name} (${policy}): its owners are gone`)
        yield* deleteObject(id, policy)
      })

    /** `attemptToOrphan`: every dependent loses its reference to the owner, then the owner its `orphan` finalizer. */
    const attemptToOrphanItem = (uid: string): Effect.Effect<void, Failure> =>
      Effect.gen(function* () {
        const node = graph.node(uid)
        if (node === undefined) return
        yield* Effect.forEach([...node.dependents], (d) => removeOwnerReferences(d.identity, [uid]), {
          discard: true
        })
        yield* removeFinalizer(node.identity, Graph.orphanFinalizer)
      })

    const informers = yield* Effect.forEach(collected, (rt) => shared.informer(rt))
    for (const informer of informers) {
      yield* informer.addHandler({
        onAdd: (obj) => Effect.suspend(() => enqueue(graph.observe(obj, undefined))),
        onUpdate: (old, obj) => Effect.suspend(() => enqueue(graph.observe(obj, old))),
        onDelete: (obj) => Effect.suspend(() => enqueue(graph.observeDeletion(obj)))
      })
    }
    const workers = options.workers ?? 5
    // Acting on a half-built graph could free a foreground owner before its dependents are known.
    yield* Effect.forkScoped(
      Effect.gen(function* () {
        yield* Effect.forEach(informers, (informer) => informer.waitForSync, { discard: true })
        yield* Controller.run({ name: "garbage-collector", workers, queue: attemptToDelete }, attemptToDeleteItem)
        yield* Controller.run(
          { name: "garbage-collector-orphan", workers, queue: attemptToOrphan },
          attemptToOrphanItem
        )
      })
    )
  }).pipe(Effect.annotateLogs("component", "garbage-collector"))
