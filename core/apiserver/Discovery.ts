/**
 * Discovery documents, as kubectl reads them to map kinds to resources: `/api` (APIVersions),
 * `/apis` (APIGroupList), `/apis/{group}` (APIGroup), `/api/v1` and `/apis/{group}/{version}`
 * (APIResourceList with verbs, short names, categories and subresources), and `/version`.
 */
import * as Registry from "../api/registry.js"
import { apiVersionOf } from "../api/resource.js"
import { groupVersions, type Resource, subresourcesOf } from "./Route.js"

/** The version we claim: kubectl compares it with its own and warns beyond one minor of skew. */
export const versionInfo = {
  major: "1",
  minor: "32",
  gitVersion: "v1.32.0-minik8s",
  gitCommit: "0000000000000000000000000000000000000000",
  gitTreeState: "clean",
  buildDate: "2024-12-11T00:00:00Z",
  goVersion: "go1.23.4",
  compiler: "gc",
  platform: "linux/amd64"
} as const

/** `/api`: the legacy core group's versions. */
export const apiVersions = () => ({ kind: "APIVersions", versions: ["v1"] })

const groupDocument = (group: string) => {
  const versions = groupVersions()
    .filter((gv) => gv.group === group)
    .map((gv) => ({ groupVersion: apiVersionOf(gv), version: gv.version }))
  return { name: group, versions, preferredVersion: versions[0] }
}

/** `/apis`: every named group (the core group is only under `/api`). */
export const apiGroupList = () => ({
  kind: "APIGroupList",
  apiVersion: "v1",
  groups: [...new Set(groupVersions().map((gv) => gv.group))].filter((g) => g !== "").map(groupDocument)
})

/** `/apis/{group}`. */
export const apiGroup = (group: string) => ({ kind: "APIGroup", apiVersion: "v1", ...groupDocument(group) })

const allVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
// Kubernetes serves no deletecollection for namespaces (it would empty the cluster).
const verbsOf = (rt: Resource) =>
  rt.group === "" && rt.plural === "namespaces" ? allVerbs.filter((v) => v !== "deletecollection") : allVerbs

const subresourceEntry = (rt: Resource, subresource: string) => {
  const base = { name: `${rt.plural}/${subresource}`, singularName: "", namespaced: rt.namespaced }
  switch (subresource) {
    case "scale":
      return { ...base, group: "autoscaling", version: "v1", kind: "Scale", verbs: ["get", "patch", "update"] }
    case "binding":
      return { ...base, kind: "Binding", verbs: ["create"] }
    case "finalize":
      return { ...base, kind: rt.kind, verbs: ["update"] }
    case "log":
      return { ...base, kind: rt.kind, verbs: ["get"] }
    default:
      return { ...base, kind: rt.kind, verbs: ["get", "patch", "update"] }
  }
}

/** `/api/v1`, `/apis/{group}/{version}`: the resources of one group version and their subresources. */
export const apiResourceList = (group: string, version: string) => ({
  kind: "APIResourceList",
  apiVersion: "v1",
  groupVersion: apiVersionOf({ group, version }),
  resources: Registry.resources
    .filter((rt) => rt.group === group && rt.version === version)
    .flatMap((rt: Resource) => [
      {
        name: rt.plural,
        singularName: rt.singular,
        namespaced: rt.namespaced,
        kind: rt.kind,
        verbs: verbsOf(rt),
        ...(rt.shortNames.length === 0 ? {} : { shortNames: rt.shortNames }),
        ...(rt.categories.length === 0 ? {} : { categories: rt.categories })
      },
      ...subresourcesOf(rt).map((s) => subresourceEntry(rt, s))
    ])
})
