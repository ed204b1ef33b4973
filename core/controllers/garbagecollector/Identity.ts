/**
 * An object's coordinates in the garbage collector's graph (Kubernetes' `objectReference`): what
 * an ownerReference names, plus the namespace the owner must live in.
 */
import type { KubeObject, OwnerReference } from "../../api/meta.js"
import { byKind } from "../../api/registry.js"

export interface Identity {
  readonly apiVersion: string
  readonly kind: string
  /** "" for cluster-scoped objects. */
  readonly namespace: string
  readonly name: string
  readonly uid: string
}

/** One string per identity, for maps and sets. */
export const identityKey = (id: Identity): string => `${id.apiVersion}|${id.kind}|${id.namespace}|${id.name}|${id.uid}`

export const sameIdentity = (a: Identity, b: Identity): boolean => identityKey(a) === identityKey(b)

/** The identity of an observed object. */
export const identityOf = (obj: KubeObject): Identity => ({
  apiVersion: obj.apiVersion,
  kind: obj.kind,
  namespace: obj.metadata.namespace ?? "",
  name: obj.metadata.name ?? "",
  uid: obj.metadata.uid ?? ""
})

/** The uid an ownerReference names (validation makes it present in stored objects). */
export const refUid = (ref: OwnerReference): string => ref.uid ?? ""

/**
 * The owner an ownerReference of a dependent in `namespace` names: a namespaced owner lives in the
 * dependent's namespace, a cluster-scoped one in none (an unknown kind is assumed namespaced).
 */
export const ownerIdentity = (ref: OwnerReference, namespace: string): Identity => ({
  apiVersion: ref.apiVersion ?? "",
  kind: ref.kind ?? "",
  namespace: byKind(ref.apiVersion ?? "", ref.kind ?? "")?.namespaced === false ? "" : namespace,
  name: ref.name ?? "",
  uid: refUid(ref)
})
