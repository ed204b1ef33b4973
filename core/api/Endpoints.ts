/**
 * The core/v1 Endpoints: the ready and not-ready pod addresses behind a Service, grouped in
 * subsets with their ports; defaulting, validation and kubectl's columns.
 */
import * as Schema from "effect/Schema"
import type { FieldError } from "./errors.js"
import { Int32 } from "./IntOrString.js"
import { ObjectMeta } from "./meta.js"
import { ObjectReference } from "./ObjectReference.js"
import { requiredField } from "./requiredField.js"
import { ageColumn, nameColumn, type ResourceType } from "./resource.js"
import * as V from "./validation.js"

const opt = Schema.optional
const id = (name: string) => ({ identifier: `io.k8s.api.core.v1.${name}` })

export const EndpointAddress = Schema.Struct({
  ip: requiredField(Schema.String),
  hostname: opt(Schema.String),
  nodeName: opt(Schema.String),
  targetRef: opt(ObjectReference)
}).annotations(id("EndpointAddress"))
export type EndpointAddress = typeof EndpointAddress.Type

export const EndpointPort = Schema.Struct({
  name: opt(Schema.String),
  port: requiredField(Int32),
  protocol: opt(Schema.String),
  appProtocol: opt(Schema.String)
}).annotations(id("EndpointPort"))
export type EndpointPort = typeof EndpointPort.Type

export const EndpointSubset = Schema.Struct({
  addresses: opt(Schema.Array(EndpointAddress)),
  notReadyAddresses: opt(Schema.Array(EndpointAddress)),
  ports: opt(Schema.Array(EndpointPort))
}).annotations(id("EndpointSubset"))
export type EndpointSubset = typeof EndpointSubset.Type

export const Endpoints = Schema.Struct({
  apiVersion: Schema.Literal("v1"),
  kind: Schema.Literal("Endpoints"),
  metadata: ObjectMeta,
  subsets: opt(Schema.Array(EndpointSubset))
}).annotations(id("Endpoints"))
export type Endpoints = typeof Endpoints.Type

/** SetDefaults_Endpoints: ports default to TCP. */
export const defaults = (ep: Endpoints): Endpoints =>
  ep.subsets === undefined
    ? ep
    : {
        ...ep,
        subsets: ep.subsets.map((s) =>
          s.ports === undefined ? s : { ...s, ports: s.ports.map((p) => ({ ...p, protocol: p.protocol ?? "TCP" })) }
        )
      }

const validateAddress = (at: string, a: EndpointAddress): ReadonlyArray<FieldError> => [
  ...(V.isIP(a.ip ?? "")
    ? []
    : [V.invalid(`${at}.ip`, a.ip ?? "", "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")]),
  ...(a.hostname === undefined || a.hostname === ""
    ? []
    : V.dns1123Label(a.hostname).map((m) => V.invalid(`${at}.hostname`, a.hostname, m))),
  ...(a.nodeName === undefined || a.nodeName === ""
    ? []
    : V.dns1123Subdomain(a.nodeName).map((m) => V.invalid(`${at}.nodeName`, a.nodeName, m)))
]

const validateSubset = (at: string, s: EndpointSubset): ReadonlyArray<FieldError> => {
  const errors: Array<FieldError> = []
  if ((s.addresses ?? []).length === 0 && (s.notReadyAddresses ?? []).length === 0) {
    errors.push(V.required(at, "must specify `addresses` or `notReadyAddresses`"))
  }
  ;(s.addresses ?? []).forEach((a, i) => errors.push(...validateAddress(`${at}.addresses[${i}]`, a)))
  ;(s.notReadyAddresses ?? []).forEach((a, i) => errors.push(...validateAddress(`${at}.notReadyAddresses[${i}]`, a)))
  const ports = s.ports ?? []
  const names = new Set<string>()
  ports.forEach((p, i) => {
    const pat = `${at}.ports[${i}]`
    const name = p.name ?? ""
    if (ports.length > 1 && name === "") errors.push(V.required(`${pat}.name`))
    if (name !== "") {
      errors.push(...V.dns1123Label(name).map((m) => V.invalid(`${pat}.name`, name, m)))
      if (names.has(name)) errors.push(V.duplicate(`${pat}.name`, name))
      names.add(name)
    }
    const port = p.port ?? 0
    errors.push(...V.portNumber(port).map((m) => V.invalid(`${pat}.port`, port, m)))
    if (p.protocol === undefined || p.protocol === "") errors.push(V.required(`${pat}.protocol`))
    else if (!["SCTP", "TCP", "UDP"].includes(p.protocol)) {
      errors.push(V.notSupported(`${pat}.protocol`, p.protocol, ["SCTP", "TCP", "UDP"]))
    }
  })
  return errors
}

/** ValidateEndpoints / ValidateEndpointsUpdate. */
export const validate = (ep: Endpoints, old: Endpoints | undefined): ReadonlyArray<FieldError> => [
  ...V.metadata(ep.metadata, old?.metadata, true, V.nameIsDNSSubdomain),
  ...(ep.subsets ?? []).flatMap((s, i) => validateSubset(`subsets[${i}]`, s))
]

const hostPort = (ip: string, port: number) => (ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`)

/** "10.0.0.1:80,10.0.0.2:80 + 3 more..." — the ENDPOINTS column (first three addresses). */
export const formatEndpoints = (ep: Endpoints): string => {
  const subsets = ep.subsets ?? []
  if (subsets.length === 0) return "<none>"
  const max = 3
  const list: Array<string> = []
  let count = 0
  let more = false
  const take = (entries: ReadonlyArray<string>) => {
    count += entries.length
    for (const e of entries) {
      if (list.length === max) {
        more = true
        break
      }
      list.push(e)
    }
  }
  for (const s of subsets) {
    const addresses = s.addresses ?? []
    if ((s.ports ?? []).length === 0) take(addresses.map((a) => a.ip ?? ""))
    else for (const p of s.ports ?? []) take(addresses.map((a) => hostPort(a.ip ?? "", p.port ?? 0)))
  }
  if (more) return `${list.join(",")} + ${count - max} more...`
  return list.length === 0 ? "<none>" : list.join(",")
}

export const EndpointsResource: ResourceType<Endpoints> = {
  group: "",
  version: "v1",
  kind: "Endpoints",
  plural: "endpoints",
  singular: "endpoints",
  shortNames: ["ep"],
  namespaced: true,
  categories: [],
  schema: Endpoints,
  defaults,
  validate,
  fields: {},
  columns: [
    nameColumn("endpoints object"),
    { name: "Endpoints", type: "string", priority: 0, description: "Endpoints of the service.", cell: formatEndpoints },
    ageColumn("endpoints object")
  ],
  statusSubresource: false,
  hasGeneration: false
}
