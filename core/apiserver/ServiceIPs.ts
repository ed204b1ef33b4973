/**
 * Service cluster IPs (Kubernetes' ipallocator over IPAddress objects): every allocated IP is a
 * store key created atomically, so two Services never share one. A dynamic IP is probed linearly
 * from a start drawn from Effect's Random in the upper band of the range, then in the lower band
 * kept for requested IPs; the IP is released when its Service leaves the store.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Random from "effect/Random"
import { type ApiError, type FieldError, InternalError, invalid } from "../api/errors.js"
import type { KubeObject } from "../api/meta.js"
import type { ServiceSpec } from "../api/Service.js"
import type { Store, Value } from "../store/Store.js"
import { isObject } from "./JsonValue.js"
import type { Resource } from "./Route.js"
import { interpret } from "./StoreErrors.js"

/** The default `--service-cluster-ip-range`. */
export const defaultServiceClusterIPRange = "10.96.0.0/12"

/** An IPv4 service range: its usable addresses (no network or broadcast address) and the lower band's size. */
export interface ServiceIPRange {
  readonly cidr: string
  /** The network address, as a number. */
  readonly network: number
  /** The first usable address (network + 1), as a number. */
  readonly first: number
  /** How many addresses are usable. */
  readonly size: number
  /** The lower band, kept for requested IPs while the upper one has room (KEP-3070). */
  readonly offset: number
}

/** Kubernetes refuses service ranges of more than 2^20 addresses. */
const maxHostBits = 20

const ipToNumber = (ip: string): number | undefined => {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip)
  if (m === null) return undefined
  const octets = m.slice(1).map(Number)
  if (octets.some((o) => o > 255)) return undefined
  return ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0
}

const numberToIP = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".")

/** Parses `--service-cluster-ip-range` (IPv4 only), or says why it is refused. */
export const parseRange = (text: string): Either.Either<ServiceIPRange, string> => {
  const [address = "", bitsText = "", ...rest] = text.split("/")
  const ip = ipToNumber(address)
  const bits = /^\d{1,2}$/.test(bitsText) ? Number(bitsText) : -1
  if (ip === undefined || rest.length > 0 || bits < 0 || bits > 32) {
    return Either.left(`invalid service cluster IP range ${JSON.stringify(text)}: must be an IPv4 CIDR`)
  }
  if (32 - bits > maxHostBits) {
    return Either.left(`service cluster IP range ${text} is too large: the mask must be >= ${32 - maxHostBits}`)
  }
  const total = 2 ** (32 - bits)
  const network = bits === 0 ? 0 : (ip & (~0 << (32 - bits))) >>> 0
  // KEP-3070: min(max(16, size/16), 256); no lower band in ranges of 16 addresses or fewer.
  const offset = total <= 16 ? 0 : Math.min(Math.max(16, Math.floor(total / 16)), 256)
  return Either.right({
    cidr: `${numberToIP(network)}/${bits}`,
    network,
    first: network + 1,
    size: Math.max(0, total - 2),
    offset
  })
}

const isService = (rt: Resource) => rt.group === "" && rt.kind === "Service"

/** Where the allocation of `ip` lives in the store. */
export const ipKey = (ip: string) => `/registry/core/serviceips/${ip}`

/** The prefix of every allocation. */
export const ipPrefix = "/registry/core/serviceips/"

const specOf = (obj: KubeObject): ServiceSpec => ((obj as { spec?: unknown }).spec ?? {}) as ServiceSpec

const withSpec = (obj: KubeObject, spec: ServiceSpec): KubeObject => ({ ...obj, spec }) as KubeObject

/** The IP a Service asks for: `clusterIP`, else `clusterIPs[0]`; "" for none. */
const requestedIP = (spec: ServiceSpec) => spec.clusterIP || spec.clusterIPs?.[0] || ""

/** The IP a stored Service holds, if it holds one of this allocator's. */
const heldIP = (obj: KubeObject): string | undefined => {
  const spec = specOf(obj)
  const ip = requestedIP(spec)
  return spec.type !== "ExternalName" && ip !== "None" && ipToNumber(ip) !== undefined ? ip : undefined
}

/** The family fields Kubernetes fills on a single-stack IPv4 cluster, with `ip` as the cluster IP. */
const withClusterIPFields = (spec: ServiceSpec, ip: string): ServiceSpec => {
  // A headless Service without selector defaults to both families (initIPFamilyFields).
  const selectorless = ip === "None" && Object.keys(spec.selector ?? {}).length === 0
  const policy = spec.ipFamilyPolicy ?? (selectorless ? "RequireDualStack" : "SingleStack")
  const families = spec.ipFamilies ?? (policy !== "SingleStack" && selectorless ? ["IPv4", "IPv6"] : ["IPv4"])
  return { ...spec, clusterIP: ip, clusterIPs: [ip], ipFamilies: families, ipFamilyPolicy: policy }
}

/** 422s for family fields a single-stack IPv4 cluster cannot serve. */
const familyErrors = (spec: ServiceSpec, headless: boolean): ReadonlyArray<FieldError> => {
  const errors: Array<FieldError> = []
  if (!headless && spec.ipFamilyPolicy === "RequireDualStack") {
    errors.push({
      type: "FieldValueInvalid",
      field: "spec.ipFamilyPolicy",
      message: `Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services`
    })
  }
  ;(headless ? [] : (spec.ipFamilies ?? [])).forEach((family, i) => {
    if (family !== "IPv4") {
      errors.push({
        type: "FieldValueInvalid",
        field: `spec.ipFamilies[${i}]`,
        message: `Invalid value: ${JSON.stringify(family)}: not configured on this cluster`
      })
    }
  })
  return errors
}

const allocationFailed = (obj: KubeObject, ip: string, why: string) =>
  invalid("Service", "", obj.metadata.name ?? "", [
    {
      type: "FieldValueInvalid",
      field: "spec.clusterIPs",
      message: `Invalid value: []string{${JSON.stringify(ip)}}: failed to allocate IP ${ip}: ${why}`
    }
  ])

/** The allocation record, shaped as Kubernetes' IPAddress object; the owner's uid survives a regenerated name. */
const record = (ip: string, obj: KubeObject): Value => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "IPAddress",
  metadata: {
    name: ip,
    ownerReferences: [{ apiVersion: "v1", kind: "Service", name: obj.metadata.name, uid: obj.metadata.uid }]
  },
  spec: {
    parentRef: { group: "", resource: "services", namespace: obj.metadata.namespace ?? "", name: obj.metadata.name }
  }
})

const offsetIn = (range: ServiceIPRange, ip: string): number | undefined => {
  const n = ipToNumber(ip)
  return n === undefined || n < range.first || n >= range.first + range.size ? undefined : n - range.first
}

/** Creates the record of the address at `offset`; false when it is taken. */
const claim = (store: Store["Type"], range: ServiceIPRange, offset: number, obj: KubeObject) => {
  const ip = numberToIP(range.first + offset)
  return store.create(ipKey(ip), record(ip, obj)).pipe(
    Effect.as(true),
    Effect.catchTag("KeyExists", () => Effect.succeed(false)),
    Effect.mapError((e) => interpret({ group: "", plural: "services" }, obj.metadata.name ?? "", e))
  )
}

/** Claims the first free address of `[from, from + count)`, probing linearly from a random start. */
const claimIn = (
  store: Store["Type"],
  range: ServiceIPRange,
  from: number,
  count: number,
  obj: KubeObject
): Effect.Effect<string | undefined, ApiError> =>
  Effect.gen(function* () {
    if (count <= 0) return undefined
    const start = yield* Random.nextIntBetween(0, count)
    for (let i = 0; i < count; i++) {
      const offset = from + ((start + i) % count)
      if (yield* claim(store, range, offset, obj)) return numberToIP(range.first + offset)
    }
    return undefined
  })

/** Allocates `obj`'s cluster IP (the one it asks for or a free one); dry runs only check the range. */
const allocate = (
  store: Store["Type"],
  range: ServiceIPRange,
  obj: KubeObject,
  dryRun: boolean
): Effect.Effect<string, ApiError> =>
  Effect.gen(function* () {
    const asked = requestedIP(specOf(obj))
    if (asked !== "") {
      const offset = offsetIn(range, asked)
      if (offset === undefined)
        return yield* Effect.fail(allocationFailed(obj, asked, `provided IP ${asked} is not in the valid range`))
      if (dryRun || (yield* claim(store, range, offset, obj))) return asked
      return yield* Effect.fail(allocationFailed(obj, asked, "provided IP is already allocated"))
    }
    // Kubernetes does not search for a free IP in a dry run: it answers the network address.
    if (dryRun) return numberToIP(range.network)
    const ip =
      (yield* claimIn(store, range, range.offset, range.size - range.offset, obj)) ??
      (yield* claimIn(store, range, 0, Math.min(range.offset, range.size), obj))
    if (ip === undefined) {
      return yield* Effect.fail(
        new InternalError({ message: "Internal error occurred: failed to allocate a serviceIP: range is full" })
      )
    }
    return ip
  })

/**
 * Gives a new Service its cluster IP and family fields, then runs `write` on it; the IP is
 * released when `write` fails. Other kinds, ExternalName and headless Services need no IP.
 */
export const withClusterIP = <A, E>(
  store: Store["Type"],
  range: ServiceIPRange,
  rt: Resource,
  obj: KubeObject,
  dryRun: boolean,
  write: (obj: KubeObject) => Effect.Effect<A, E>
): Effect.Effect<A, E | ApiError> => {
  const spec = specOf(obj)
  if (!isService(rt) || spec.type === "ExternalName") return write(obj)
  return Effect.gen(function* () {
    const headless = requestedIP(spec) === "None"
    const errors = familyErrors(spec, headless)
    if (errors.length > 0) return yield* Effect.fail(invalid("Service", "", obj.metadata.name ?? "", errors))
    if (headless) return yield* write(withSpec(obj, withClusterIPFields(spec, "None")))
    const ip = yield* allocate(store, range, obj, dryRun)
    const written = write(withSpec(obj, withClusterIPFields(spec, ip)))
    return yield* dryRun ? written : Effect.onError(written, () => release(store, obj, ip))
  })
}

/** Releases the IP record of `ip` when `obj` (by uid) owns it; a store failure leaves it behind (logged). */
const release = (store: Store["Type"], obj: KubeObject, ip: string): Effect.Effect<void> =>
  Effect.gen(function* () {
    const entry = yield* store.get(ipKey(ip))
    const meta = isObject(entry.value.metadata) ? entry.value.metadata : {}
    const owners = Array.isArray(meta.ownerReferences) ? meta.ownerReferences : []
    if (!owners.some((o) => isObject(o) && o.uid === obj.metadata.uid)) return
    yield* store.delete(ipKey(ip), entry.modRevision)
  }).pipe(
    Effect.catchTags({
      KeyNotFound: () => Effect.void,
      RevisionConflict: () => Effect.void,
      StoreUnavailable: (e) => Effect.logWarning(`cannot release cluster IP ${ip}: ${e.message}`)
    })
  )

/** Releases the cluster IP of a Service just removed from the store; nothing for other kinds. */
export const releaseClusterIP = (store: Store["Type"], rt: Resource, removed: KubeObject): Effect.Effect<void> => {
  const ip = isService(rt) ? heldIP(removed) : undefined
  return ip === undefined ? Effect.void : release(store, removed, ip)
}

/**
 * An update keeps what the server allocated: a Service update without `clusterIP`, `clusterIPs`
 * or family fields gets the old ones (Kubernetes' patchAllocatedValues); changes are validation's.
 */
export const keepClusterIP = (rt: Resource, proposed: KubeObject, old: KubeObject): KubeObject => {
  const spec = specOf(proposed)
  const was = specOf(old)
  if (!isService(rt) || spec.type === "ExternalName" || was.type === "ExternalName" || (was.clusterIP ?? "") === "") {
    return proposed
  }
  return withSpec(proposed, {
    ...spec,
    clusterIP: spec.clusterIP || was.clusterIP!,
    ...(spec.clusterIPs === undefined || spec.clusterIPs.length === 0
      ? was.clusterIPs === undefined
        ? {}
        : { clusterIPs: was.clusterIPs }
      : {}),
    ...(spec.ipFamilies === undefined && was.ipFamilies !== undefined ? { ipFamilies: was.ipFamilies } : {}),
    ...(spec.ipFamilyPolicy === undefined && was.ipFamilyPolicy !== undefined
      ? { ipFamilyPolicy: was.ipFamilyPolicy }
      : {})
  })
}
