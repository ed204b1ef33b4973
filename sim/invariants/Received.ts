/**
 * What one component received of some kinds of object, as it arrived: every object on its watch
 * lines and in its successful GETs and LISTs. A checker of a controller's decisions judges them
 * against this — what the controller could know — rather than against the world, which a slow
 * network, a lagging informer or a partition may hide from it for a while.
 */
import * as Either from "effect/Either"
import type { KubeObject } from "../../core/api/meta.js"
import type { ApiRequest, ApiResponse, WatchLine } from "../../core/apiserver/ApiRequest.js"
import { route } from "../../core/apiserver/Route.js"

export interface ReceivedOptions {
  readonly component: string
  /** The kinds followed (`Pod`, `Node`, `Lease` …). */
  readonly kinds: ReadonlySet<string>
  /** One object received; `deleted` for a DELETED line. */
  readonly object: (kind: string, object: KubeObject, deleted: boolean) => void
  /** A LIST received, at `revision` (after its objects were given to `object`). */
  readonly listed?: (kind: string, revision: number) => void
  /** A watch opened (its lines follow). */
  readonly watching?: (kind: string) => void
}

export interface Received {
  readonly onWatchLine: (component: string, request: ApiRequest) => (line: WatchLine) => void
  readonly onResponse: (component: string, request: ApiRequest, response: ApiResponse) => void
}

const ignore = (): void => {}

const isObject = (value: unknown): value is KubeObject =>
  typeof value === "object" && value !== null && typeof (value as KubeObject).metadata === "object"

export const make = (options: ReceivedOptions): Received => {
  // The followed kind a request reads (the object itself, not a subresource); undefined for any other.
  const kindOf = (component: string, request: ApiRequest): string | undefined => {
    if (component !== options.component || request.method !== "GET") return undefined
    const target = route(request.path)
    if (Either.isLeft(target) || target.right._tag !== "Resource" || target.right.subresource !== undefined)
      return undefined
    const kind = target.right.resource.kind
    return options.kinds.has(kind) ? kind : undefined
  }

  return {
    onWatchLine: (component, request) => {
      const kind = kindOf(component, request)
      if (kind === undefined) return ignore
      options.watching?.(kind)
      return (line) => {
        if (line.type === "ADDED" || line.type === "MODIFIED" || line.type === "DELETED")
          if (isObject(line.object)) options.object(kind, line.object, line.type === "DELETED")
      }
    },
    onResponse: (component, request, response) => {
      const kind = kindOf(component, request)
      if (kind === undefined || response._tag !== "Json" || response.status < 200 || response.status > 299) return
      const body = response.body as { readonly items?: unknown; readonly metadata?: { resourceVersion?: unknown } }
      if (!Array.isArray(body?.items)) {
        if (isObject(body)) options.object(kind, body, false)
        return
      }
      for (const item of body.items) if (isObject(item)) options.object(kind, item, false)
      const rv = Number(body.metadata?.resourceVersion)
      if (Number.isSafeInteger(rv)) options.listed?.(kind, rv)
    }
  }
}
