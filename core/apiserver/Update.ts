/**
 * update (PUT) and the read-modify-write every write to an existing object goes through (patch,
 * status, scale, binding, finalize): the proposed object is computed from the current one,
 * checked against the preconditions it carries (resourceVersion, uid), admitted, and written with
 * compare-and-swap, retried on conflict by `guaranteedUpdate` when no resourceVersion was given.
 * An update that leaves an object being deleted without finalizers removes it, as Kubernetes does.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { type ApiError, BadRequest, conflict } from "../api/errors.js"
import type { KubeObject } from "../api/meta.js"
import { defaultMaxRetries, guaranteedUpdate } from "../store/guaranteedUpdate.js"
import type { Entry, Revision, Value } from "../store/Store.js"
import { admitUpdate, type UpdateScope } from "./Admission.js"
import type { ApiResponse } from "./ApiRequest.js"
import { equals } from "./JsonValue.js"
import { namespaceMismatch, nameMismatch, uidPreconditionFailed } from "./ObjectIdentity.js"
import { type RequestScope, respondObject, writeBodyOf, writeOptionsOf } from "./RequestScope.js"
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

/** What an update through `updateScope` makes of the current entry: write, leave as is, or remove. */
const decide = (
  scope: RequestScope,
  name: string,
  updateScope: UpdateScope,
  propose: (current: KubeObject) => Either.Either<Proposal, ApiError>,
  current: Entry
): Either.Either<Outcome, ApiError> => {
  const rt = scope.resource
  const old = ResourceVersion.stamp(current)
  return Either.flatMap(propose(old), (proposal): Either.Either<Outcome, ApiError> => {
    if (proposal.precondition !== undefined && proposal.precondition !== current.modRevision) {
      return Either.left(conflict(rt, name, modifiedMessage))
    }
    const uid = proposal.object.metadata.uid ?? ""
    if (uid !== "" && uid !== old.metadata.uid) {
      return Either.left(uidPreconditionFailed(rt, name, uid, old.metadata.uid))
    }
    return Either.map(
      admitUpdate(rt, updateScope, keepClusterIP(rt, proposal.object, old), old, {
        defaultTolerationSeconds: scope.config.defaultTolerationSeconds
      }),
      (next): Outcome =>
        shouldDelete(rt, next, old)
          ? { _tag: "Remove", object: next }
          : equals(next, current.value)
            ? { _tag: "Unchanged" }
            : { _tag: "Write", object: next }
    )
  })
}

/**
 * Applies `propose` to the current object (stamped with its resourceVersion) and stores the
 * admitted result; answers the object as stored (or as it would be, with `dryRun`). Deciding is
 * plain work: only the store calls are Effects.
 */
export const updateObject = (
  scope: RequestScope,
  name: string,
  updateScope: UpdateScope,
  propose: (current: KubeObject) => Either.Either<Proposal, ApiError>,
  dryRun: boolean,
  retries = 0
): Effect.Effect<KubeObject, ApiError> => {
  const rt = scope.resource
  const key = objectKey(rt, scope.namespace, name)
  if (dryRun) {
    return Effect.matchEffect(scope.store.get(key), {
      onFailure: (e) => Effect.fail(interpret(rt, name, e)),
      onSuccess: (current) => {
        const outcome = decide(scope, name, updateScope, propose, current)
        if (Either.isLeft(outcome)) return Effect.fail(outcome.left)
        return Effect.succeed(
          outcome.right._tag === "Unchanged"
            ? ResourceVersion.stamp(current)
            : ResourceVersion.withResourceVersion(outcome.right.object, current.modRevision)
        )
      }
    })
  }
  const written = guaranteedUpdate(
    scope.store,
    key,
    (current) =>
      Either.flatMap(
        decide(scope, name, updateScope, propose, current),
        (outcome): Either.Either<Value, ApiError | EmptiedFinalizers> => {
          switch (outcome._tag) {
            case "Write":
              return Either.right(outcome.object as unknown as Value)
            case "Unchanged":
              return Either.right(current.value)
            case "Remove":
              return Either.left(new EmptiedFinalizers({ current, object: outcome.object }))
          }
        }
      ),
    writeOptionsOf(scope)
  )
  return Effect.matchEffect(written, {
    onSuccess: (entry) => Effect.succeed(ResourceVersion.stamp(entry)),
    onFailure: (e) => {
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
    }
  })
}

/** The resourceVersion precondition an object carries, if any. */
export const preconditionOf = (obj: KubeObject): Either.Either<Revision | undefined, BadRequest> => {
  const rv = obj.metadata.resourceVersion ?? ""
  return rv === "" ? Either.right(undefined) : ResourceVersion.parse(rv)
}

/** The body must name the object of the URL, in the URL's namespace (which it may leave out). */
export const placeAtUrl = (scope: RequestScope, obj: KubeObject): Either.Either<KubeObject, BadRequest> => {
  const name = obj.metadata.name ?? ""
  if (name !== scope.name) return Either.left(nameMismatch(name, scope.name))
  if (!scope.resource.namespaced) {
    const { namespace: _ns, ...metadata } = obj.metadata
    return Either.right({ ...obj, metadata })
  }
  const namespace = obj.metadata.namespace ?? ""
  if (namespace !== "" && namespace !== scope.namespace) return Either.left(namespaceMismatch())
  return Either.right({ ...obj, metadata: { ...obj.metadata, namespace: scope.namespace ?? "" } })
}

/** The proposal a PUT body makes: decoded under `fieldValidation`, placed at the URL, with its precondition. */
const proposalOf = (
  scope: RequestScope
): Either.Either<
  { readonly proposal: Proposal; readonly warnings: ReadonlyArray<string>; readonly dryRun: boolean },
  ApiError
> => {
  const decoded = writeBodyOf(scope)
  if (Either.isLeft(decoded)) return Either.left(decoded.left)
  const placed = placeAtUrl(scope, decoded.right.object)
  if (Either.isLeft(placed)) return Either.left(placed.left)
  const precondition = preconditionOf(placed.right)
  if (Either.isLeft(precondition)) return Either.left(precondition.left)
  const object = placed.right
  const proposal: Proposal =
    precondition.right === undefined ? { object } : { object, precondition: precondition.right }
  return Either.right({ proposal, warnings: decoded.right.warnings, dryRun: decoded.right.dryRun })
}

/** Handles PUT of an object, its status or (for namespaces) its finalizers. */
export const update = (scope: RequestScope, updateScope: UpdateScope): Effect.Effect<ApiResponse, ApiError> => {
  const proposed = proposalOf(scope)
  if (Either.isLeft(proposed)) return Effect.fail(proposed.left)
  const { proposal, warnings, dryRun } = proposed.right
  return Effect.flatMap(
    updateObject(scope, scope.name!, updateScope, () => Either.right(proposal), dryRun),
    (updated) => respondObject(scope, 200, updated, warningHeaders(warnings))
  )
}
