/**
 * The core/v1 Container of a pod spec: image, command, ports, environment, resources and
 * probes; Kubernetes' defaulting (SetDefaults_Container, _Probe, _ContainerPort) and validation.
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type { FieldError } from "./errors.js"
import { Int32, Int64, IntOrString } from "./IntOrString.js"
import * as Quantity from "./Quantity.js"
import { requiredField } from "./requiredField.js"
import * as V from "./validation.js"

const opt = Schema.optional
const id = (name: string) => ({ identifier: `io.k8s.api.core.v1.${name}` })
/** A struct that keeps fields we do not interpret, so they round-trip unchanged. */
const loose = <F extends Schema.Struct.Fields>(fields: F) =>
  Schema.Struct(fields, Schema.Record({ key: Schema.String, value: Schema.Unknown }))

/** `cpu`, `memory`, … → quantity. */
export const ResourceList = Schema.Record({ key: Schema.String, value: Quantity.QuantityString })
export type ResourceList = typeof ResourceList.Type

export const ContainerPort = Schema.Struct({
  name: opt(Schema.String),
  hostPort: opt(Int32),
  containerPort: requiredField(Int32),
  protocol: opt(Schema.String),
  hostIP: opt(Schema.String)
}).annotations(id("ContainerPort"))
export type ContainerPort = typeof ContainerPort.Type

export const EnvVar = Schema.Struct({
  name: requiredField(Schema.String),
  value: opt(Schema.String),
  valueFrom: opt(Schema.Unknown)
}).annotations(id("EnvVar"))
export type EnvVar = typeof EnvVar.Type

export const ResourceRequirements = Schema.Struct({
  limits: opt(ResourceList),
  requests: opt(ResourceList),
  claims: opt(Schema.Array(Schema.Unknown))
}).annotations(id("ResourceRequirements"))
export type ResourceRequirements = typeof ResourceRequirements.Type

export const VolumeMount = loose({
  name: requiredField(Schema.String),
  mountPath: requiredField(Schema.String),
  readOnly: opt(Schema.Boolean),
  subPath: opt(Schema.String)
}).annotations(id("VolumeMount"))

export const ExecAction = Schema.Struct({ command: opt(Schema.Array(Schema.String)) }).annotations(id("ExecAction"))

export const HTTPHeader = Schema.Struct({
  name: requiredField(Schema.String),
  value: requiredField(Schema.String)
}).annotations(id("HTTPHeader"))

export const HTTPGetAction = Schema.Struct({
  path: opt(Schema.String),
  port: requiredField(IntOrString),
  host: opt(Schema.String),
  scheme: opt(Schema.String),
  httpHeaders: opt(Schema.Array(HTTPHeader))
}).annotations(id("HTTPGetAction"))
export type HTTPGetAction = typeof HTTPGetAction.Type

export const TCPSocketAction = Schema.Struct({
  port: requiredField(IntOrString),
  host: opt(Schema.String)
}).annotations(id("TCPSocketAction"))

export const GRPCAction = Schema.Struct({ port: requiredField(Int32), service: opt(Schema.String) }).annotations(
  id("GRPCAction")
)

/** How the kubelet checks a container (exactly one handler). */
export const Probe = Schema.Struct({
  exec: opt(ExecAction),
  httpGet: opt(HTTPGetAction),
  tcpSocket: opt(TCPSocketAction),
  grpc: opt(GRPCAction),
  initialDelaySeconds: opt(Int32),
  timeoutSeconds: opt(Int32),
  periodSeconds: opt(Int32),
  successThreshold: opt(Int32),
  failureThreshold: opt(Int32),
  terminationGracePeriodSeconds: opt(Int64)
}).annotations(id("Probe"))
export type Probe = typeof Probe.Type

export const LifecycleHandler = Schema.Struct({
  exec: opt(ExecAction),
  httpGet: opt(HTTPGetAction),
  tcpSocket: opt(TCPSocketAction),
  sleep: opt(Schema.Struct({ seconds: requiredField(Int64) }).annotations(id("SleepAction")))
}).annotations(id("LifecycleHandler"))

export const Lifecycle = Schema.Struct({
  postStart: opt(LifecycleHandler),
  preStop: opt(LifecycleHandler),
  stopSignal: opt(Schema.String)
}).annotations(id("Lifecycle"))

export const Container = Schema.Struct({
  name: requiredField(Schema.String),
  image: opt(Schema.String),
  command: opt(Schema.Array(Schema.String)),
  args: opt(Schema.Array(Schema.String)),
  workingDir: opt(Schema.String),
  ports: opt(Schema.Array(ContainerPort)),
  envFrom: opt(Schema.Array(Schema.Unknown)),
  env: opt(Schema.Array(EnvVar)),
  resources: opt(ResourceRequirements),
  resizePolicy: opt(Schema.Array(Schema.Unknown)),
  /** Only on init containers: "Always" makes it a sidecar. */
  restartPolicy: opt(Schema.String),
  volumeMounts: opt(Schema.Array(VolumeMount)),
  volumeDevices: opt(Schema.Array(Schema.Unknown)),
  livenessProbe: opt(Probe),
  readinessProbe: opt(Probe),
  startupProbe: opt(Probe),
  lifecycle: opt(Lifecycle),
  terminationMessagePath: opt(Schema.String),
  terminationMessagePolicy: opt(Schema.String),
  imagePullPolicy: opt(Schema.String),
  securityContext: opt(Schema.Unknown),
  stdin: opt(Schema.Boolean),
  stdinOnce: opt(Schema.Boolean),
  tty: opt(Schema.Boolean)
}).annotations(id("Container"))
export type Container = typeof Container.Type

/** `Always` for `:latest` or an untagged image, else `IfNotPresent` (a digest counts as a tag). */
export const defaultPullPolicy = (image: string | undefined): string => {
  const ref = image ?? ""
  if (ref.includes("@")) return "IfNotPresent"
  const lastColon = ref.lastIndexOf(":")
  const tag = lastColon > ref.lastIndexOf("/") ? ref.slice(lastColon + 1) : "latest"
  return tag === "latest" ? "Always" : "IfNotPresent"
}

/** Quantities rewritten in the canonical form Kubernetes stores ("1000m" → "1", `1` → "1"). */
export const canonicalResources = (list: ResourceList): ResourceList =>
  Object.fromEntries(
    Object.entries(list).map(([name, q]) => [
      name,
      Either.match(Quantity.parse(q), { onLeft: () => q, onRight: Quantity.format })
    ])
  )

// Each default below copies once and then sets fields, so key order matches a spread with overrides.
const defaultProbe = (p: Probe): Probe => {
  const out: { -readonly [K in keyof Probe]: Probe[K] } = { ...p }
  if (p.httpGet !== undefined) {
    out.httpGet = { ...p.httpGet, path: p.httpGet.path ?? "/", scheme: p.httpGet.scheme ?? "HTTP" }
  }
  out.timeoutSeconds = p.timeoutSeconds ?? 1
  out.periodSeconds = p.periodSeconds ?? 10
  out.successThreshold = p.successThreshold ?? 1
  out.failureThreshold = p.failureThreshold ?? 3
  return out
}

/** SetDefaults_Container and the defaults of its ports and probes. */
export const defaultContainer = (c: Container): Container => {
  const out: { -readonly [K in keyof Container]: Container[K] } = { ...c }
  if (c.ports !== undefined) out.ports = c.ports.map((p) => ({ ...p, protocol: p.protocol ?? "TCP" }))
  if (c.resources !== undefined) {
    const resources: { -readonly [K in keyof ResourceRequirements]: ResourceRequirements[K] } = { ...c.resources }
    if (c.resources.limits !== undefined) resources.limits = canonicalResources(c.resources.limits)
    if (c.resources.requests !== undefined) resources.requests = canonicalResources(c.resources.requests)
    out.resources = resources
  }
  if (c.livenessProbe !== undefined) out.livenessProbe = defaultProbe(c.livenessProbe)
  if (c.readinessProbe !== undefined) out.readinessProbe = defaultProbe(c.readinessProbe)
  if (c.startupProbe !== undefined) out.startupProbe = defaultProbe(c.startupProbe)
  out.terminationMessagePath = c.terminationMessagePath ?? "/dev/termination-log"
  out.terminationMessagePolicy = c.terminationMessagePolicy ?? "File"
  out.imagePullPolicy = c.imagePullPolicy ?? defaultPullPolicy(c.image)
  return out
}

const validateResources = (at: string, r: ResourceRequirements | undefined): ReadonlyArray<FieldError> => {
  const errors: Array<FieldError> = []
  const check = (kind: "limits" | "requests") => {
    for (const [name, q] of Object.entries(r?.[kind] ?? {})) {
      Either.match(Quantity.parse(q), {
        onLeft: (message) => errors.push(V.invalid(`${at}.${kind}[${name}]`, q, message)),
        onRight: (parsed) => {
          if (parsed.nanos < 0n)
            errors.push(V.invalid(`${at}.${kind}[${name}]`, String(q), "must be greater than or equal to 0"))
        }
      })
    }
  }
  check("limits")
  check("requests")
  for (const [name, request] of Object.entries(r?.requests ?? {})) {
    const limit = r?.limits?.[name]
    if (limit === undefined) continue
    const [l, q] = [Quantity.parse(limit), Quantity.parse(request)]
    if (Either.isRight(l) && Either.isRight(q) && Quantity.compare(q.right, l.right) > 0) {
      errors.push(
        V.invalid(
          `${at}.requests`,
          Quantity.format(q.right),
          `must be less than or equal to ${name} limit of ${Quantity.format(l.right)}`
        )
      )
    }
  }
  return errors
}

const httpHeaderName = /^[-A-Za-z0-9]+$/
const httpHeaderNameError =
  "a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')"

const validateProbe = (at: string, p: Probe | undefined, successMustBeOne: boolean): ReadonlyArray<FieldError> => {
  if (p === undefined) return []
  const errors: Array<FieldError> = []
  const handlers = [p.exec, p.httpGet, p.tcpSocket, p.grpc].filter((h) => h !== undefined).length
  if (handlers === 0) errors.push(V.required(at, "must specify a handler type"))
  if (handlers > 1) errors.push(V.forbidden(at, "may not specify more than 1 handler type"))
  if (p.exec !== undefined && (p.exec.command ?? []).length === 0) errors.push(V.required(`${at}.exec.command`))
  // An absent port is Go's zero IntOrString, the number 0.
  const port = (field: string, v: IntOrString = 0) =>
    typeof v === "number"
      ? V.portNumber(v).map((m) => V.invalid(field, v, m))
      : V.portName(v).map((m) => V.invalid(field, v, m))
  if (p.httpGet !== undefined) {
    errors.push(...port(`${at}.httpGet.port`, p.httpGet.port))
    if (p.httpGet.scheme !== undefined)
      errors.push(...V.supported(`${at}.httpGet.scheme`, p.httpGet.scheme, ["HTTP", "HTTPS"]))
    for (const header of p.httpGet.httpHeaders ?? []) {
      const name = header.name ?? ""
      if (!httpHeaderName.test(name)) errors.push(V.invalid(`${at}.httpGet.httpHeaders`, name, httpHeaderNameError))
    }
  }
  if (p.tcpSocket !== undefined) errors.push(...port(`${at}.tcpSocket.port`, p.tcpSocket.port))
  if (p.grpc !== undefined) errors.push(...port(`${at}.grpc.port`, p.grpc.port))
  for (const name of [
    "initialDelaySeconds",
    "timeoutSeconds",
    "periodSeconds",
    "successThreshold",
    "failureThreshold"
  ] as const) {
    errors.push(...V.nonNegative(`${at}.${name}`, p[name]))
  }
  if (successMustBeOne && p.successThreshold !== undefined && p.successThreshold !== 1) {
    errors.push(V.invalid(`${at}.successThreshold`, p.successThreshold, "must be 1"))
  }
  if (p.terminationGracePeriodSeconds !== undefined && p.terminationGracePeriodSeconds <= 0) {
    errors.push(
      V.invalid(`${at}.terminationGracePeriodSeconds`, p.terminationGracePeriodSeconds, "must be greater than 0")
    )
  }
  return errors
}

const envVarName = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/

/** ValidateContainer at `at`; `init` for init containers (sidecars when restartPolicy is Always). */
export const validateContainer = (at: string, c: Container, init: boolean): ReadonlyArray<FieldError> => {
  const errors: Array<FieldError> = []
  const name = c.name ?? ""
  if (name === "") errors.push(V.required(`${at}.name`))
  else errors.push(...V.dns1123Label(name).map((m) => V.invalid(`${at}.name`, name, m)))
  if (c.image === undefined || c.image === "") errors.push(V.required(`${at}.image`))
  else if (c.image.trim() !== c.image) {
    errors.push(V.invalid(`${at}.image`, c.image, "must not have leading or trailing whitespace"))
  }
  errors.push(...V.supported(`${at}.imagePullPolicy`, c.imagePullPolicy, ["Always", "IfNotPresent", "Never"]))
  errors.push(
    ...V.supported(`${at}.terminationMessagePolicy`, c.terminationMessagePolicy, ["File", "FallbackToLogsOnError"])
  )
  const portNames = new Set<string>()
  ;(c.ports ?? []).forEach((p, i) => {
    const pat = `${at}.ports[${i}]`
    if (p.name !== undefined && p.name !== "") {
      errors.push(...V.portName(p.name).map((m) => V.invalid(`${pat}.name`, p.name, m)))
      if (portNames.has(p.name)) errors.push(V.duplicate(`${pat}.name`, p.name))
      portNames.add(p.name)
    }
    const containerPort = p.containerPort ?? 0
    if (containerPort === 0) errors.push(V.required(`${pat}.containerPort`))
    else errors.push(...V.portNumber(containerPort).map((m) => V.invalid(`${pat}.containerPort`, containerPort, m)))
    if (p.hostPort !== undefined && p.hostPort !== 0) {
      errors.push(...V.portNumber(p.hostPort).map((m) => V.invalid(`${pat}.hostPort`, p.hostPort, m)))
    }
    errors.push(...V.supported(`${pat}.protocol`, p.protocol, ["SCTP", "TCP", "UDP"]))
  })
  ;(c.env ?? []).forEach((e, i) => {
    const name = e.name ?? ""
    if (name === "") errors.push(V.required(`${at}.env[${i}].name`))
    else if (!envVarName.test(name)) {
      errors.push(
        V.invalid(
          `${at}.env[${i}].name`,
          name,
          "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')"
        )
      )
    }
  })
  ;(c.volumeMounts ?? []).forEach((m, i) => {
    if ((m.name ?? "") === "") errors.push(V.required(`${at}.volumeMounts[${i}].name`))
    if ((m.mountPath ?? "") === "") errors.push(V.required(`${at}.volumeMounts[${i}].mountPath`))
  })
  errors.push(...validateResources(`${at}.resources`, c.resources))
  const sidecar = init && c.restartPolicy === "Always"
  if (c.restartPolicy !== undefined) {
    if (!init) errors.push(V.forbidden(`${at}.restartPolicy`, "may not be set for non-init containers"))
    else errors.push(...V.supported(`${at}.restartPolicy`, c.restartPolicy, ["Always"]))
  }
  if (init && !sidecar) {
    for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"] as const) {
      if (c[probe] !== undefined) errors.push(V.forbidden(`${at}.${probe}`, "may not be set for init containers"))
    }
  } else {
    errors.push(...validateProbe(`${at}.livenessProbe`, c.livenessProbe, true))
    errors.push(...validateProbe(`${at}.readinessProbe`, c.readinessProbe, false))
    errors.push(...validateProbe(`${at}.startupProbe`, c.startupProbe, true))
  }
  return errors
}
