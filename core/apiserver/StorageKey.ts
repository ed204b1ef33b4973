/**
 * Where objects live in the Store: `/registry/{group or "core"}/{plural}/{namespace}/{name}` for
 * namespaced kinds and `/registry/{group or "core"}/{plural}/{name}` for cluster-scoped ones.
 * Collection prefixes end with "/" so `pods/` never matches `podsx/`.
 */
import type { ResourceType } from "../api/resource.js"

type Located = Pick<ResourceType, "group" | "plural" | "namespaced">

const root = (rt: Located): string => `/registry/${rt.group === "" ? "core" : rt.group}/${rt.plural}/`

/** The key of one object; `namespace` is ignored for cluster-scoped kinds. */
export const objectKey = (rt: Located, namespace: string | undefined, name: string): string =>
  rt.namespaced ? `${root(rt)}${namespace ?? ""}/${name}` : `${root(rt)}${name}`

/** The prefix of a collection: one namespace, or every namespace when `namespace` is undefined. */
export const collectionPrefix = (rt: Located, namespace: string | undefined): string =>
  rt.namespaced && namespace !== undefined ? `${root(rt)}${namespace}/` : root(rt)
