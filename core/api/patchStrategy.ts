/**
 * Where strategic merge patch merges lists instead of replacing them: Kubernetes' `patchStrategy`
 * and `patchMergeKey` struct tags (k8s.io/api core/v1, apps/v1, meta/v1), written once per struct
 * and mapped onto each kind's field paths. A field without tags is atomic: the patch replaces it.
 */

/** A field's `patchStrategy` tag, and its `patchMergeKey` when list items are merged by a key. */
export interface PatchStrategy {
  readonly strategy: "merge" | "replace" | "retainKeys" | "merge,retainKeys"
  readonly mergeKey?: string
}

/** A field: its tags, if any, and the struct of its value (or of its list items) to look further into. */
interface Field {
  readonly patch?: PatchStrategy
  readonly struct?: Struct
}

type Struct = { readonly [field: string]: Field }

const nested = (struct: Struct): Field => ({ struct })

/** A list merged by the key of its items (`patchStrategy:"merge" patchMergeKey:"<key>"`). */
const mergeBy = (mergeKey: string, struct?: Struct): Field => ({
  patch: { strategy: "merge", mergeKey },
  ...(struct === undefined ? {} : { struct })
})

/** A list of primitives merged as a set (`patchStrategy:"merge"` without a merge key). */
const mergeSet: Field = { patch: { strategy: "merge" } }

const ObjectMeta: Struct = {
  ownerReferences: mergeBy("uid"),
  finalizers: mergeSet
}

/** Container and EphemeralContainerCommon carry the same tags. */
const Container: Struct = {
  ports: mergeBy("containerPort"),
  env: mergeBy("name"),
  volumeMounts: mergeBy("mountPath"),
  volumeDevices: mergeBy("devicePath")
}

/** `tolerations` and `readinessGates` are atomic (`+listType=atomic`, no patch tags). */
const PodSpec: Struct = {
  volumes: { patch: { strategy: "merge,retainKeys", mergeKey: "name" } },
  initContainers: mergeBy("name", Container),
  containers: mergeBy("name", Container),
  ephemeralContainers: mergeBy("name", Container),
  imagePullSecrets: mergeBy("name"),
  hostAliases: mergeBy("ip"),
  topologySpreadConstraints: mergeBy("topologyKey"),
  schedulingGates: mergeBy("name"),
  resourceClaims: { patch: { strategy: "merge,retainKeys", mergeKey: "name" } }
}

/** `containerStatuses`, `initContainerStatuses` and `ephemeralContainerStatuses` are atomic. */
const PodStatus: Struct = {
  conditions: mergeBy("type"),
  podIPs: mergeBy("ip"),
  hostIPs: mergeBy("ip"),
  resourceClaimStatuses: { patch: { strategy: "merge,retainKeys", mergeKey: "name" } }
}

const PodTemplateSpec: Struct = { metadata: nested(ObjectMeta), spec: nested(PodSpec) }

/** `conditions` of the apps/v1 statuses. */
const StatusWithConditions: Struct = { conditions: mergeBy("type") }

const DeploymentSpec: Struct = {
  template: nested(PodTemplateSpec),
  strategy: { patch: { strategy: "retainKeys" } }
}

const ReplicaSetSpec: Struct = { template: nested(PodTemplateSpec) }

/** `taints` is atomic. */
const NodeSpec: Struct = { podCIDRs: mergeSet }

const NodeStatus: Struct = {
  conditions: mergeBy("type"),
  addresses: mergeBy("type")
}

const ServiceSpec: Struct = { ports: mergeBy("port") }

const objectWith = (fields: Struct): Struct => ({ metadata: nested(ObjectMeta), ...fields })

/** The root struct of each kind; Endpoints' `subsets`, Event and Lease have no merged lists. */
const kinds: Struct = {
  Pod: nested(objectWith({ spec: nested(PodSpec), status: nested(PodStatus) })),
  Deployment: nested(objectWith({ spec: nested(DeploymentSpec), status: nested(StatusWithConditions) })),
  ReplicaSet: nested(objectWith({ spec: nested(ReplicaSetSpec), status: nested(StatusWithConditions) })),
  Node: nested(objectWith({ spec: nested(NodeSpec), status: nested(NodeStatus) })),
  Service: nested(objectWith({ spec: nested(ServiceSpec), status: nested(StatusWithConditions) })),
  Endpoints: nested(objectWith({})),
  Namespace: nested(objectWith({ status: nested(StatusWithConditions) })),
  Event: nested(objectWith({})),
  Lease: nested(objectWith({}))
}

// Own properties only, so a field named like an Object.prototype member ("constructor") finds nothing.
const field = (struct: Struct | undefined, name: string): Field | undefined =>
  struct !== undefined && Object.hasOwn(struct, name) ? struct[name] : undefined

/**
 * The patch strategy of the field at `path` (field names from the object root, list indexes
 * skipped, e.g. `["spec", "template", "spec", "containers"]`) in objects of `kind`; `undefined`
 * when the field has no strategy tag (then a patch replaces it) or the kind or field is unknown.
 */
export const patchStrategy = (kind: string, path: ReadonlyArray<string>): PatchStrategy | undefined => {
  let current = field(kinds, kind)
  for (const name of path) current = field(current?.struct, name)
  return current?.patch
}
