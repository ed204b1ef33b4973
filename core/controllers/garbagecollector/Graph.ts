/**
 * The garbage collector's dependency graph (Kubernetes' `GraphBuilder`): one node per object uid,
 * linked to its owners and dependents by ownerReferences of every kind. Informer events and
 * verified absences change it; each change answers which nodes the collector must look at next.
 * An owner referenced before it is observed gets a "virtual" node, checked against the API server.
 * All methods are synchronous, so a change is never seen half done.
 */
import type { KubeObject, OwnerReference } from "../../api/meta.js"
import * as AbsentOwnerCache from "./AbsentOwnerCache.js"
import { type Identity, identityOf, ownerIdentity, refUid, sameIdentity } from "./Identity.js"

export const foregroundFinalizer = "foregroundDeletion"
export const orphanFinalizer = "orphan"

export interface Node {
  identity: Identity
  owners: ReadonlyArray<OwnerReference>
  readonly dependents: Set<Node>
  /** The object has a deletionTimestamp (a one-way trip). */
  beingDeleted: boolean
  /** Being deleted with the `foregroundDeletion` finalizer: waits for its blocking dependents. */
  deletingDependents: boolean
  /** Seen through an informer; false for a virtual node made from an ownerReference. */
  observed: boolean
}

/** The uids to queue after a change: for `attemptToDelete` and for `attemptToOrphan`. */
export interface Work {
  readonly attemptToDelete: Array<string>
  readonly attemptToOrphan: Array<string>
}

export interface Graph {
  readonly node: (uid: string) => Node | undefined
  readonly size: () => number
  /** An object added or updated (`old` is its previous state, if it had one). */
  readonly observe: (obj: KubeObject, old: KubeObject | undefined) => Work
  /** An object deleted, as an informer saw it. */
  readonly observeDeletion: (obj: KubeObject) => Work
  /** The API server answered that `identity` does not exist (a 404, or another uid under its name). */
  readonly verifiedAbsent: (identity: Identity) => Work
  /** Dependents whose ownerReference to `node` has blockOwnerDeletion=true. */
  readonly blockingDependents: (node: Node) => ReadonlyArray<Node>
  readonly absentOwners: AbsentOwnerCache.AbsentOwnerCache
}

const hasFinalizer = (obj: KubeObject, finalizer: string) => (obj.metadata.finalizers ?? []).includes(finalizer)
const beingDeleted = (obj: KubeObject) => obj.metadata.deletionTimestamp !== undefined
const blocks = (ref: OwnerReference | undefined) => ref?.blockOwnerDeletion === true
const sameRef = (a: OwnerReference, b: OwnerReference) =>
  a.apiVersion === b.apiVersion &&
  a.kind === b.kind &&
  a.name === b.name &&
  a.uid === b.uid &&
  a.controller === b.controller &&
  a.blockOwnerDeletion === b.blockOwnerDeletion

/** Whether the object entered deletion with `finalizer` in this change (`startsWaitingForDependents…`). */
const starts = (old: KubeObject | undefined, obj: KubeObject, finalizer: string) =>
  beingDeleted(obj) &&
  hasFinalizer(obj, finalizer) &&
  !(old !== undefined && beingDeleted(old) && hasFinalizer(old, finalizer))

export const make = (): Graph => {
  const nodes = new Map<string, Node>()
  const absentOwners = AbsentOwnerCache.make()

  const uidOf = (node: Node) => node.identity.uid
  const refTo = (dependent: Node, ownerUid: string) => dependent.owners.find((ref) => refUid(ref) === ownerUid)
  /** Whether `dependent` names its owner of this uid by exactly these coordinates. */
  const namesOwnerAs = (dependent: Node, owner: Identity) => {
    const ref = refTo(dependent, owner.uid)
    return ref !== undefined && sameIdentity(ownerIdentity(ref, dependent.identity.namespace), owner)
  }

  const addDependentToOwners = (node: Node, refs: ReadonlyArray<OwnerReference>, work: Work) => {
    let suspicious = false
    for (const ref of refs) {
      const expected = ownerIdentity(ref, node.identity.namespace)
      const owner = nodes.get(refUid(ref))
      if (owner === undefined) {
        // The owner is not observed yet: a virtual node, verified by the API server.
        const virtual: Node = {
          identity: expected,
          owners: [],
          dependents: new Set([node]),
          beingDeleted: false,
          deletingDependents: false,
          observed: false
        }
        nodes.set(refUid(ref), virtual)
        work.attemptToDelete.push(refUid(ref))
        continue
      }
      owner.dependents.add(node)
      // A new dependent of an owner already waiting for its dependents must go too.
      if (owner.deletingDependents) work.attemptToDelete.push(uidOf(node))
      if (!sameIdentity(owner.identity, expected)) suspicious = true
    }
    // The reference disagrees with what is known of the owner: let the collector check it.
    if (suspicious) work.attemptToDelete.push(uidOf(node))
  }

  const removeDependentFromOwners = (node: Node, refs: ReadonlyArray<OwnerReference>) => {
    for (const ref of refs) nodes.get(refUid(ref))?.dependents.delete(node)
  }

  const removeNode = (node: Node, work: Work) => {
    nodes.delete(uidOf(node))
    removeDependentFromOwners(node, node.owners)
    if (node.dependents.size > 0) absentOwners.add(node.identity)
    for (const dependent of node.dependents) work.attemptToDelete.push(uidOf(dependent))
    // An owner waiting for its dependents may now be free to go.
    for (const ref of node.owners)
      if (nodes.get(refUid(ref))?.deletingDependents === true) work.attemptToDelete.push(refUid(ref))
  }

  const processTransitions = (old: KubeObject | undefined, obj: KubeObject, node: Node, work: Work) => {
    if (starts(old, obj, orphanFinalizer)) {
      work.attemptToOrphan.push(uidOf(node))
      return
    }
    if (starts(old, obj, foregroundFinalizer)) {
      node.deletingDependents = true
      for (const dependent of node.dependents) work.attemptToDelete.push(uidOf(dependent))
      work.attemptToDelete.push(uidOf(node))
    }
  }

  const observe = (obj: KubeObject, old: KubeObject | undefined): Work => {
    const work: Work = { attemptToDelete: [], attemptToOrphan: [] }
    const identity = identityOf(obj)
    const owners = obj.metadata.ownerReferences ?? []
    const node = nodes.get(identity.uid)
    if (node === undefined) {
      const created: Node = {
        identity,
        owners,
        dependents: new Set(),
        beingDeleted: beingDeleted(obj),
        deletingDependents: beingDeleted(obj) && hasFinalizer(obj, foregroundFinalizer),
        observed: true
      }
      nodes.set(identity.uid, created)
      addDependentToOwners(created, owners, work)
      processTransitions(old, obj, created, work)
      return work
    }
    if (!node.observed) {
      // Dependents that named this owner by other coordinates have a dangling reference: check them.
      if (!sameIdentity(node.identity, identity)) {
        for (const dependent of node.dependents)
          if (!namesOwnerAs(dependent, identity)) work.attemptToDelete.push(uidOf(dependent))
        node.identity = identity
      }
      node.observed = true
    }
    const added = owners.filter((ref) => !node.owners.some((o) => refUid(o) === refUid(ref)))
    const removed = node.owners.filter((ref) => !owners.some((o) => refUid(o) === refUid(ref)))
    const changed = owners.filter((ref) => node.owners.some((o) => refUid(o) === refUid(ref) && !sameRef(o, ref)))
    if (added.length + removed.length + changed.length > 0) {
      // An owner no longer blocked by this dependent may be waiting for exactly that.
      for (const ref of removed) if (blocks(ref) && nodes.has(refUid(ref))) work.attemptToDelete.push(refUid(ref))
      for (const ref of changed)
        if (blocks(refTo(node, refUid(ref))) && !blocks(ref) && nodes.has(refUid(ref)))
          work.attemptToDelete.push(refUid(ref))
      node.owners = owners
      addDependentToOwners(node, added, work)
      removeDependentFromOwners(node, removed)
    }
    if (beingDeleted(obj)) node.beingDeleted = true
    processTransitions(old, obj, node, work)
    return work
  }

  const observeDeletion = (obj: KubeObject): Work => {
    const work: Work = { attemptToDelete: [], attemptToOrphan: [] }
    const node = nodes.get(obj.metadata.uid ?? "")
    if (node !== undefined) removeNode(node, work)
    return work
  }

  const verifiedAbsent = (identity: Identity): Work => {
    const work: Work = { attemptToDelete: [], attemptToOrphan: [] }
    const node = nodes.get(identity.uid)
    if (node === undefined) return work
    const matching = [...node.dependents].filter((d) => namesOwnerAs(d, identity))
    const others = [...node.dependents].filter((d) => !namesOwnerAs(d, identity))
    if (node.observed ? !sameIdentity(node.identity, identity) : others.length > 0) {
      // Only the coordinates asked about are absent: the node stays for the dependents that name it otherwise.
      if (matching.length > 0) absentOwners.add(identity)
      for (const dependent of matching) work.attemptToDelete.push(uidOf(dependent))
      if (!node.observed && sameIdentity(node.identity, identity)) {
        const other = refTo(others[0]!, identity.uid)!
        node.identity = ownerIdentity(other, others[0]!.identity.namespace)
        work.attemptToDelete.push(identity.uid)
      }
      return work
    }
    removeNode(node, work)
    return work
  }

  const blockingDependents = (node: Node) => [...node.dependents].filter((d) => blocks(refTo(d, uidOf(node))))

  return {
    node: (uid) => nodes.get(uid),
    size: () => nodes.size,
    observe,
    observeDeletion,
    verifiedAbsent,
    blockingDependents,
    absentOwners
  }
}
