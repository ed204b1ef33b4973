/**
 * The core/v1 Service: a stable virtual IP and ports in front of the pods its selector picks;
 * defaulting (SetDefaults_Service), validation, field selectors and kubectl's columns.
 */
import * as Schema from "effect/Schema"
import type { FieldError } from "./errors.js"
import { Int32, IntOrString } from "./IntOrString.js"
import { ObjectMeta, StringMap } from "./meta.js"
import { requiredField } from "./requiredField.js"
import { ageColumn, nameColumn, type ResourceType } from "./resource.js"
import * as V from "./validation.js"

const opt = Schema.optional
const id = (name: string) => ({ identifier: `io.k8s.api.core.v1.${name}` })

export const ServicePort = Schema.Struct({
  name: opt(Schema.String),
  protocol: opt(Schema.String),
  appProtocol: opt(Schema.String),
  port: requiredField(Int32),
  targetPort: opt(IntOrString),
  nodePort: opt(Int32)
}).annotations(id("ServicePort"))
export type ServicePort = typeof ServicePort.Type

export const ServiceSpec = Schema.Struct({
  ports: opt(Schema.Array(ServicePort)),
  selector: opt(StringMap),
  clusterIP: opt(Schema.String),
  clusterIPs: opt(Schema.Array(Schema.String)),
  type: opt(Schema.String),
  externalIPs: opt(Schema.Array(Schema.String)),
  sessionAffinity: opt(Schema.String),
  loadBalancerIP: opt(Schema.String),
  loadBalancerSourceRanges: opt(Schema.Array(Schema.String)),
  externalName: opt(Schema.String),
  externalTrafficPolicy: opt(Schema.String),
  healthCheckNodePort: opt(Int32),
  publishNotReadyAddresses: opt(Schema.Boolean),
  sessionAffinityConfig: opt(
    Schema.Struct({ clientIP: opt(Schema.Struct({ timeoutSeconds: opt(Int32) })) }).annotations(
      id("SessionAffinityConfig")
    )
  ),
  ipFamilies: opt(Schema.Array(Schema.String)),
  ipFamilyPolicy: opt(Schema.String),
  allocateLoadBalancerNodePorts: opt(Schema.Boolean),
  loadBalancerClass: opt(Schema.String),
  internalTrafficPolicy: opt(Schema.String),
  trafficDistribution: opt(Schema.String)
}).annotations(id("ServiceSpec"))
export type ServiceSpec = typeof ServiceSpec.Type

export const LoadBalancerIngress = Schema.Struct({
  ip: opt(Schema.String),
  hostname: opt(Schema.String),
  ipMode: opt(Schema.String),
  ports: opt(Schema.Array(Schema.Unknown))
}).annotations(id("LoadBalancerIngress"))

export const ServiceStatus = Schema.Struct({
  loadBalancer: opt(
    Schema.Struct({ ingress: opt(Schema.Array(LoadBalancerIngress)) }).annotations(id("LoadBalancerStatus"))
  ),
  conditions: opt(Schema.Array(Schema.Unknown))
}).annotations(id("ServiceStatus"))

export const Service = Schema.Struct({
  apiVersion: Schema.Literal("v1"),
  kind: Schema.Literal("Service"),
  metadata: ObjectMeta,
  spec: opt(ServiceSpec),
  status: opt(ServiceStatus)
}).annotations(id("Service"))
export type Service = typeof Service.Type

const externallyAccessible = (spec: ServiceSpec) =>
  spec.type === "LoadBalancer" ||
  spec.type === "NodePort" ||
  (spec.type === "ClusterIP" && (spec.externalIPs ?? []).length > 0)

/** SetDefaults_Service: ClusterIP, no session affinity, TCP ports whose targetPort is the port. */
export const defaults = (svc: Service): Service => {
  const given = svc.spec ?? {}
  const sessionAffinity = given.sessionAffinity ?? "None"
  const type = given.type ?? "ClusterIP"
  const { sessionAffinityConfig, ...rest } = given
  const spec: ServiceSpec = {
    ...rest,
    type,
    sessionAffinity,
    ...(sessionAffinity === "ClientIP"
      ? {
          sessionAffinityConfig:
            sessionAffinityConfig?.clientIP?.timeoutSeconds === undefined
              ? { clientIP: { timeoutSeconds: 10800 } }
              : sessionAffinityConfig
        }
      : sessionAffinity === "None" || sessionAffinityConfig === undefined
        ? {}
        : { sessionAffinityConfig }),
    ...(given.ports === undefined
      ? {}
      : {
          ports: given.ports.map((p) => ({
            ...p,
            protocol: p.protocol ?? "TCP",
            // An absent port is Go's 0, so the target becomes 0 too (and both fail validation).
            targetPort:
              p.targetPort === undefined || p.targetPort === 0 || p.targetPort === "" ? (p.port ?? 0) : p.targetPort
          }))
        })
  }
  return {
    ...svc,
    spec: {
      ...spec,
      ...(externallyAccessible(spec) && spec.externalTrafficPolicy === undefined
        ? { externalTrafficPolicy: "Cluster" }
        : {}),
      ...(spec.internalTrafficPolicy === undefined && ["ClusterIP", "NodePort", "LoadBalancer"].includes(type)
        ? { internalTrafficPolicy: "Cluster" }
        : {}),
      ...(type === "LoadBalancer" && spec.allocateLoadBalancerNodePorts === undefined
        ? { allocateLoadBalancerNodePorts: true }
        : {})
    }
  }
}

const validatePorts = (spec: ServiceSpec): ReadonlyArray<FieldError> => {
  const errors: Array<FieldError> = []
  const ports = spec.ports ?? []
  const names = new Set<string>()
  ports.forEach((p, i) => {
    const at = `spec.ports[${i}]`
    const name = p.name ?? ""
    if (ports.length > 1 && name === "") errors.push(V.required(`${at}.name`))
    if (name !== "") {
      errors.push(...V.dns1123Label(name).map((m) => V.invalid(`${at}.name`, name, m)))
      if (names.has(name)) errors.push(V.duplicate(`${at}.name`, name))
      names.add(name)
    }
    const port = p.port ?? 0
    errors.push(...V.portNumber(port).map((m) => V.invalid(`${at}.port`, port, m)))
    errors.push(...V.supported(`${at}.protocol`, p.protocol, ["SCTP", "TCP", "UDP"]))
    const target = p.targetPort
    if (typeof target === "number")
      errors.push(...V.portNumber(target).map((m) => V.invalid(`${at}.targetPort`, target, m)))
    else if (target !== undefined)
      errors.push(...V.portName(target).map((m) => V.invalid(`${at}.targetPort`, target, m)))
    if (p.nodePort !== undefined && p.nodePort !== 0) {
      if (spec.type !== "NodePort" && spec.type !== "LoadBalancer") {
        errors.push(V.forbidden(`${at}.nodePort`, `may not be used when \`type\` is '${spec.type ?? ""}'`))
      }
      errors.push(...V.portNumber(p.nodePort).map((m) => V.invalid(`${at}.nodePort`, p.nodePort, m)))
    }
  })
  return errors
}

const ipError = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"

/** ValidateService / ValidateServiceUpdate (the cluster IP may not change once set). */
export const validate = (svc: Service, old: Service | undefined): ReadonlyArray<FieldError> => {
  const spec = svc.spec ?? {}
  const errors: Array<FieldError> = [...V.metadata(svc.metadata, old?.metadata, true, V.nameIsDNS1035Label)]
  const headless = spec.clusterIP === "None"
  errors.push(...V.supported("spec.type", spec.type, ["ClusterIP", "ExternalName", "NodePort", "LoadBalancer"]))
  if (spec.type === "ExternalName") {
    if ((spec.externalName ?? "") === "") errors.push(V.required("spec.externalName"))
    else
      errors.push(
        ...V.dns1123Subdomain(spec.externalName!).map((m) => V.invalid("spec.externalName", spec.externalName, m))
      )
    if ((spec.clusterIP ?? "") !== "")
      errors.push(V.forbidden("spec.clusterIPs", "may not be set for ExternalName services"))
  } else if ((spec.ports ?? []).length === 0 && !headless) {
    errors.push(V.required("spec.ports"))
  }
  errors.push(...validatePorts(spec))
  errors.push(...V.supported("spec.sessionAffinity", spec.sessionAffinity, ["ClientIP", "None"]))
  if (spec.clusterIP !== undefined && spec.clusterIP !== "" && !headless && !V.isIP(spec.clusterIP)) {
    errors.push(V.invalid("spec.clusterIP", spec.clusterIP, ipError))
  }
  ;(spec.externalIPs ?? []).forEach((ip, i) => {
    if (!V.isIP(ip)) errors.push(V.invalid(`spec.externalIPs[${i}]`, ip, ipError))
  })
  errors.push(...V.labels("spec.selector", spec.selector))
  if (spec.externalTrafficPolicy !== undefined) {
    if (!externallyAccessible(spec)) {
      errors.push(
        V.invalid(
          "spec.externalTrafficPolicy",
          spec.externalTrafficPolicy,
          "may only be set for externally-accessible services"
        )
      )
    } else errors.push(...V.supported("spec.externalTrafficPolicy", spec.externalTrafficPolicy, ["Cluster", "Local"]))
  }
  if (spec.internalTrafficPolicy !== undefined) {
    errors.push(...V.supported("spec.internalTrafficPolicy", spec.internalTrafficPolicy, ["Cluster", "Local"]))
  }
  if (old !== undefined && spec.type !== "ExternalName" && old.spec?.type !== "ExternalName") {
    const was = old.spec?.clusterIP ?? ""
    if (was !== "" && spec.clusterIP !== undefined && spec.clusterIP !== was) {
      errors.push(V.invalid("spec.clusterIP", spec.clusterIP, "field is immutable"))
    }
  }
  return errors
}

/** "80/TCP,443:30443/TCP" — the PORT(S) column. */
export const portString = (ports: ReadonlyArray<ServicePort> | undefined): string =>
  (ports ?? [])
    .map((p) =>
      (p.nodePort ?? 0) > 0
        ? `${p.port ?? 0}:${p.nodePort}/${p.protocol ?? "TCP"}`
        : `${p.port ?? 0}/${p.protocol ?? "TCP"}`
    )
    .join(",")

const externalIP = (svc: Service): string => {
  const external = svc.spec?.externalIPs ?? []
  switch (svc.spec?.type ?? "ClusterIP") {
    case "ClusterIP":
    case "NodePort":
      return external.length > 0 ? external.join(",") : "<none>"
    case "LoadBalancer": {
      const ingress = (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) =>
        i.ip !== undefined && i.ip !== "" ? [i.ip] : i.hostname !== undefined && i.hostname !== "" ? [i.hostname] : []
      )
      const all = [...ingress, ...external]
      return all.length > 0 ? all.join(",") : "<pending>"
    }
    case "ExternalName":
      return svc.spec?.externalName ?? ""
    default:
      return "<unknown>"
  }
}

const formatLabels = (map: Readonly<Record<string, string>> | undefined): string => {
  const keys = Object.keys(map ?? {}).sort()
  return keys.length === 0 ? "<none>" : keys.map((k) => `${k}=${map![k]}`).join(",")
}

export const Services: ResourceType<Service> = {
  group: "",
  version: "v1",
  kind: "Service",
  plural: "services",
  singular: "service",
  shortNames: ["svc"],
  namespaced: true,
  categories: ["all"],
  schema: Service,
  defaults,
  validate,
  fields: {
    "spec.clusterIP": (s) => s.spec?.clusterIP ?? "",
    "spec.type": (s) => s.spec?.type ?? ""
  },
  columns: [
    nameColumn("service"),
    {
      name: "Type",
      type: "string",
      priority: 0,
      description: "How the service is exposed.",
      cell: (s) => s.spec?.type ?? ""
    },
    {
      name: "Cluster-IP",
      type: "string",
      priority: 0,
      description: "The IP address of the service inside the cluster.",
      cell: (s) =>
        s.spec?.clusterIPs?.[0] ??
        (s.spec?.clusterIP === undefined || s.spec.clusterIP === "" ? "<none>" : s.spec.clusterIP)
    },
    {
      name: "External-IP",
      type: "string",
      priority: 0,
      description: "Addresses outside the cluster.",
      cell: externalIP
    },
    {
      name: "Port(s)",
      type: "string",
      priority: 0,
      description: "The ports the service exposes.",
      cell: (s) => (portString(s.spec?.ports) === "" ? "<none>" : portString(s.spec?.ports))
    },
    ageColumn("service"),
    {
      name: "Selector",
      type: "string",
      priority: 1,
      description: "The labels of the pods the service routes to.",
      cell: (s) => formatLabels(s.spec?.selector)
    }
  ],
  statusSubresource: true,
  hasGeneration: false
}
