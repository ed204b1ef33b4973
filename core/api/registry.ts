/**
 * Every resource type the API serves, and the lookups the API server (by URL), the client
 * (by apiVersion and kind) and kubectl-style commands (by any name a user types) need.
 */
import { Deployments } from "./Deployment.js"
import { EndpointsResource } from "./Endpoints.js"
import { Events } from "./Event.js"
import { Leases } from "./Lease.js"
import { Namespaces } from "./Namespace.js"
import { Nodes } from "./Node.js"
import { Pods } from "./Pod.js"
import { ReplicaSets } from "./ReplicaSet.js"
import { apiVersionOf, type ResourceType } from "./resource.js"
import { Services } from "./Service.js"

/** All served resource types, core group first. */
export const resources: ReadonlyArray<ResourceType<any>> = [
  Pods,
  Nodes,
  Namespaces,
  Services,
  EndpointsResource,
  Events,
  Deployments,
  ReplicaSets,
  Leases
]

/** The type served at `/apis/{group}/{version}/…/{plural}` ("" group for `/api/v1`). */
export const byResource = (group: string, version: string, plural: string): ResourceType<any> | undefined =>
  resources.find((r) => r.group === group && r.version === version && r.plural === plural)

/** The type of an object with this `apiVersion` and `kind`. */
export const byKind = (apiVersion: string, kind: string): ResourceType<any> | undefined =>
  resources.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind)

const names = (r: ResourceType<any>) => [r.plural, r.singular, r.kind.toLowerCase(), ...r.shortNames]

/**
 * The type a user means by `word`, case-insensitively: plural, singular, short name or kind
 * (`pods`, `pod`, `po`, `Pod`), optionally qualified by group or version and group
 * (`deployments.apps`, `deploy.v1.apps`).
 */
export const byName = (word: string): ResourceType<any> | undefined => {
  const w = word.toLowerCase()
  const plain = resources.find((r) => names(r).includes(w))
  if (plain !== undefined) return plain
  const qualified = (r: ResourceType<any>, n: string) =>
    r.group === "" ? [`${n}.${r.version}`] : [`${n}.${r.group}`, `${n}.${r.version}.${r.group}`]
  return resources.find((r) => names(r).some((n) => qualified(r, n).includes(w)))
}
