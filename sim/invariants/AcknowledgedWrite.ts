/**
 * A write the API server acknowledged: a 2xx answer to a create, update, patch or delete (not a
 * dry run) whose body is the object written, carrying its resourceVersion. A delete answered with
 * a Success Status, a binding and a list say no revision, so they acknowledge nothing checkable.
 * The `scale` subresource answers a Scale carrying its parent's resourceVersion: it counts as a
 * write of the parent.
 */
import * as Either from "effect/Either"
import type { ApiRequest, ApiResponse } from "../../core/apiserver/ApiRequest.js"
import { route } from "../../core/apiserver/Route.js"

export interface AcknowledgedWrite {
  readonly method: "POST" | "PUT" | "PATCH" | "DELETE"
  /** The object's kind (`Pod`, `Deployment` …), also for a write through a subresource. */
  readonly kind: string
  /** "" for cluster-scoped objects. */
  readonly namespace: string
  readonly name: string
  readonly uid: string | undefined
  /** The store revision the answer carries. */
  readonly revision: number
}

interface Meta {
  readonly namespace?: unknown
  readonly name?: unknown
  readonly uid?: unknown
  readonly resourceVersion?: unknown
}

/** `Kind\0namespace\0name`: what the world's events and acknowledged writes are matched on. */
export const writeKey = (kind: string, namespace: string | undefined, name: string | undefined): string =>
  `${kind}\u0000${namespace ?? ""}\u0000${name ?? ""}`

/** The write `response` acknowledges, if it acknowledges one. */
export const acknowledged = (request: ApiRequest, response: ApiResponse): AcknowledgedWrite | undefined => {
  const method = request.method
  if (method !== "POST" && method !== "PUT" && method !== "PATCH" && method !== "DELETE") return undefined
  if (response._tag !== "Json" || response.status < 200 || response.status > 299) return undefined
  if (request.query.has("dryRun")) return undefined
  const body = response.body as { readonly kind?: unknown; readonly metadata?: Meta } | null
  const meta = body?.metadata
  const rv = meta?.resourceVersion
  if (body?.kind === "Status" || typeof rv !== "string" || !/^[0-9]+$/.test(rv)) return undefined
  const target = route(request.path)
  if (Either.isLeft(target) || target.right._tag !== "Resource") return undefined
  const { resource, namespace, name } = target.right
  const objectName = typeof meta?.name === "string" ? meta.name : name
  if (objectName === undefined) return undefined
  return {
    method,
    kind: resource.kind,
    namespace: resource.namespaced ? (typeof meta?.namespace === "string" ? meta.namespace : (namespace ?? "")) : "",
    name: objectName,
    uid: typeof meta?.uid === "string" ? meta.uid : undefined,
    revision: Number(rv)
  }
}
