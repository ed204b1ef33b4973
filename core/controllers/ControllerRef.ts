/**
 * Controller references (Kubernetes' `ControllerRefManager.ClaimObject`): a workload owns the
 * objects whose `controller: true` ownerReference names its uid. It adopts orphans its selector
 * matches (unless it or they are being deleted) and releases owned objects it no longer matches,
 * both by strategic-merge patches that carry the object's uid as a precondition. Generic over the
 * owned kind: a ReplicaSet claims pods the way a Deployment claims ReplicaSets.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type { ApiError } from "../api/errors.js"
import * as LabelSelector from "../api/LabelSelector.js"
import type { KubeObject, OwnerReference } from "../api/meta.js"
import { apiVersionOf, type ResourceType } from "../api/resource.js"
import type { Client } from "../client/Client.js"
import type { Unreachable } from "../client/Transport.js"
import { byControllerUid, type Informer, orphansOf } from "../informer/Informer.js"

/** The owner changed under us (deleted, or replaced by another object of the same name): adopt nothing. */
export class AdoptionRefused extends Data.TaggedError("AdoptionRefused")<{ readonly message: string }> {}

/** The object's controller reference (the ownerReference with `controller: true`), if any. */
export const controllerOf = (obj: KubeObject): OwnerReference | undefined =>
  obj.metadata.ownerReferences?.find((ref) => ref.controller === true)

/**
 * What `owner` may claim from `informer`: what it controls and the orphans of its namespace it may
 * adopt (FilterPodsByOwner), both from the controller-uid index. Objects of other controllers are
 * never claimed, so they are not visited (Kubernetes lists the whole namespace, then skips them).
 */
export const candidates = <A extends KubeObject>(informer: Informer<A>, owner: KubeObject): ReadonlyArray<A> => {
  const namespace = owner.metadata.namespace ?? ""
  return [
    ...informer
      .byIndex(byControllerUid, owner.metadata.uid ?? "")
      .filter((obj) => obj.metadata.namespace === namespace),
    ...informer.byIndex(byControllerUid, orphansOf(namespace))
  ]
}

/** The reference a controller puts on what it creates or adopts (metav1.NewControllerRef). */
export const newControllerRef = <O extends KubeObject>(owner: O, ownerType: ResourceType<O>): OwnerReference => ({
  apiVersion: apiVersionOf(ownerType),
  kind: ownerType.kind,
  name: owner.metadata.name ?? "",
  uid: owner.metadata.uid ?? "",
  controller: true,
  blockOwnerDeletion: true
})

export interface ClaimOptions<O extends KubeObject, A extends KubeObject> {
  readonly owner: O
  readonly ownerType: ResourceType<O>
  readonly ownedType: ResourceType<A>
  /** The owner's selector: what it may own. */
  readonly selector: LabelSelector.Selector
  /** Further conditions an object must meet to be owned (all must hold). */
  readonly filter?: (obj: A) => boolean
}

type ClaimError = ApiError | Unreachable | AdoptionRefused

/**
 * The objects among `candidates` the owner controls after adopting matching orphans and
 * releasing owned objects that stopped matching (ClaimPods / ClaimReplicaSets). Adopted objects
 * are returned as patched. Every candidate is tried; the first error, if any, fails the claim.
 */
export const claim = <O extends KubeObject, A extends KubeObject>(
  client: Client["Type"],
  options: ClaimOptions<O, A>,
  candidates: ReadonlyArray<A>
): Effect.Effect<ReadonlyArray<A>, ClaimError> =>
  Effect.gen(function* () {
    const { owner, ownerType, ownedType, selector, filter } = options
    const ownerUid = owner.metadata.uid ?? ""
    const ownerNamespace = owner.metadata.namespace ?? ""
    const ownerDeleting = owner.metadata.deletionTimestamp !== undefined
    const match = (obj: A) => LabelSelector.matches(selector, obj.metadata.labels) && (filter?.(obj) ?? true)

    // RecheckDeletionTimestamp: one uncached read of the owner before its first adoption.
    const recheck: Effect.Effect<void, ClaimError> = Effect.flatMap(
      client
        .get(ownerType, owner.metadata.name ?? "", { namespace: ownerNamespace })
        .pipe(Effect.catchTag("NotFound", (e) => Effect.fail(new AdoptionRefused({ message: e.message })))),
      (fresh): Effect.Effect<void, AdoptionRefused> =>
        fresh.metadata.uid !== ownerUid
          ? Effect.fail(
              new AdoptionRefused({
                message: `original ${ownerNamespace}/${owner.metadata.name} is gone: got uid ${fresh.metadata.uid}, wanted ${ownerUid}`
              })
            )
          : fresh.metadata.deletionTimestamp !== undefined
            ? Effect.fail(
                new AdoptionRefused({
                  message: `${ownerNamespace}/${owner.metadata.name} has just been deleted at ${fresh.metadata.deletionTimestamp}`
                })
              )
            : Effect.void
    )
    // Its answer is kept for the later adoptions of this claim; most claims adopt nothing and never read.
    let rechecked: Exit.Exit<void, ClaimError> | undefined
    const canAdopt: Effect.Effect<void, ClaimError> = Effect.suspend(
      () => rechecked ?? Effect.flatten(Effect.map(Effect.exit(recheck), (exit) => (rechecked = exit)))
    )

    const patch = (obj: A, ownerReferences: ReadonlyArray<unknown>) =>
      client.patch(
        ownedType,
        obj.metadata.name ?? "",
        { metadata: { ownerReferences, uid: obj.metadata.uid } },
        { type: "strategic", namespace: obj.metadata.namespace ?? "" }
      )

    const adopt = (obj: A): Effect.Effect<A | undefined, ClaimError> =>
      canAdopt.pipe(
        Effect.zipRight(patch(obj, [newControllerRef(owner, ownerType)])),
        // Gone meanwhile: nothing to own.
        Effect.catchTag("NotFound", () => Effect.succeed(undefined))
      )

    const release = (obj: A): Effect.Effect<void, ClaimError> =>
      patch(obj, [{ $patch: "delete", uid: ownerUid }]).pipe(
        Effect.asVoid,
        // Gone, or no longer ours (Invalid: the uid precondition or the reference changed): released already.
        Effect.catchTags({ NotFound: () => Effect.void, Invalid: () => Effect.void })
      )

    const claimOne = (obj: A): Effect.Effect<A | undefined, ClaimError> => {
      const ref = controllerOf(obj)
      if (ref !== undefined) {
        if (ref.uid !== ownerUid) return Effect.succeed(undefined)
        if (match(obj)) return Effect.succeed(obj)
        // A controller being deleted lets the garbage collector handle what it owns.
        if (ownerDeleting) return Effect.succeed(undefined)
        return Effect.as(release(obj), undefined)
      }
      if (ownerDeleting || !match(obj) || obj.metadata.deletionTimestamp !== undefined) return Effect.succeed(undefined)
      if (ownerNamespace !== "" && ownerNamespace !== (obj.metadata.namespace ?? "")) return Effect.succeed(undefined)
      return adopt(obj)
    }

    const claimed: Array<A> = []
    const errors: Array<ClaimError> = []
    for (const obj of candidates) {
      // Most candidates are already owned and still matching, or another controller's: no request, no Effect.
      const ref = controllerOf(obj)
      if (ref !== undefined && ref.uid !== ownerUid) continue
      if (ref !== undefined && match(obj)) {
        claimed.push(obj)
        continue
      }
      const result = yield* Effect.either(claimOne(obj))
      if (result._tag === "Left") errors.push(result.left)
      else if (result.right !== undefined) claimed.push(result.right)
    }
    if (errors.length > 0) return yield* Effect.fail(errors[0])
    return claimed
  })
