/**
 * The core/v1 Node: spec (taints, unschedulable), status (capacity, allocatable, conditions,
 * addresses, node info), defaulting, validation, field selectors and kubectl's columns.
 */
import * as Schema from "effect/Schema"
import type { FieldError } from "./errors.js"
import { Int32 } from "./IntOrString.js"
import { ObjectMeta } from "./meta.js"
import { canonicalResources, ResourceList } from "./Container.js"
import { requiredField } from "./requiredField.js"
import { ageColumn, nameColumn, type ResourceType } from "./resource.js"
import * as V from "./validation.js"

const opt = Schema.optional
const id = (name: string) => ({ identifier: `io.k8s.api.core.v1.${name}` })

/** A node's repelling mark; pods need a matching toleration. Effects: NoSchedule, PreferNoSchedule, NoExecute. */
export const Taint = Schema.Struct({
  key: requiredField(Schema.String),
  value: opt(Schema.String),
  effect: requiredField(Schema.String),
  timeAdded: opt(Schema.String)
}).annotations(id("Taint"))
export type Taint = typeof Taint.Type

export const NodeSpec = Schema.Struct({
  podCIDR: opt(Schema.String),
  podCIDRs: opt(Schema.Array(Schema.String)),
  providerID: opt(Schema.String),
  unschedulable: opt(Schema.Boolean),
  taints: opt(Schema.Array(Taint)),
  configSource: opt(Schema.Unknown),
  externalID: opt(Schema.String)
}).annotations(id("NodeSpec"))
export type NodeSpec = typeof NodeSpec.Type

export const NodeCondition = Schema.Struct({
  type: requiredField(Schema.String),
  status: requiredField(Schema.String),
  lastHeartbeatTime: opt(Schema.NullOr(Schema.String)),
  lastTransitionTime: opt(Schema.NullOr(Schema.String)),
  reason: opt(Schema.String),
  message: opt(Schema.String)
}).annotations(id("NodeCondition"))
export type NodeCondition = typeof NodeCondition.Type

export const NodeAddress = Schema.Struct({
  type: requiredField(Schema.String),
  address: requiredField(Schema.String)
}).annotations(id("NodeAddress"))
export type NodeAddress = typeof NodeAddress.Type

export const NodeSystemInfo = Schema.Struct({
  machineID: opt(Schema.String),
  systemUUID: opt(Schema.String),
  bootID: opt(Schema.String),
  kernelVersion: opt(Schema.String),
  osImage: opt(Schema.String),
  containerRuntimeVersion: opt(Schema.String),
  kubeletVersion: opt(Schema.String),
  kubeProxyVersion: opt(Schema.String),
  operatingSystem: opt(Schema.String),
  architecture: opt(Schema.String),
  swap: opt(Schema.Unknown)
}).annotations(id("NodeSystemInfo"))
export type NodeSystemInfo = typeof NodeSystemInfo.Type

/** The kubelet's well-known port (`ports.KubeletPort`): what a node without `daemonEndpoints` is reached on. */
export const defaultKubeletPort = 10250

export const NodeStatus = Schema.Struct({
  capacity: opt(ResourceList),
  allocatable: opt(ResourceList),
  phase: opt(Schema.String),
  conditions: opt(Schema.Array(NodeCondition)),
  addresses: opt(Schema.Array(NodeAddress)),
  daemonEndpoints: opt(
    Schema.Struct({
      kubeletEndpoint: opt(Schema.Struct({ Port: requiredField(Int32) }).annotations(id("DaemonEndpoint")))
    })
  ),
  nodeInfo: opt(NodeSystemInfo),
  images: opt(Schema.Array(Schema.Unknown)),
  volumesInUse: opt(Schema.Array(Schema.String)),
  volumesAttached: opt(Schema.Array(Schema.Unknown)),
  config: opt(Schema.Unknown),
  runtimeHandlers: opt(Schema.Array(Schema.Unknown)),
  features: opt(Schema.Unknown)
}).annotations(id("NodeStatus"))
export type NodeStatus = typeof NodeStatus.Type

export const Node = Schema.Struct({
  apiVersion: Schema.Literal("v1"),
  kind: Schema.Literal("Node"),
  metadata: ObjectMeta,
  spec: opt(NodeSpec),
  status: opt(NodeStatus)
}).annotations(id("Node"))
export type Node = typeof Node.Type

/** SetDefaults_NodeStatus: allocatable defaults to capacity. */
export const defaults = (node: Node): Node => {
  const status = node.status
  if (status === undefined) return node
  const capacity = status.capacity === undefined ? undefined : canonicalResources(status.capacity)
  const allocatable = status.allocatable === undefined ? capacity : canonicalResources(status.allocatable)
  return {
    ...node,
    status: {
      ...status,
      ...(capacity === undefined ? {} : { capacity }),
      ...(allocatable === undefined ? {} : { allocatable })
    }
  }
}

const validateTaints = (taints: ReadonlyArray<Taint> | undefined): ReadonlyArray<FieldError> => {
  const errors: Array<FieldError> = []
  const seen = new Set<string>()
  ;(taints ?? []).forEach((t, i) => {
    const at = `spec.taints[${i}]`
    const [key, effect] = [t.key ?? "", t.effect ?? ""]
    errors.push(...V.qualifiedName(key).map((m) => V.invalid(`${at}.key`, key, m)))
    const valueProblems = V.labelValue(t.value ?? "")
    if (valueProblems.length > 0) errors.push(V.invalid(`${at}.value`, t.value ?? "", valueProblems.join(";")))
    if (effect === "") errors.push(V.required(`${at}.effect`))
    else if (!["NoSchedule", "PreferNoSchedule", "NoExecute"].includes(effect)) {
      errors.push(V.notSupported(`${at}.effect`, effect, ["NoSchedule", "PreferNoSchedule", "NoExecute"]))
    }
    const pair = `${effect}\u0000${key}`
    if (seen.has(pair)) {
      const d = V.duplicate(at, t)
      errors.push({ ...d, message: `${d.message}: taints must be unique by key and effect pair` })
    }
    seen.add(pair)
  })
  return errors
}

/** ValidateNode / ValidateNodeUpdate. */
export const validate = (node: Node, old: Node | undefined): ReadonlyArray<FieldError> => {
  const errors: Array<FieldError> = [
    ...V.metadata(node.metadata, old?.metadata, false, V.nameIsDNSSubdomain),
    ...validateTaints(node.spec?.taints)
  ]
  if (old !== undefined) {
    const [cidrs, oldCidrs] = [node.spec?.podCIDRs ?? [], old.spec?.podCIDRs ?? []]
    if (oldCidrs.length > 0 && V.canonical(cidrs) !== V.canonical(oldCidrs)) {
      errors.push(V.forbidden("spec.podCIDRs", 'node updates may not change podCIDR except from "" to valid'))
    }
    const [provider, oldProvider] = [node.spec?.providerID ?? "", old.spec?.providerID ?? ""]
    if (oldProvider !== "" && provider !== oldProvider) {
      errors.push(V.forbidden("spec.providerID", 'node updates may not change providerID except from "" to valid'))
    }
  }
  return errors
}

/** "Ready", "NotReady,SchedulingDisabled", "Unknown" — the STATUS column. */
export const nodeStatus = (node: Node): string => {
  const ready = node.status?.conditions?.find((c) => c.type === "Ready")
  const status = [ready === undefined ? "Unknown" : ready.status === "True" ? "Ready" : "NotReady"]
  if (node.spec?.unschedulable === true) status.push("SchedulingDisabled")
  return status.join(",")
}

/** Roles from `node-role.kubernetes.io/<role>` and `kubernetes.io/role` labels, sorted. */
export const nodeRoles = (node: Node): ReadonlyArray<string> => {
  const roles = new Set<string>()
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith("node-role.kubernetes.io/")) {
      const role = k.slice("node-role.kubernetes.io/".length)
      if (role !== "") roles.add(role)
    } else if (k === "kubernetes.io/role" && v !== "") {
      roles.add(v)
    }
  }
  return [...roles].sort()
}

const address = (node: Node, type: string) => node.status?.addresses?.find((a) => a.type === type)?.address ?? "<none>"
const unknown = (s: string | undefined) => (s === undefined || s === "" ? "<unknown>" : s)

export const Nodes: ResourceType<Node> = {
  group: "",
  version: "v1",
  kind: "Node",
  plural: "nodes",
  singular: "node",
  shortNames: ["no"],
  namespaced: false,
  categories: [],
  schema: Node,
  defaults,
  validate,
  fields: { "spec.unschedulable": (n) => String(n.spec?.unschedulable ?? false) },
  columns: [
    nameColumn("node"),
    { name: "Status", type: "string", priority: 0, description: "The status of the node.", cell: nodeStatus },
    {
      name: "Roles",
      type: "string",
      priority: 0,
      description: "The roles of the node.",
      cell: (n) => {
        const roles = nodeRoles(n)
        return roles.length === 0 ? "<none>" : roles.join(",")
      }
    },
    ageColumn("node"),
    {
      name: "Version",
      type: "string",
      priority: 0,
      description: "Kubelet version reported by the node.",
      cell: (n) => n.status?.nodeInfo?.kubeletVersion ?? ""
    },
    {
      name: "Internal-IP",
      type: "string",
      priority: 1,
      description: "The node's internal IP.",
      cell: (n) => address(n, "InternalIP")
    },
    {
      name: "External-IP",
      type: "string",
      priority: 1,
      description: "The node's external IP.",
      cell: (n) => address(n, "ExternalIP")
    },
    {
      name: "OS-Image",
      type: "string",
      priority: 1,
      description: "OS image reported by the node.",
      cell: (n) => unknown(n.status?.nodeInfo?.osImage)
    },
    {
      name: "Kernel-Version",
      type: "string",
      priority: 1,
      description: "Kernel version reported by the node.",
      cell: (n) => unknown(n.status?.nodeInfo?.kernelVersion)
    },
    {
      name: "Container-Runtime",
      type: "string",
      priority: 1,
      description: "Container runtime and version reported by the node.",
      cell: (n) => unknown(n.status?.nodeInfo?.containerRuntimeVersion)
    }
  ],
  statusSubresource: true,
  hasGeneration: false
}
