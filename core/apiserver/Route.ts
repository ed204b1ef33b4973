/**
 * Routing of Kubernetes paths (apiserver's `RequestInfoFactory`): which document or resource a path
 * names, and which verb a method on it means. Resource paths are
 * `/api/v1[/watch][/namespaces/{ns}]/{plural}[/{name}[/{subresource}]]` and the same under
 * `/apis/{group}/{version}`; the namespaces resource itself is `/api/v1/namespaces/{name}[/status]`.
 */
import * as Either from "effect/Either"
import { MethodNotAllowed, NotFound } from "../api/errors.js"
import * as Registry from "../api/registry.js"
import type { ResourceType } from "../api/resource.js"
import type { Method } from "./ApiRequest.js"
import { remembered } from "./Recent.js"

/** A resource type as the API server handles it, whatever its object type. */
export type Resource = ResourceType<any>

export type Route =
  | { readonly _tag: "Health"; readonly check: "healthz" | "readyz" | "livez"; readonly subcheck?: string }
  | { readonly _tag: "Version" }
  | { readonly _tag: "OpenApiV2" }
  | { readonly _tag: "OpenApiV3Index" }
  | { readonly _tag: "OpenApiV3"; readonly path: string }
  | { readonly _tag: "CoreVersions" }
  | { readonly _tag: "Groups" }
  | { readonly _tag: "Group"; readonly group: string }
  | { readonly _tag: "Resources"; readonly group: string; readonly version: string }
  | {
      readonly _tag: "Resource"
      readonly resource: Resource
      /** The namespace in the path; undefined for cluster-scoped kinds and all-namespace collections. */
      readonly namespace?: string
      readonly name?: string
      readonly subresource?: string
      /** The legacy `/watch/` prefix was used. */
      readonly legacyWatch: boolean
    }

/** The verbs of Kubernetes' authorization attributes. */
export type Verb = "get" | "list" | "watch" | "create" | "update" | "patch" | "delete" | "deletecollection"

/** Subresources each kind serves, beyond the object itself. */
export const subresourcesOf = (rt: Resource): ReadonlyArray<string> => [
  ...(rt.statusSubresource ? ["status"] : []),
  ...(rt.scale !== undefined ? ["scale"] : []),
  ...(rt.group === "" && rt.plural === "pods" ? ["binding", "log"] : []),
  ...(rt.group === "" && rt.plural === "namespaces" ? ["finalize"] : [])
]

/** `/namespaces/{name}/{this}` names a subresource of the namespace, not a collection in it. */
const namespaceSubresources = new Set(["status", "finalize"])

/** The group versions served, with the core group as "". */
export const groupVersions = (): ReadonlyArray<{ readonly group: string; readonly version: string }> => {
  const seen = new Map<string, { group: string; version: string }>()
  for (const rt of Registry.resources) seen.set(`${rt.group}/${rt.version}`, { group: rt.group, version: rt.version })
  return [...seen.values()]
}

// Routing asks on every /apis request, so the answers are computed once.
const servedGroups = new Set(groupVersions().map((gv) => gv.group))
const servedVersions = new Set(groupVersions().map((gv) => `${gv.group}/${gv.version}`))

const notFound = () =>
  Either.left(new NotFound({ message: "the server could not find the requested resource", details: {} }))

const decodeSegment = (s: string): string | undefined => {
  try {
    const decoded = decodeURIComponent(s)
    return decoded === "" || decoded === "." || decoded === ".." || decoded.includes("/") ? undefined : decoded
  } catch {
    return undefined
  }
}

const routeOf = (path: string): Either.Either<Route, NotFound> => {
  const raw = path.split("/").slice(1)
  if (raw.length > 0 && raw[raw.length - 1] === "") raw.pop()
  const parts: Array<string> = []
  for (const s of raw) {
    const d = decodeSegment(s)
    if (d === undefined) return notFound()
    parts.push(d)
  }
  const [first, ...rest] = parts
  switch (first) {
    case "healthz":
    case "readyz":
    case "livez":
      return rest.length <= 1
        ? Either.right({ _tag: "Health", check: first, ...(rest[0] === undefined ? {} : { subcheck: rest[0] }) })
        : notFound()
    case "version":
      return rest.length === 0 ? Either.right({ _tag: "Version" }) : notFound()
    case "openapi":
      if (rest.length === 1 && rest[0] === "v2") return Either.right({ _tag: "OpenApiV2" })
      if (rest[0] !== "v3") return notFound()
      return rest.length === 1
        ? Either.right({ _tag: "OpenApiV3Index" })
        : Either.right({ _tag: "OpenApiV3", path: rest.slice(1).join("/") })
    case "api":
      if (rest.length === 0) return Either.right({ _tag: "CoreVersions" })
      return served("", rest[0]) ? resourceRoute("", rest[0], rest.slice(1)) : notFound()
    case "apis": {
      if (rest.length === 0) return Either.right({ _tag: "Groups" })
      const [group, version] = rest
      if (group === "" || !servedGroups.has(group)) return notFound()
      if (version === undefined) return Either.right({ _tag: "Group", group })
      return served(group, version) ? resourceRoute(group, version, rest.slice(2)) : notFound()
    }
    default:
      return notFound()
  }
}

/** The route a path names, or 404 (clients ask for the same paths over and over: recent answers are kept). */
export const route = remembered(4096, routeOf)

const served = (group: string, version: string) => servedVersions.has(`${group}/${version}`)

const resourceRoute = (
  group: string,
  version: string,
  parts: ReadonlyArray<string>
): Either.Either<Route, NotFound> => {
  if (parts.length === 0) return Either.right({ _tag: "Resources", group, version })
  const legacyWatch = parts[0] === "watch"
  let rest = legacyWatch ? parts.slice(1) : parts
  let namespace: string | undefined
  // `namespaces/{ns}/{plural}/…` addresses a namespaced collection unless the third part is a namespace subresource.
  if (rest[0] === "namespaces" && rest.length >= 3 && !namespaceSubresources.has(rest[2])) {
    namespace = rest[1]
    rest = rest.slice(2)
  }
  const [plural, name, subresource, ...extra] = rest
  const resource = Registry.byResource(group, version, plural)
  if (resource === undefined || extra.length > 0) return notFound()
  if (namespace !== undefined && !resource.namespaced) return notFound()
  // A namespaced object is only addressed inside its namespace; `/api/v1/pods` is the all-namespaces collection.
  if (namespace === undefined && resource.namespaced && name !== undefined) return notFound()
  if (subresource !== undefined && !subresourcesOf(resource).includes(subresource)) return notFound()
  return Either.right({
    _tag: "Resource",
    resource,
    ...(namespace === undefined ? {} : { namespace }),
    ...(name === undefined ? {} : { name }),
    ...(subresource === undefined ? {} : { subresource }),
    legacyWatch
  })
}

const isTrue = (value: string | null) => value === "1" || value === "true"

const methodNotAllowed = () =>
  Either.left(new MethodNotAllowed({ message: "the server does not allow this method on the requested resource" }))

/** The verb a method means on a route (GET on a collection is list or watch); 405 when it means nothing. */
export const verbOf = (route: Route, method: Method, query: URLSearchParams): Either.Either<Verb, MethodNotAllowed> => {
  const read = method === "GET" || method === "HEAD"
  if (route._tag !== "Resource") return read ? Either.right("get") : methodNotAllowed()
  if (route.legacyWatch) return read ? Either.right("watch") : methodNotAllowed()
  if (route.name === undefined) {
    if (read) return Either.right(isTrue(query.get("watch")) ? "watch" : "list")
    // Creating and deleting collections happens inside a namespace (or for cluster-scoped kinds).
    const scoped = !route.resource.namespaced || route.namespace !== undefined
    if (method === "POST" && scoped) return Either.right("create")
    if (method === "DELETE" && scoped) return Either.right("deletecollection")
    return methodNotAllowed()
  }
  switch (route.subresource) {
    case undefined:
      if (read) return Either.right("get")
      if (method === "PUT") return Either.right("update")
      if (method === "PATCH") return Either.right("patch")
      if (method === "DELETE") return Either.right("delete")
      return methodNotAllowed()
    case "binding":
      return method === "POST" ? Either.right("create") : methodNotAllowed()
    case "finalize":
      return method === "PUT" ? Either.right("update") : methodNotAllowed()
    case "log":
      return read ? Either.right("get") : methodNotAllowed()
    default:
      if (read) return Either.right("get")
      if (method === "PUT") return Either.right("update")
      if (method === "PATCH") return Either.right("patch")
      return methodNotAllowed()
  }
}
