/**
 * What happens to an object between decoding and storage (Kubernetes' REST strategies plus
 * defaulting and validation): defaults, the fields the server owns (uid, timestamps, generation,
 * status on create), the status subresource's split between spec and status, the generation bump
 * on spec changes, and validation answering 422 with every field error.
 */
import * as Either from "effect/Either"
import { type FieldError, type Invalid, invalid } from "../api/errors.js"
import type { KubeObject, ObjectMeta } from "../api/meta.js"
import { type Pod, withDefaultTolerations } from "../api/Pod.js"
import { podQOSClass } from "../api/PodQOS.js"
import type { PodSpec } from "../api/PodSpec.js"
import { isObject, equals, type JsonObject } from "./JsonValue.js"
import type { Resource } from "./Route.js"

/** Which part of an object an update may change: all but status, only status, or only a namespace's finalizers. */
export type UpdateScope = "object" | "status" | "finalize"

type Obj = KubeObject & JsonObject

/** A copy of `obj` with `key` set (last), or removed when `value` is undefined. */
const withField = (obj: Obj, key: string, value: unknown): Obj => {
  // A loop, not `{ [key]: _, ...rest }`: V8 copies with a computed excluded key slowly, and every write comes here.
  const copy: Record<string, unknown> = {}
  for (const k of Object.keys(obj)) if (k !== key) copy[k] = obj[k]
  if (value !== undefined) copy[key] = value
  return copy as Obj
}

/** A copy of `meta` with `key` set, or removed when `value` is undefined. */
const withMeta = <K extends keyof ObjectMeta>(
  meta: ObjectMeta,
  key: K,
  value: ObjectMeta[K] | undefined
): ObjectMeta => {
  const { [key]: _old, ...rest } = meta
  return value === undefined ? rest : { ...rest, [key]: value }
}

const kindOf = (rt: Resource) => `${rt.group}/${rt.kind}`

const namespaceNameLabel = "kubernetes.io/metadata.name"

// Namespaces always carry their own name as a label, so selectors can pick namespaces by name.
const labelNamespace = (obj: Obj): Obj => ({
  ...obj,
  metadata: { ...obj.metadata, labels: { ...obj.metadata.labels, [namespaceNameLabel]: obj.metadata.name ?? "" } }
})

/** PrepareForCreate: the status a new object starts with. */
const prepareForCreate = (rt: Resource, obj: Obj): Obj => {
  switch (kindOf(rt)) {
    case "/Pod":
      // The class is fixed here; status writes without one keep it (the backfill in prepareForUpdate).
      return withField(obj, "status", {
        phase: "Pending",
        qosClass: podQOSClass((isObject(obj.spec) ? obj.spec : {}) as PodSpec)
      })
    case "apps/Deployment":
    case "apps/ReplicaSet":
    case "/Service":
      return withField(obj, "status", {})
    case "/Namespace": {
      // Not in defaulting: the namespace controller removes this finalizer, and it must stay removed.
      const spec = isObject(obj.spec) ? obj.spec : {}
      const finalizers = Array.isArray(spec.finalizers) ? (spec.finalizers as ReadonlyArray<unknown>) : []
      return labelNamespace(
        withField(withField(obj, "status", { phase: "Active" }), "spec", {
          ...spec,
          finalizers: finalizers.includes("kubernetes") ? finalizers : [...finalizers, "kubernetes"]
        })
      )
    }
    default:
      return obj
  }
}

/** PrepareForUpdate: which parts of the proposed object an update through `scope` may change. */
const prepareForUpdate = (rt: Resource, scope: UpdateScope, obj: Obj, old: Obj): Obj => {
  const kind = kindOf(rt)
  if (scope === "finalize") {
    const spec = isObject(old.spec) ? old.spec : {}
    const proposed = isObject(obj.spec) ? obj.spec : {}
    return withField(old, "spec", withField(spec as Obj, "finalizers", proposed.finalizers))
  }
  if (scope === "object") {
    let next = rt.statusSubresource ? withField(obj, "status", old.status) : obj
    if (kind === "/Namespace") {
      const spec = isObject(next.spec) ? next.spec : {}
      const oldSpec = isObject(old.spec) ? old.spec : {}
      next = labelNamespace(withField(next, "spec", withField(spec as Obj, "finalizers", oldSpec.finalizers)))
    }
    return next
  }
  let next = withField(obj, "spec", old.spec)
  switch (kind) {
    case "/Pod": {
      // Old kubelets corrupted owner references through status writes; Kubernetes ignores them there.
      next = { ...next, metadata: withMeta(next.metadata, "ownerReferences", old.metadata.ownerReferences) }
      const status = isObject(next.status) ? next.status : {}
      const oldStatus = isObject(old.status) ? old.status : {}
      if (status.qosClass === undefined && oldStatus.qosClass !== undefined) {
        next = withField(next, "status", { ...status, qosClass: oldStatus.qosClass })
      }
      return next
    }
    case "apps/Deployment":
      return { ...next, metadata: withMeta(next.metadata, "labels", old.metadata.labels) }
    case "/Namespace":
      return labelNamespace(next)
    default:
      return next
  }
}

/** The admission plugins' settings. */
export interface AdmissionOptions {
  /** DefaultTolerationSeconds' not-ready/unreachable toleration; omitted: the defaulting's 300 s. */
  readonly defaultTolerationSeconds?: number
}

/** Admission's defaults then the kind's: the plugin's tolerations come first, so defaulting adds no others. */
const applyDefaults = (rt: Resource, obj: KubeObject, options: AdmissionOptions): Obj => {
  const seconds = options.defaultTolerationSeconds
  const admitted = kindOf(rt) === "/Pod" && seconds !== undefined ? withDefaultTolerations(obj as Pod, seconds) : obj
  return rt.defaults(admitted) as Obj
}

const invalidObject = (rt: Resource, obj: KubeObject, errors: ReadonlyArray<FieldError>) =>
  invalid(rt.kind, rt.group, obj.metadata.name ?? "", errors)

/** The server-owned identity of a new object. */
export interface SystemFields {
  readonly uid: string
  readonly creationTimestamp: string
}

/** Defaults, PrepareForCreate, server-set fields and validation of a new object (its name already chosen). */
export const admitCreate = (
  rt: Resource,
  decoded: KubeObject,
  system: SystemFields,
  options: AdmissionOptions = {}
): Either.Either<KubeObject, Invalid> => {
  const defaulted = prepareForCreate(rt, applyDefaults(rt, decoded, options))
  const {
    resourceVersion: _rv,
    selfLink: _selfLink,
    deletionTimestamp: _dt,
    deletionGracePeriodSeconds: _dgps,
    generation: _generation,
    ...meta
  } = defaulted.metadata
  const obj: KubeObject = {
    ...defaulted,
    metadata: {
      ...meta,
      uid: system.uid,
      creationTimestamp: system.creationTimestamp,
      ...(rt.hasGeneration ? { generation: 1 } : {})
    }
  }
  const errors = rt.validate(obj, undefined)
  return errors.length === 0 ? Either.right(obj) : Either.left(invalidObject(rt, obj, errors))
}

/** Whether an update changes what `metadata.generation` counts: the spec (and a Deployment's annotations, copied to its ReplicaSets). */
const bumpsGeneration = (rt: Resource, next: Obj, old: Obj): boolean =>
  !equals(next.spec, old.spec) ||
  (kindOf(rt) === "apps/Deployment" && !equals(next.metadata.annotations, old.metadata.annotations))

/**
 * Defaults, PrepareForUpdate, the metadata an update cannot change (uid, creation and deletion
 * timestamps, generation), the generation bump, and validation against the old object.
 */
export const admitUpdate = (
  rt: Resource,
  scope: UpdateScope,
  proposed: KubeObject,
  old: KubeObject,
  options: AdmissionOptions = {}
): Either.Either<KubeObject, Invalid> => {
  const prepared = prepareForUpdate(rt, scope, applyDefaults(rt, proposed, options), old as Obj)
  // One copy of the metadata (this runs on every write): the fields the update cannot change come last, from the old object.
  const {
    resourceVersion: _rv,
    selfLink: _selfLink,
    creationTimestamp: _ct,
    deletionTimestamp: _dt,
    deletionGracePeriodSeconds: _dgps,
    generation: _generation,
    ...proposedMeta
  } = prepared.metadata
  const was = old.metadata
  const meta: ObjectMeta = {
    ...proposedMeta,
    uid: was.uid ?? "",
    ...(was.creationTimestamp === undefined ? {} : { creationTimestamp: was.creationTimestamp }),
    ...(was.deletionTimestamp === undefined ? {} : { deletionTimestamp: was.deletionTimestamp }),
    ...(was.deletionGracePeriodSeconds === undefined
      ? {}
      : { deletionGracePeriodSeconds: was.deletionGracePeriodSeconds }),
    ...(was.generation === undefined ? {} : { generation: was.generation })
  }
  let obj: Obj = { ...prepared, metadata: meta }
  // Only the main resource's strategy counts generations; status writers never bump them.
  if (scope === "object" && rt.hasGeneration && bumpsGeneration(rt, obj, old as Obj)) {
    obj = { ...obj, metadata: { ...meta, generation: (old.metadata.generation ?? 0) + 1 } }
  }
  const errors = rt.validate(obj, old)
  return errors.length === 0 ? Either.right(obj) : Either.left(invalidObject(rt, obj, errors))
}
