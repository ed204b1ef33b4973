/**
 * delete and deletecollection (Kubernetes' `Store.Delete` with `BeforeDelete`): DeleteOptions from
 * the body or the query; uid/resourceVersion preconditions; graceful deletion of pods bound to a
 * node (deletionTimestamp in the future, the kubelet finishes with grace 0); finalizers and the
 * Foreground/Orphan propagation finalizers keep an object, marked with a deletionTimestamp, until
 * they are removed; everything else is removed at once.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { type ApiError, BadRequest, conflict, invalid, type StatusDetails } from "../api/errors.js"
import type { KubeObject } from "../api/meta.js"
import type { Value } from "../store/Store.js"
import type { ApiResponse } from "./ApiRequest.js"
import { equals, isObject, type JsonObject } from "./JsonValue.js"
import { readList, kindList } from "./List.js"
import { uidPreconditionFailed } from "./ObjectIdentity.js"
import * as RequestBody from "./RequestBody.js"
import { dryRunOf, type RequestScope, respondObject } from "./RequestScope.js"
import { json, successStatus } from "./Responses.js"
import * as ResourceVersion from "./ResourceVersion.js"
import { releaseClusterIP } from "./ServiceIPs.js"
import type { Resource } from "./Route.js"
import { objectKey } from "./StorageKey.js"
import { interpret, isStoreError, type StoreError } from "./StoreErrors.js"
import { rfc3339 } from "../api/time.js"

export type PropagationPolicy = "Foreground" | "Background" | "Orphan"

/** `metav1.DeleteOptions`, as far as the server acts on it. */
export interface DeleteOptions {
  readonly propagationPolicy?: PropagationPolicy
  readonly gracePeriodSeconds?: number
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string }
  readonly orphanDependents?: boolean
  readonly dryRun: boolean
}

const foregroundFinalizer = "foregroundDeletion"
const orphanFinalizer = "orphan"

/** How often a delete that lost a race is decided again (as GuaranteedUpdate retries). */
const maxDeleteRetries = 16

const deleteOptionsInvalid = (field: string, value: unknown, message: string) =>
  invalid("DeleteOptions", "meta.k8s.io", "", [
    { type: "FieldValueNotSupported", field, message: `Unsupported value: ${JSON.stringify(value)}: ${message}` }
  ])

/** Reads DeleteOptions from the body (JSON or YAML) and the query, the query filling what the body leaves out. */
export const deleteOptionsOf = (scope: RequestScope): Either.Either<DeleteOptions, ApiError> =>
  Either.gen(function* () {
    const request = scope.request
    const format = RequestBody.formatOf(request.headers["content-type"]) ?? "json"
    const body = yield* RequestBody.readOptional(request, format, scope.config.maxRequestBytes)
    if (body !== undefined && !isObject(body))
      return yield* Either.left(new BadRequest({ message: "DeleteOptions must be a JSON object" }))
    const given: JsonObject = body ?? {}
    const query = request.query
    const policy = given.propagationPolicy ?? query.get("propagationPolicy") ?? undefined
    if (policy !== undefined && policy !== "Foreground" && policy !== "Background" && policy !== "Orphan") {
      return yield* Either.left(
        deleteOptionsInvalid("propagationPolicy", policy, `supported values: "Foreground", "Background", "Orphan"`)
      )
    }
    const graceText = given.gracePeriodSeconds ?? query.get("gracePeriodSeconds") ?? undefined
    const grace = graceText === undefined ? undefined : Number(graceText)
    if (grace !== undefined && !Number.isSafeInteger(grace)) {
      return yield* Either.left(new BadRequest({ message: `invalid gracePeriodSeconds: ${JSON.stringify(graceText)}` }))
    }
    const orphanText = given.orphanDependents ?? query.get("orphanDependents") ?? undefined
    const orphanDependents = orphanText === undefined ? undefined : orphanText === true || orphanText === "true"
    if (orphanDependents !== undefined && policy !== undefined) {
      return yield* Either.left(
        invalid("DeleteOptions", "meta.k8s.io", "", [
          {
            type: "FieldValueInvalid",
            field: "propagationPolicy",
            message: "Invalid value: cannot set both orphanDependents and propagationPolicy"
          }
        ])
      )
    }
    const preconditions = isObject(given.preconditions) ? given.preconditions : {}
    const dryRunBody = Array.isArray(given.dryRun) ? given.dryRun : []
    const dryRun = yield* dryRunOf(
      new URLSearchParams(
        [...query.getAll("dryRun"), ...dryRunBody.map(String)].map((v): [string, string] => ["dryRun", v])
      )
    )
    const effectivePolicy: PropagationPolicy | undefined =
      policy ?? (orphanDependents === undefined ? undefined : orphanDependents ? "Orphan" : "Background")
    return {
      dryRun,
      ...(effectivePolicy === undefined ? {} : { propagationPolicy: effectivePolicy }),
      ...(grace === undefined ? {} : { gracePeriodSeconds: grace }),
      ...(orphanDependents === undefined ? {} : { orphanDependents }),
      preconditions: {
        ...(typeof preconditions.uid === "string" ? { uid: preconditions.uid } : {}),
        ...(typeof preconditions.resourceVersion === "string" ? { resourceVersion: preconditions.resourceVersion } : {})
      }
    }
  })

/** `deletionFinalizersForGarbageCollection`: the finalizers after applying the propagation policy. */
const finalizersFor = (
  finalizers: ReadonlyArray<string>,
  policy: PropagationPolicy | undefined
): ReadonlyArray<string> => {
  if (policy === undefined) return finalizers
  const others = finalizers.filter((f) => f !== foregroundFinalizer && f !== orphanFinalizer)
  if (policy === "Foreground") return [...others, foregroundFinalizer]
  if (policy === "Orphan") return [...others, orphanFinalizer]
  return others
}

/** The pod's grace period as `CheckGracefulDelete` decides it; undefined for kinds deleted at once. */
const gracePeriodOf = (rt: Resource, obj: KubeObject, options: DeleteOptions): number | undefined => {
  if (!(rt.group === "" && rt.kind === "Pod")) return undefined
  const pod = obj as KubeObject & {
    spec?: { nodeName?: string; terminationGracePeriodSeconds?: number }
    status?: { phase?: string }
  }
  let period = options.gracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 0
  // Unscheduled and finished pods have nothing to stop: they go at once.
  if ((pod.spec?.nodeName ?? "") === "") period = 0
  if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") period = 0
  return period < 0 ? 1 : period
}

type Decision =
  /** Remove from the store now. */
  | { readonly _tag: "Remove" }
  /** Store this object, marked for deletion, and keep it. */
  | { readonly _tag: "Mark"; readonly object: KubeObject }
  /** The deletion is already under way as asked: nothing to write. */
  | { readonly _tag: "Pending" }

/** Kubernetes' `BeforeDelete` and finalizer handling for the current object. */
const decide = (rt: Resource, obj: KubeObject, options: DeleteOptions, nowMillis: number): Decision => {
  const meta = obj.metadata
  const finalizers = finalizersFor(meta.finalizers ?? [], options.propagationPolicy)
  const { finalizers: _f, ...rest } = meta
  const base = finalizers.length === 0 ? rest : { ...rest, finalizers }
  const bumped = (m: KubeObject["metadata"]) =>
    meta.generation !== undefined && meta.generation > 0 ? { ...m, generation: meta.generation + 1 } : m
  const grace = gracePeriodOf(rt, obj, options)
  if (grace !== undefined && meta.deletionTimestamp !== undefined && (meta.deletionGracePeriodSeconds ?? 0) > 0) {
    // Terminating gracefully already: a shorter grace period is all a new delete may change.
    const current = meta.deletionGracePeriodSeconds!
    const asked = options.gracePeriodSeconds === undefined ? undefined : Math.max(options.gracePeriodSeconds, 0)
    if (asked === undefined || asked >= current) return { _tag: "Pending" }
    const at = Date.parse(meta.deletionTimestamp) + (asked - current) * 1000
    if (asked === 0 && (meta.finalizers ?? []).length === 0) return { _tag: "Remove" }
    return {
      _tag: "Mark",
      object: { ...obj, metadata: { ...meta, deletionTimestamp: rfc3339(at), deletionGracePeriodSeconds: asked } }
    }
  }
  if (grace !== undefined && meta.deletionTimestamp === undefined) {
    if (grace === 0 && finalizers.length === 0) return { _tag: "Remove" }
    const metadata = {
      ...bumped(base),
      deletionTimestamp: rfc3339(nowMillis + grace * 1000),
      deletionGracePeriodSeconds: grace
    }
    return { _tag: "Mark", object: { ...obj, metadata } }
  }
  if (finalizers.length === 0) return { _tag: "Remove" }
  // markAsDeleting: a deletion waiting for finalizers has a zero grace period.
  const metadata = {
    ...(meta.deletionTimestamp === undefined ? bumped(base) : base),
    deletionTimestamp: meta.deletionTimestamp ?? rfc3339(nowMillis),
    deletionGracePeriodSeconds: 0
  }
  const object = { ...obj, metadata }
  return equals(object, obj) ? { _tag: "Pending" } : { _tag: "Mark", object }
}

/** A namespace with spec finalizers turns Terminating and waits for them; deleting it again is a 409. */
const decideNamespace = (
  rt: Resource,
  obj: KubeObject,
  options: DeleteOptions,
  nowMillis: number
): Either.Either<Decision, ApiError> => {
  const ns = obj as KubeObject & { spec?: { finalizers?: ReadonlyArray<string> }; status?: JsonObject }
  if ((ns.spec?.finalizers ?? []).length === 0) return Either.right(decide(rt, obj, options, nowMillis))
  if (obj.metadata.deletionTimestamp !== undefined) {
    return Either.left(
      conflict(
        rt,
        obj.metadata.name ?? "",
        "The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system."
      )
    )
  }
  const finalizers = finalizersFor(obj.metadata.finalizers ?? [], options.propagationPolicy)
  const { finalizers: _f, ...meta } = obj.metadata
  const object = {
    ...obj,
    metadata: {
      ...meta,
      ...(finalizers.length === 0 ? {} : { finalizers }),
      deletionTimestamp: rfc3339(nowMillis),
      deletionGracePeriodSeconds: 0
    },
    status: { ...ns.status, phase: "Terminating" }
  }
  return Either.right({ _tag: "Mark", object })
}

/** Kinds whose delete answers the deleted object rather than a Success Status (`ReturnDeletedObject`). */
const returnsDeletedObject = (rt: Resource) =>
  rt.group === "" && (rt.kind === "Pod" || rt.kind === "Service" || rt.kind === "Namespace")

const checkPreconditions = (
  rt: Resource,
  name: string,
  obj: KubeObject,
  options: DeleteOptions
): Either.Either<void, ApiError> => {
  const { uid, resourceVersion } = options.preconditions ?? {}
  if (uid !== undefined && uid !== obj.metadata.uid) {
    return Either.left(uidPreconditionFailed(rt, name, uid, obj.metadata.uid))
  }
  if (resourceVersion !== undefined && resourceVersion !== obj.metadata.resourceVersion) {
    return Either.left(
      conflict(
        rt,
        name,
        `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion ?? ""}`
      )
    )
  }
  return Either.void
}

/** The result of deleting one object: what it was or is now, and whether it is gone. */
interface Deleted {
  readonly object: KubeObject
  readonly removed: boolean
}

/** Deletes the object `name` of the scope's resource with `options`. */
export const deleteObject = (
  scope: RequestScope,
  name: string,
  namespace: string | undefined,
  options: DeleteOptions,
  retries = 0
): Effect.Effect<Deleted, ApiError> => {
  const rt = scope.resource
  const key = objectKey(rt, namespace, name)
  const attempt = Effect.flatMap(scope.store.get(key), (current) =>
    Clock.clockWith((clock): Effect.Effect<Deleted, ApiError | StoreError> => {
      const obj = ResourceVersion.stamp(current)
      const nowMillis = clock.unsafeCurrentTimeMillis()
      const decided = Either.flatMap(checkPreconditions(rt, name, obj, options), () =>
        rt.group === "" && rt.kind === "Namespace"
          ? decideNamespace(rt, obj, options, nowMillis)
          : Either.right(decide(rt, obj, options, nowMillis))
      )
      if (Either.isLeft(decided)) return Effect.fail(decided.left)
      const decision = decided.right
      if (decision._tag === "Pending") return Effect.succeed<Deleted>({ object: obj, removed: false })
      if (options.dryRun) {
        return Effect.succeed<Deleted>(
          decision._tag === "Remove" ? { object: obj, removed: true } : { object: decision.object, removed: false }
        )
      }
      if (decision._tag === "Remove") {
        return Effect.flatMap(scope.store.delete(key, current.modRevision), (deleted) =>
          Effect.as(releaseClusterIP(scope.store, rt, obj), { object: ResourceVersion.stamp(deleted), removed: true })
        )
      }
      const unstamped = ResourceVersion.unstamped(decision.object) as unknown as Value
      return Effect.map(scope.store.update(key, unstamped, current.modRevision), (written): Deleted => ({
        object: ResourceVersion.stamp(written),
        removed: false
      }))
    })
  )
  // A write that lost a race is decided again on the newer object, as GuaranteedUpdate does.
  return Effect.catchAll(attempt, (e) =>
    e._tag === "RevisionConflict" && retries < maxDeleteRetries
      ? deleteObject(scope, name, namespace, options, retries + 1)
      : Effect.fail(isStoreError(e) ? interpret(rt, name, e) : e)
  )
}

/** The answer to a delete, as Kubernetes' handler gives it. */
const answer = (
  scope: RequestScope,
  deleted: Deleted,
  options: DeleteOptions
): Effect.Effect<ApiResponse, ApiError> => {
  // 202 only for a deletion that is still running and asked for cascading with the deprecated orphanDependents=false.
  const status = !deleted.removed && options.orphanDependents === false ? 202 : 200
  if (!deleted.removed || returnsDeletedObject(scope.resource)) return respondObject(scope, status, deleted.object)
  const details: StatusDetails = {
    name: deleted.object.metadata.name ?? "",
    group: scope.resource.group,
    kind: scope.resource.plural,
    uid: deleted.object.metadata.uid ?? ""
  }
  return Effect.succeed(json(status, successStatus(status, details)))
}

/** Handles DELETE of an object. */
export const remove = (scope: RequestScope): Effect.Effect<ApiResponse, ApiError> => {
  const options = deleteOptionsOf(scope)
  if (Either.isLeft(options)) return Effect.fail(options.left)
  return Effect.flatMap(deleteObject(scope, scope.name!, scope.namespace, options.right), (deleted) =>
    answer(scope, deleted, options.right)
  )
}

/** Handles DELETE of a collection: every selected object is deleted as by DELETE; the answer lists them. */
export const removeCollection = (scope: RequestScope): Effect.Effect<ApiResponse, ApiError> =>
  Effect.gen(function* () {
    const options = yield* deleteOptionsOf(scope)
    const { items } = yield* readList(scope)
    const deleted: Array<KubeObject> = []
    for (const item of items) {
      const result = yield* deleteObject(scope, item.metadata.name ?? "", item.metadata.namespace, options).pipe(
        // An object deleted meanwhile by someone else is simply gone.
        Effect.map((d): KubeObject | undefined => d.object),
        Effect.catchIf(
          (e) => e._tag === "NotFound",
          () => Effect.succeed(undefined)
        )
      )
      if (result !== undefined) deleted.push(result)
    }
    return json(200, kindList(scope.resource, deleted, {}))
  })
