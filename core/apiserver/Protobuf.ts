/**
 * Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`), what client-go's
 * typed clientsets send (and so kubectl's `create namespace|deployment|service`, `run`, `expose`):
 * the `k8s\0` magic, a `runtime.Unknown` envelope naming apiVersion and kind, and the object's
 * message inside. Decoded here into the JSON object the same request in JSON would carry, with
 * Go's `omitempty` applied, so it then takes the ordinary decode, default and validate path.
 * Field numbers follow Kubernetes' `generated.proto` files; only the types minik8s serves are known.
 */
import * as Either from "effect/Either"
import { BadRequest, UnsupportedMediaType } from "../api/errors.js"

/** The media type of Kubernetes' protobuf encoding. */
export const protobufMediaType = "application/vnd.kubernetes.protobuf"

/** What a protobuf body decodes to: the JSON object, and the paths of fields this table does not know. */
export interface DecodedProtobuf {
  readonly object: Record<string, unknown>
  readonly unknownFields: ReadonlyArray<string>
}

// ---- Descriptors -------------------------------------------------------------------------------

/** Scalars and the apimachinery types that have their own JSON form. */
type Scalar =
  "string" | "int32" | "int64" | "bool" | "bytes" | "IntOrString" | "Quantity" | "Time" | "MicroTime" | "FieldsV1"

interface Field {
  readonly name: string
  /** A scalar, or the name of a message in `messages`. */
  readonly type: string
  /** `repeated`, `map<string, type>`, or `inline` (a Go embedded struct: its fields join the parent's). */
  readonly shape?: "repeated" | "map" | "inline"
  /** A Go pointer field: zero is an explicit value, not an absent one, so it is kept. */
  readonly explicit?: true
}

type Message = Readonly<Record<number, Field>>

const scalars = new Set<string>([
  "string",
  "int32",
  "int64",
  "bool",
  "bytes",
  "IntOrString",
  "Quantity",
  "Time",
  "MicroTime",
  "FieldsV1"
])

const f = (name: string, type: string, shape?: Field["shape"]): Field =>
  shape === undefined ? { name, type } : { name, type, shape }
const ptr = (name: string, type: string): Field => ({ name, type, explicit: true })

const objectOf = (spec: string, status?: string): Message =>
  status === undefined
    ? { 1: f("metadata", "ObjectMeta"), 2: f("spec", spec) }
    : { 1: f("metadata", "ObjectMeta"), 2: f("spec", spec), 3: f("status", status) }

const condition = (numbers: {
  readonly lastProbeTime?: number
  readonly lastHeartbeatTime?: number
  readonly lastUpdateTime?: number
  readonly lastTransitionTime: number
  readonly reason: number
  readonly message: number
}): Message => {
  const fields: Record<number, Field> = { 1: f("type", "string"), 2: f("status", "string") }
  for (const [name, n] of Object.entries(numbers)) {
    fields[n] = f(name, name.endsWith("Time") ? "Time" : "string")
  }
  return fields
}

// Field numbers from kubernetes/api core/v1, apps/v1, coordination/v1, autoscaling/v1 and
// kubernetes/apimachinery meta/v1 generated.proto.
const messages: Readonly<Record<string, Message>> = {
  // meta/v1
  ObjectMeta: {
    1: f("name", "string"),
    2: f("generateName", "string"),
    3: f("namespace", "string"),
    4: f("selfLink", "string"),
    5: f("uid", "string"),
    6: f("resourceVersion", "string"),
    7: f("generation", "int64"),
    8: f("creationTimestamp", "Time"),
    9: f("deletionTimestamp", "Time"),
    10: ptr("deletionGracePeriodSeconds", "int64"),
    11: f("labels", "string", "map"),
    12: f("annotations", "string", "map"),
    13: f("ownerReferences", "OwnerReference", "repeated"),
    14: f("finalizers", "string", "repeated"),
    17: f("managedFields", "ManagedFieldsEntry", "repeated")
  },
  OwnerReference: {
    1: f("kind", "string"),
    3: f("name", "string"),
    4: f("uid", "string"),
    5: f("apiVersion", "string"),
    6: ptr("controller", "bool"),
    7: ptr("blockOwnerDeletion", "bool")
  },
  ManagedFieldsEntry: {
    1: f("manager", "string"),
    2: f("operation", "string"),
    3: f("apiVersion", "string"),
    4: f("time", "Time"),
    6: f("fieldsType", "string"),
    7: f("fieldsV1", "FieldsV1"),
    8: f("subresource", "string")
  },
  LabelSelector: {
    1: f("matchLabels", "string", "map"),
    2: f("matchExpressions", "LabelSelectorRequirement", "repeated")
  },
  LabelSelectorRequirement: { 1: f("key", "string"), 2: f("operator", "string"), 3: f("values", "string", "repeated") },
  Condition: {
    1: f("type", "string"),
    2: f("status", "string"),
    3: f("observedGeneration", "int64"),
    4: f("lastTransitionTime", "Time"),
    5: f("reason", "string"),
    6: f("message", "string")
  },
  // core/v1
  Namespace: objectOf("NamespaceSpec", "NamespaceStatus"),
  NamespaceSpec: { 1: f("finalizers", "string", "repeated") },
  NamespaceStatus: { 1: f("phase", "string"), 2: f("conditions", "NamespaceCondition", "repeated") },
  NamespaceCondition: condition({ lastTransitionTime: 4, reason: 5, message: 6 }),
  Pod: objectOf("PodSpec", "PodStatus"),
  PodTemplateSpec: objectOf("PodSpec"),
  PodSpec: {
    1: f("volumes", "Volume", "repeated"),
    2: f("containers", "Container", "repeated"),
    3: f("restartPolicy", "string"),
    4: ptr("terminationGracePeriodSeconds", "int64"),
    5: ptr("activeDeadlineSeconds", "int64"),
    6: f("dnsPolicy", "string"),
    7: f("nodeSelector", "string", "map"),
    8: f("serviceAccountName", "string"),
    9: f("serviceAccount", "string"),
    10: f("nodeName", "string"),
    11: f("hostNetwork", "bool"),
    12: f("hostPID", "bool"),
    13: f("hostIPC", "bool"),
    15: f("imagePullSecrets", "LocalObjectReference", "repeated"),
    16: f("hostname", "string"),
    17: f("subdomain", "string"),
    19: f("schedulerName", "string"),
    20: f("initContainers", "Container", "repeated"),
    21: ptr("automountServiceAccountToken", "bool"),
    22: f("tolerations", "Toleration", "repeated"),
    24: f("priorityClassName", "string"),
    25: ptr("priority", "int32"),
    27: ptr("shareProcessNamespace", "bool"),
    29: ptr("runtimeClassName", "string"),
    30: ptr("enableServiceLinks", "bool"),
    31: ptr("preemptionPolicy", "string"),
    32: f("overhead", "Quantity", "map"),
    35: ptr("setHostnameAsFQDN", "bool")
  },
  Volume: { 1: f("name", "string"), 2: f("volumeSource", "VolumeSource", "inline") },
  // Only the sources with no nested references of their own; others are unknown fields.
  VolumeSource: {
    1: f("hostPath", "HostPathVolumeSource"),
    2: f("emptyDir", "EmptyDirVolumeSource")
  },
  HostPathVolumeSource: { 1: f("path", "string"), 2: ptr("type", "string") },
  EmptyDirVolumeSource: { 1: f("medium", "string"), 2: ptr("sizeLimit", "Quantity") },
  LocalObjectReference: { 1: f("name", "string") },
  Container: {
    1: f("name", "string"),
    2: f("image", "string"),
    3: f("command", "string", "repeated"),
    4: f("args", "string", "repeated"),
    5: f("workingDir", "string"),
    6: f("ports", "ContainerPort", "repeated"),
    7: f("env", "EnvVar", "repeated"),
    8: f("resources", "ResourceRequirements"),
    13: f("terminationMessagePath", "string"),
    14: f("imagePullPolicy", "string"),
    16: f("stdin", "bool"),
    17: f("stdinOnce", "bool"),
    18: f("tty", "bool"),
    20: f("terminationMessagePolicy", "string"),
    24: ptr("restartPolicy", "string")
  },
  ContainerPort: {
    1: f("name", "string"),
    2: f("hostPort", "int32"),
    3: f("containerPort", "int32"),
    4: f("protocol", "string"),
    5: f("hostIP", "string")
  },
  EnvVar: { 1: f("name", "string"), 2: f("value", "string") },
  ResourceRequirements: { 1: f("limits", "Quantity", "map"), 2: f("requests", "Quantity", "map") },
  Toleration: {
    1: f("key", "string"),
    2: f("operator", "string"),
    3: f("value", "string"),
    4: f("effect", "string"),
    5: ptr("tolerationSeconds", "int64")
  },
  PodStatus: {
    1: f("phase", "string"),
    2: f("conditions", "PodCondition", "repeated"),
    3: f("message", "string"),
    4: f("reason", "string"),
    5: f("hostIP", "string"),
    6: f("podIP", "string"),
    7: f("startTime", "Time"),
    9: f("qosClass", "string"),
    11: f("nominatedNodeName", "string")
  },
  PodCondition: condition({ lastProbeTime: 3, lastTransitionTime: 4, reason: 5, message: 6 }),
  Service: objectOf("ServiceSpec", "ServiceStatus"),
  ServiceSpec: {
    1: f("ports", "ServicePort", "repeated"),
    2: f("selector", "string", "map"),
    3: f("clusterIP", "string"),
    4: f("type", "string"),
    5: f("externalIPs", "string", "repeated"),
    7: f("sessionAffinity", "string"),
    8: f("loadBalancerIP", "string"),
    10: f("externalName", "string"),
    11: f("externalTrafficPolicy", "string"),
    12: f("healthCheckNodePort", "int32"),
    13: f("publishNotReadyAddresses", "bool"),
    17: ptr("ipFamilyPolicy", "string"),
    18: f("clusterIPs", "string", "repeated"),
    19: f("ipFamilies", "string", "repeated"),
    20: ptr("allocateLoadBalancerNodePorts", "bool"),
    21: ptr("loadBalancerClass", "string"),
    22: ptr("internalTrafficPolicy", "string")
  },
  ServicePort: {
    1: f("name", "string"),
    2: f("protocol", "string"),
    3: f("port", "int32"),
    4: f("targetPort", "IntOrString"),
    5: f("nodePort", "int32"),
    6: ptr("appProtocol", "string")
  },
  ServiceStatus: { 1: f("loadBalancer", "LoadBalancerStatus"), 2: f("conditions", "Condition", "repeated") },
  LoadBalancerStatus: { 1: f("ingress", "LoadBalancerIngress", "repeated") },
  LoadBalancerIngress: {
    1: f("ip", "string"),
    2: f("hostname", "string"),
    3: ptr("ipMode", "string"),
    4: f("ports", "PortStatus", "repeated")
  },
  PortStatus: { 1: f("port", "int32"), 2: f("protocol", "string"), 3: ptr("error", "string") },
  ObjectReference: {
    1: f("kind", "string"),
    2: f("namespace", "string"),
    3: f("name", "string"),
    4: f("uid", "string"),
    5: f("apiVersion", "string"),
    6: f("resourceVersion", "string"),
    7: f("fieldPath", "string")
  },
  Binding: { 1: f("metadata", "ObjectMeta"), 2: f("target", "ObjectReference") },
  Event: {
    1: f("metadata", "ObjectMeta"),
    2: f("involvedObject", "ObjectReference"),
    3: f("reason", "string"),
    4: f("message", "string"),
    5: f("source", "EventSource"),
    6: f("firstTimestamp", "Time"),
    7: f("lastTimestamp", "Time"),
    8: f("count", "int32"),
    9: f("type", "string"),
    10: f("eventTime", "MicroTime"),
    12: f("action", "string"),
    13: f("related", "ObjectReference"),
    14: f("reportingComponent", "string"),
    15: f("reportingInstance", "string")
  },
  EventSource: { 1: f("component", "string"), 2: f("host", "string") },
  Node: objectOf("NodeSpec", "NodeStatus"),
  NodeSpec: {
    1: f("podCIDR", "string"),
    3: f("providerID", "string"),
    4: f("unschedulable", "bool"),
    5: f("taints", "Taint", "repeated"),
    7: f("podCIDRs", "string", "repeated")
  },
  Taint: { 1: f("key", "string"), 2: f("value", "string"), 3: f("effect", "string"), 4: ptr("timeAdded", "Time") },
  NodeStatus: {
    1: f("capacity", "Quantity", "map"),
    2: f("allocatable", "Quantity", "map"),
    4: f("conditions", "NodeCondition", "repeated"),
    5: f("addresses", "NodeAddress", "repeated")
  },
  NodeCondition: condition({ lastHeartbeatTime: 3, lastTransitionTime: 4, reason: 5, message: 6 }),
  NodeAddress: { 1: f("type", "string"), 2: f("address", "string") },
  // apps/v1
  Deployment: objectOf("DeploymentSpec", "DeploymentStatus"),
  DeploymentSpec: {
    1: ptr("replicas", "int32"),
    2: f("selector", "LabelSelector"),
    3: f("template", "PodTemplateSpec"),
    4: f("strategy", "DeploymentStrategy"),
    5: f("minReadySeconds", "int32"),
    6: ptr("revisionHistoryLimit", "int32"),
    7: f("paused", "bool"),
    9: ptr("progressDeadlineSeconds", "int32")
  },
  DeploymentStrategy: { 1: f("type", "string"), 2: f("rollingUpdate", "RollingUpdateDeployment") },
  RollingUpdateDeployment: { 1: ptr("maxUnavailable", "IntOrString"), 2: ptr("maxSurge", "IntOrString") },
  DeploymentStatus: {
    1: f("observedGeneration", "int64"),
    2: f("replicas", "int32"),
    3: f("updatedReplicas", "int32"),
    4: f("availableReplicas", "int32"),
    5: f("unavailableReplicas", "int32"),
    6: f("conditions", "DeploymentCondition", "repeated"),
    7: f("readyReplicas", "int32"),
    8: ptr("collisionCount", "int32")
  },
  DeploymentCondition: condition({ lastUpdateTime: 6, lastTransitionTime: 7, reason: 4, message: 5 }),
  ReplicaSet: objectOf("ReplicaSetSpec", "ReplicaSetStatus"),
  ReplicaSetSpec: {
    1: ptr("replicas", "int32"),
    2: f("selector", "LabelSelector"),
    3: f("template", "PodTemplateSpec"),
    4: f("minReadySeconds", "int32")
  },
  ReplicaSetStatus: {
    1: f("replicas", "int32"),
    2: f("fullyLabeledReplicas", "int32"),
    3: f("observedGeneration", "int64"),
    4: f("readyReplicas", "int32"),
    5: f("availableReplicas", "int32"),
    6: f("conditions", "ReplicaSetCondition", "repeated")
  },
  ReplicaSetCondition: condition({ lastTransitionTime: 3, reason: 4, message: 5 }),
  // coordination/v1
  Lease: objectOf("LeaseSpec"),
  LeaseSpec: {
    1: ptr("holderIdentity", "string"),
    2: ptr("leaseDurationSeconds", "int32"),
    3: ptr("acquireTime", "MicroTime"),
    4: ptr("renewTime", "MicroTime"),
    5: ptr("leaseTransitions", "int32")
  },
  // autoscaling/v1
  Scale: objectOf("ScaleSpec", "ScaleStatus"),
  ScaleSpec: { 1: f("replicas", "int32") },
  ScaleStatus: { 1: f("replicas", "int32"), 2: f("selector", "string") }
}

/** The top-level message of each `apiVersion/kind` a protobuf body may carry. */
const kinds: Readonly<Record<string, string>> = {
  "v1/Namespace": "Namespace",
  "v1/Pod": "Pod",
  "v1/Service": "Service",
  "v1/Binding": "Binding",
  "v1/Event": "Event",
  "v1/Node": "Node",
  "apps/v1/Deployment": "Deployment",
  "apps/v1/ReplicaSet": "ReplicaSet",
  "coordination.k8s.io/v1/Lease": "Lease",
  "autoscaling/v1/Scale": "Scale"
}

/** A message of the table; every name the table uses is in it (the tests decode each kind). */
const messageOf = (name: string): Message => {
  const message = messages[name]
  if (message === undefined) throw new Error(`protobuf table names an undescribed message ${name}`)
  return message
}

// ---- Wire format -------------------------------------------------------------------------------

class Malformed extends Error {}

const wireVarint = 0
const wireFixed64 = 1
const wireBytes = 2
const wireFixed32 = 5

/** A cursor over a message's bytes. */
class Reader {
  private offset: number
  constructor(
    private readonly bytes: Uint8Array,
    start = 0,
    private readonly end = bytes.length
  ) {
    this.offset = start
  }

  get done(): boolean {
    return this.offset >= this.end
  }

  /** A varint as a 64-bit two's complement value (Go's int32 and int64 fields are plain varints, not zigzag). */
  varint(): bigint {
    let result = 0n
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.offset >= this.end) throw new Malformed("truncated varint")
      const byte = this.bytes[this.offset++]
      result |= BigInt(byte & 0x7f) << shift
      if ((byte & 0x80) === 0) return BigInt.asIntN(64, result)
    }
    throw new Malformed("varint longer than 10 bytes")
  }

  /** The bounds of a length-delimited field's payload, skipping past it. */
  delimited(): { readonly start: number; readonly end: number } {
    const length = this.varint()
    if (length < 0n || length > BigInt(this.end - this.offset))
      throw new Malformed("length beyond the end of the message")
    const start = this.offset
    this.offset += Number(length)
    return { start, end: this.offset }
  }

  skip(wireType: number): void {
    switch (wireType) {
      case wireVarint:
        this.varint()
        return
      case wireFixed64:
        this.advance(8)
        return
      case wireBytes:
        this.delimited()
        return
      case wireFixed32:
        this.advance(4)
        return
      default:
        throw new Malformed(`unsupported wire type ${wireType}`)
    }
  }

  /** Skips a field, answering whether it held its zero value (0, or no bytes). */
  skipZero(wireType: number): boolean {
    if (wireType === wireVarint) return this.varint() === 0n
    if (wireType === wireBytes) {
      const { start, end } = this.delimited()
      return start === end
    }
    this.skip(wireType)
    return false
  }

  private advance(n: number): void {
    if (this.offset + n > this.end) throw new Malformed("truncated fixed-width field")
    this.offset += n
  }

  /** The next field's number and wire type. */
  tag(): { readonly field: number; readonly wireType: number } {
    const tag = this.varint()
    const field = Number(tag >> 3n)
    if (field <= 0 || field > 536870911) throw new Malformed(`invalid field number ${field}`)
    return { field, wireType: Number(tag & 7n) }
  }

  sub(bounds: { readonly start: number; readonly end: number }): Reader {
    return new Reader(this.bytes, bounds.start, bounds.end)
  }

  slice(bounds: { readonly start: number; readonly end: number }): Uint8Array {
    return this.bytes.subarray(bounds.start, bounds.end)
  }
}

/** Strict UTF-8 (throws on bad bytes); it keeps no state between decodes, so one serves every body. */
export const utf8 = new TextDecoder("utf-8", { fatal: true })

const text = (bytes: Uint8Array): string => {
  try {
    return utf8.decode(bytes)
  } catch {
    throw new Malformed("a string field is not valid UTF-8")
  }
}

const toNumber = (v: bigint): number => {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new Malformed(`integer ${v} is beyond what JSON numbers hold exactly`)
  }
  return Number(v)
}

// ---- Messages to JSON --------------------------------------------------------------------------

type Path = ReadonlyArray<string | number>

const formatPath = (path: Path): string =>
  path.reduce<string>((s, k) => (typeof k === "number" ? `${s}[${k}]` : s === "" ? k : `${s}.${k}`), "")

/** RFC 3339 in UTC, as metav1.Time (seconds) or metav1.MicroTime (microseconds) marshal. */
const timestamp = (seconds: number, nanos: number, micro: boolean): string => {
  const iso = new Date(seconds * 1000).toISOString()
  return micro ? `${iso.slice(0, 19)}.${String(Math.floor(nanos / 1000)).padStart(6, "0")}Z` : `${iso.slice(0, 19)}Z`
}

const base64 = (bytes: Uint8Array): string => {
  let binary = ""
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary)
}

/** The fields of a small fixed message (Time, IntOrString, Quantity) by number. */
const fieldsOf = (reader: Reader): Map<number, bigint | Uint8Array> => {
  const out = new Map<number, bigint | Uint8Array>()
  while (!reader.done) {
    const { field, wireType } = reader.tag()
    if (wireType === wireVarint) out.set(field, reader.varint())
    else if (wireType === wireBytes) out.set(field, reader.slice(reader.delimited()))
    else reader.skip(wireType)
  }
  return out
}

const int = (v: bigint | Uint8Array | undefined): number => (typeof v === "bigint" ? toNumber(v) : 0)
const str = (v: bigint | Uint8Array | undefined): string => (v instanceof Uint8Array ? text(v) : "")

/** Whether Go's `omitempty` drops this value (and so a JSON body would not carry it). */
const isEmpty = (v: unknown): boolean =>
  v === undefined || v === "" || v === 0 || v === false || (Array.isArray(v) && v.length === 0)

class Decoder {
  readonly unknown: Array<string> = []

  /** A scalar field's JSON value; undefined for a zero Time (Go marshals it as null). */
  scalar(type: Scalar, reader: Reader, wireType: number, path: Path): unknown {
    const expect = (want: number) => {
      if (wireType !== want) throw new Malformed(`field ${formatPath(path)} has wire type ${wireType}, want ${want}`)
    }
    switch (type) {
      case "int32":
      case "int64":
        expect(wireVarint)
        return toNumber(type === "int32" ? BigInt.asIntN(32, reader.varint()) : reader.varint())
      case "bool":
        expect(wireVarint)
        return reader.varint() !== 0n
      case "string":
        expect(wireBytes)
        return text(reader.slice(reader.delimited()))
      case "bytes":
        expect(wireBytes)
        return base64(reader.slice(reader.delimited()))
      case "FieldsV1": {
        expect(wireBytes)
        const raw = fieldsOf(reader.sub(reader.delimited())).get(1)
        if (!(raw instanceof Uint8Array)) return undefined
        try {
          return JSON.parse(text(raw)) as unknown
        } catch {
          throw new Malformed(`field ${formatPath(path)} is not JSON`)
        }
      }
      case "Quantity":
        expect(wireBytes)
        return str(fieldsOf(reader.sub(reader.delimited())).get(1))
      case "IntOrString": {
        expect(wireBytes)
        const fields = fieldsOf(reader.sub(reader.delimited()))
        return int(fields.get(1)) === 1 ? str(fields.get(3)) : int(fields.get(2))
      }
      case "Time":
      case "MicroTime": {
        expect(wireBytes)
        const fields = fieldsOf(reader.sub(reader.delimited()))
        const seconds = int(fields.get(1))
        const nanos = int(fields.get(2))
        if (seconds === 0 && nanos === 0) return undefined
        // RFC 3339 holds years 0001 to 9999, as Go's Time marshalling requires.
        if (seconds < -62135596800 || seconds > 253402300799 || nanos < 0 || nanos > 999_999_999) {
          throw new Malformed(`field ${formatPath(path)} is not a valid time`)
        }
        return timestamp(seconds, nanos, type === "MicroTime")
      }
    }
  }

  value(type: string, reader: Reader, wireType: number, path: Path): unknown {
    if (scalars.has(type)) return this.scalar(type as Scalar, reader, wireType, path)
    if (wireType !== wireBytes) throw new Malformed(`field ${formatPath(path)} has wire type ${wireType}, want 2`)
    return this.message(messageOf(type), reader.sub(reader.delimited()), path, {})
  }

  /** A map entry: a message with the key as field 1 and the value as field 2. */
  entry(type: string, reader: Reader, path: Path): readonly [string, unknown] {
    let key = ""
    let value: unknown = type === "string" || type === "Quantity" ? "" : undefined
    while (!reader.done) {
      const { field, wireType } = reader.tag()
      if (field === 1 && wireType === wireBytes) key = text(reader.slice(reader.delimited()))
      else if (field === 2) value = this.value(type, reader, wireType, [...path, key])
      else reader.skip(wireType)
    }
    return [key, value]
  }

  /** Decodes a message's fields into `into` (an inline struct shares its parent's object). */
  message(message: Message, reader: Reader, path: Path, into: Record<string, unknown>): Record<string, unknown> {
    while (!reader.done) {
      const { field, wireType } = reader.tag()
      const spec = message[field]
      if (spec === undefined) {
        // Go writes zero values of non-pointer fields; like JSON's omitempty, they carry nothing.
        if (!reader.skipZero(wireType)) this.unknown.push(formatPath([...path, `<field ${field}>`]))
        continue
      }
      const at = [...path, spec.name]
      switch (spec.shape) {
        case "inline":
          if (wireType !== wireBytes) throw new Malformed(`field ${formatPath(at)} has wire type ${wireType}, want 2`)
          this.message(messageOf(spec.type), reader.sub(reader.delimited()), path, into)
          break
        case "map": {
          if (wireType !== wireBytes) throw new Malformed(`field ${formatPath(at)} has wire type ${wireType}, want 2`)
          const map = (into[spec.name] ??= {}) as Record<string, unknown>
          const [key, value] = this.entry(spec.type, reader.sub(reader.delimited()), at)
          map[key] = value
          break
        }
        case "repeated": {
          const list = (into[spec.name] ??= []) as Array<unknown>
          // Packed repeated scalars (proto3 style) carry several varints in one length-delimited field.
          if ((spec.type === "int32" || spec.type === "int64" || spec.type === "bool") && wireType === wireBytes) {
            const packed = reader.sub(reader.delimited())
            while (!packed.done) list.push(this.scalar(spec.type, packed, wireVarint, [...at, list.length]))
          } else {
            list.push(this.value(spec.type, reader, wireType, [...at, list.length]))
          }
          break
        }
        case undefined: {
          const value = this.value(spec.type, reader, wireType, at)
          if (spec.explicit === true ? value !== undefined : !isEmpty(value)) into[spec.name] = value
          else delete into[spec.name]
        }
      }
    }
    return into
  }
}

// ---- The envelope ------------------------------------------------------------------------------

const magic = [0x6b, 0x38, 0x73, 0x00]

/** The `runtime.Unknown` envelope: TypeMeta (1), the object's bytes (2), their encoding (3) and type (4). */
const envelope = (reader: Reader) => {
  let apiVersion = ""
  let kind = ""
  let raw: { readonly start: number; readonly end: number } = { start: 0, end: 0 }
  let contentEncoding = ""
  while (!reader.done) {
    const { field, wireType } = reader.tag()
    if (wireType !== wireBytes) {
      reader.skip(wireType)
      continue
    }
    const bounds = reader.delimited()
    if (field === 1) {
      const typeMeta = fieldsOf(reader.sub(bounds))
      apiVersion = str(typeMeta.get(1))
      kind = str(typeMeta.get(2))
    } else if (field === 2) raw = bounds
    else if (field === 3) contentEncoding = text(reader.slice(bounds))
  }
  return { apiVersion, kind, raw, contentEncoding }
}

/**
 * Decodes a Kubernetes protobuf body into its JSON object (apiVersion and kind from the envelope).
 * Malformed bytes are a 400; a kind this table does not describe is a 415.
 */
export const decode = (bytes: Uint8Array): Either.Either<DecodedProtobuf, BadRequest | UnsupportedMediaType> => {
  if (bytes.length < magic.length || magic.some((b, i) => bytes[i] !== b)) {
    return Either.left(
      new BadRequest({ message: 'the protobuf body does not start with the Kubernetes magic bytes "k8s\\x00"' })
    )
  }
  try {
    const reader = new Reader(bytes, magic.length)
    const { apiVersion, kind, raw, contentEncoding } = envelope(reader)
    if (contentEncoding !== "")
      throw new Malformed(`content encoding ${JSON.stringify(contentEncoding)} is not supported`)
    const name = kinds[`${apiVersion}/${kind}`]
    if (name === undefined) {
      return Either.left(
        new UnsupportedMediaType({
          message: `the server cannot decode ${apiVersion} ${kind} from ${protobufMediaType}; send application/json`
        })
      )
    }
    const decoder = new Decoder()
    const fields = decoder.message(messageOf(name), reader.sub(raw), [], {})
    return Either.right({ object: { apiVersion, kind, ...fields }, unknownFields: decoder.unknown })
  } catch (e) {
    if (e instanceof Malformed) {
      return Either.left(new BadRequest({ message: `error decoding protobuf body: ${e.message}` }))
    }
    throw e
  }
}
