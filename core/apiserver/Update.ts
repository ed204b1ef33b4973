/**
 * update (PUT) and the read-modify-write every write to an existing object goes through (patch,
 * status, scale, binding, finalize): the proposed object is computed from the current one,
 * checked against the preconditions it carries (resourceVersion, uid), admitted, and written with
 * compare-and-swap, retried on conflict by `guaranteedUpdate` when no resourceVersion was given.
 * An update that leaves an object being deleted without finalizers removes it, as Kubernetes does.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { type ApiError, BadRequest, conflict } from "../api/errors.js"
import type { KubeObject } from "../api/meta.js"
import { defaultMaxRetries, guaranteedUpdate } from "../store/guaranteedUpdate.js"
import type { Entry, Revision, Value } from "../store/Store.js"
import { admitUpdate, type UpdateScope } from "./Admission.js"
import type { ApiResponse } from "./ApiRequest.js"
import { equals } from "./JsonValue.js"
import { namespaceMismatch, nameMismatch, uidPreconditionFailed } from "./ObjectIdentity.js"
import * as RequestBody from "./RequestBody.js"
import { decodeBody, dryRunOf, fieldValidationOf, type RequestScope, respondObject } from "./RequestScope.js"
import { warningHeaders } from "./Responses.js"
import * as ResourceVersion from "./ResourceVersion.js"
import type { Resource } from "./Route.js"
import { keepClusterIP, releaseClusterIP } from "./ServiceIPs.js"
import { objectKey } from "./StorageKey.js"
import { interpret, isStoreError, modifiedMessage } from "./StoreErrors.js"

/** An update's proposed object and the resourceVersion it was based on, when the client gave one. */
export interface Proposal {
  readonly object: KubeObject
  readonly precondition?: Revision
}

type Outcome =
  | { readonly _tag: "Write"; readonly object: KubeObject }
  | { readonly _tag: "Unchanged" }
  | { readonly _tag: "Remove"; readonly object: KubeObject }

/** Raised inside the update function to leave it: the update emptied the finalizers of a deleted object. */
class EmptiedFinalizers extends Data.TaggedError("EmptiedFinalizers")<{
  readonly current: Entry
  readonly object: KubeObject
}> {}

/** A namespace's `spec.finalizers` (the namespace controller's `kubernetes`); none for other kinds. */
const specFinalizers = (rt: Resource, obj: KubeObject): ReadonlyArray<string> =>
  rt.group === "" && rt.kind === "Namespace"
    ? ((obj as KubeObject & { spec?: { finalizers?: ReadonlyArray<string> } }).spec?.finalizers ?? [])
    : []

/**
 * `shouldDeleteDuringUpdate`: the last finalizer is gone from an object whose deletion is due; a
 * namespace also waits for its spec.finalizers (`ShouldDeleteNamespaceDuringUpdate`), so finalize goes on to remove it.
 */
const shouldDelete = (rt: Resource, next: KubeObject, old: KubeObject): boolean =>
  (next.metadata.finalizers ?? []).length === 0 &&
  specFinalizers(rt, next).length === 0 &&
  (old.metadata.finalizers ?? []).length + specFinalizers(rt, old).length > 0 &&
  next.metadata.deletionTimestamp !== undefined &&
  (next.metadata.deletionGracePeriodSeconds ?? 0) === 0

/**
 * Applies `propose` to the current object (stamped with its resourceVersion) and stores the
 * admitted result; answers the object as stored (or as it would be, with `dryRun`).
 */
export const updateObject = (
  scope: RequestScope,
  name: string,
  updateScope: UpdateScope,
  propose: (current: KubeObject) => Effect.Effect<Proposal, ApiError>,
  dryRun: boolean,
  retries = 0
): Effect.Effect<KubeObject, ApiError> => {
  const rt = scope.resource
  const key = objectKey(rt, scope.namespace, name)
  const decide = (current: Entry): Effect.Effect<Outcome, ApiError> =>
    Effect.gen(function* () {
      const old = ResourceVersion.stamp(current)
      const proposal = yield* propose(old)
      if (proposal.precondition !== undefined && proposal.precondition !== current.modRevision) {
        return yield* Effect.fail(conflict(rt, name, modifiedMessage))
      }
      const uid = proposal.object.metadata.uid ?? ""
      if (uid !== "" && uid !== old.metadata.uid) {
        return yield* Effect.fail(uidPreconditionFailed(rt, name, uid, old.metadata.uid))
      }
      const next = yield* admitUpdate(rt, updateScope, keepClusterIP(rt, proposal.object, old), old, {
        defaultTolerationSeconds: scope.config.defaultTolerationSeconds
      })
      if (shouldDelete(rt, next, old)) return { _tag: "Remove", object: next }
      return equals(next, current.value) ? { _tag: "Unchanged" } : { _tag: "Write", object: next }
    })
  if (dryRun) {
    return scope.store.get(key).pipe(
      Effect.mapError((e) => interpret(rt, name, e)),
      Effect.flatMap((current) =>
        Effect.map(decide(current), (outcome) =>
          outcome._tag === "Unchanged"
            ? ResourceVersion.stamp(current)
            : ResourceVersion.withResourceVersion(outcome.object, current.modRevision)
        )
      )
    )
  }
  return guaranteedUpdate(scope.store, key, (current) =>
    Effect.flatMap(decide(current), (outcome) => {
      switch (outcome._tag) {
        case "Write":
          return Effect.succeed(outcome.object as unknown as Value)
        case "Unchanged":
          return Effect.succeed(current.value)
        case "Remove":
          return Effect.fail(new EmptiedFinalizers({ current, object: outcome.object }))
      }
    })
  ).pipe(
    Effect.map((entry) => ResourceVersion.stamp(entry)),
    Effect.catchAll((e) => {
      if (e._tag !== "EmptiedFinalizers") {
        return Effect.fail(isStoreError(e) ? interpret(rt, name, e) : e)
      }
      // Kubernetes' deleteWithoutFinalizers: a write in between decides again on the newer object (a
      // resourceVersion the client gave then conflicts there), and a delete in between is success.
      return scope.store.delete(key, e.current.modRevision).pipe(
        Effect.tap(() => releaseClusterIP(scope.store, rt, e.object)),
        Effect.map((deleted) => ResourceVersion.withResourceVersion(e.object, deleted.modRevision)),
        Effect.catchTags({
          KeyNotFound: () => Effect.succeed(ResourceVersion.withResourceVersion(e.object, e.current.modRevision)),
          RevisionConflict: (error) =>
            retries < defaultMaxRetries
              ? updateObject(scope, name, updateScope, propose, dryRun, retries + 1)
              : Effect.fail(interpret(rt, name, error)),
          StoreUnavailable: (error) => Effect.fail(interpret(rt, name, error))
        })
      )
    })
  )
}

/** The resourceVersion precondition an object carries, if any. */
export const preconditionOf = (obj: KubeObject): Effect.Effect<Revision | undefined, BadRequest> => {
  const rv = obj.metadata.resourceVersion ?? ""
  return rv === "" ? Effect.succeed(undefined) : ResourceVersion.parse(rv)
}

/** The body must name the object of the URL, in the URL's namespace (which it may leave out). */
export const placeAtUrl = (scope: RequestScope, obj: KubeObject): Effect.Effect<KubeObject, BadRequest> => {
  const name = obj.metadata.name ?? ""
  if (name !== scope.name) return Effect.fail(nameMismatch(name, scope.name))
  if (!scope.resource.namespaced) {
    const { namespace: _ns, ...metadata } = obj.metadata
    return Effect.succeed({ ...obj, metadata })
  }
  const namespace = obj.metadata.namespace ?? ""
  if (namespace !== "" && namespace !== scope.namespace) return Effect.fail(namespaceMismatch())
  return Effect.succeed({ ...obj, metadata: { ...obj.metadata, namespace: scope.namespace ?? "" } })
}

/** Handles PUT of an object, its status or (for namespaces) its finalizers. */
export const update = (scope: RequestScope, updateScope: UpdateScope): Effect.Effect<ApiResponse, ApiError> =>
  Effect.gen(function* () {
    const mode = yield* fieldValidationOf(scope.request.query)
    const dryRun = yield* dryRunOf(scope.request.query)
    const body = yield* RequestBody.readObject(scope.request, scope.config.maxRequestBytes)
    const { object, warnings } = yield* decodeBody(scope.resource, body, mode)
    const placed = yield* placeAtUrl(scope, object)
    const precondition = yield* preconditionOf(placed)
    const proposal: Proposal = precondition === undefined ? { object: placed } : { object: placed, precondition }
    const updated = yield* updateObject(scope, scope.name!, updateScope, () => Effect.succeed(proposal), dryRun)
    return yield* respondObject(scope, 200, updated, warningHeaders(warnings))
  })
