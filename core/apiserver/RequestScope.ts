/**
 * What every resource handler works with (Kubernetes' `RequestScope`): the store, the server's
 * settings, the request and where it points, and the answer format the client negotiated; plus
 * the query options and the clock reading the handlers share.
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { FieldValidation } from "../api/decode.js"
import { type ApiError, BadRequest } from "../api/errors.js"
import type { KubeObject } from "../api/meta.js"
import type { Store, WriteOptions } from "../store/Store.js"
import type { ApiRequest, ApiResponse } from "./ApiRequest.js"
import type { Tokens } from "./Authentication.js"
import type { Cacher } from "./Cacher.js"
import { decodeRemembering } from "./DecodeCache.js"
import type { KubeletConnection } from "./KubeletConnection.js"
import type { NamespaceLister } from "./NamespaceLifecycle.js"
import { contentTypeOf, type Output } from "./Negotiation.js"
import * as RequestBody from "./RequestBody.js"
import { json } from "./Responses.js"
import type { Resource } from "./Route.js"
import type { ServiceIPRange } from "./ServiceIPs.js"
import { type IncludeObject, partialObjectMetadata, table } from "./Table.js"
import { now } from "../api/time.js"

/** The API server's settings, defaults filled in. */
export interface ServerConfig {
  readonly maxRequestBytes: number
  readonly bookmarkInterval: Duration.Duration
  readonly tokens: Tokens | undefined
  readonly serviceIPRange: ServiceIPRange
  readonly defaultTolerationSeconds: number
  /** Seconds an Event lives after its last write (etcd: the lease its key is put on). */
  readonly eventTTL: number
  /** The watch fan-out over the store. */
  readonly cacher: Cacher
  /** The NamespaceLifecycle admission, over its view of the namespaces. */
  readonly namespaces: NamespaceLister
  /** How `pods/log` reaches kubelets; absent in process and in simulation. */
  readonly kubelet: KubeletConnection["Type"] | undefined
}

export interface RequestScope {
  readonly store: Store["Type"]
  readonly config: ServerConfig
  readonly request: ApiRequest
  readonly resource: Resource
  /** The namespace in the path (undefined for cluster-scoped kinds and all-namespace collections). */
  readonly namespace: string | undefined
  readonly name: string | undefined
  readonly subresource: string | undefined
  readonly output: Output
  /** What Table rows carry (`includeObject`), read before any work so a bad value writes nothing. */
  readonly includeObject: IncludeObject
}

/**
 * How the scope's objects are written: Events expire `eventTTL` after their last create or update
 * (Kubernetes' event registry sets the same ttl on both).
 */
export const writeOptionsOf = (scope: RequestScope): WriteOptions | undefined =>
  scope.resource.group === "" && scope.resource.plural === "events" ? { ttl: scope.config.eventTTL } : undefined

/** `dryRun=All` (the only value Kubernetes knows); 400 for others. */
export const dryRunOf = (query: URLSearchParams): Either.Either<boolean, BadRequest> => {
  const values = query.getAll("dryRun").filter((v) => v !== "")
  if (values.every((v) => v === "All")) return Either.right(values.length > 0)
  return Either.left(
    new BadRequest({
      message: `dryRun: Unsupported value: ${JSON.stringify(values.find((v) => v !== "All"))}: supported values: "All"`
    })
  )
}

/** `fieldValidation` (default Warn, as the server defaults it); 400 for other values. */
export const fieldValidationOf = (query: URLSearchParams): Either.Either<FieldValidation, BadRequest> => {
  const value = query.get("fieldValidation") ?? "Warn"
  return value === "Strict" || value === "Warn" || value === "Ignore"
    ? Either.right(value)
    : Either.left(
        new BadRequest({
          message: `fieldValidation: Unsupported value: ${JSON.stringify(value)}: supported values: "Ignore", "Warn", "Strict"`
        })
      )
}

/** Decodes a body as the scope's kind (apiVersion and kind must match the URL's when given). */
export const decodeBody = (rt: Resource, body: unknown, mode: FieldValidation) =>
  decodeRemembering<KubeObject>(rt, body, mode)

/** A create's or update's body, decoded under the query's `fieldValidation`, and whether it is a `dryRun`. */
export const writeBodyOf = (
  scope: RequestScope
): Either.Either<
  { readonly object: KubeObject; readonly warnings: ReadonlyArray<string>; readonly dryRun: boolean },
  ApiError
> => {
  const query = scope.request.query
  const mode = fieldValidationOf(query)
  if (Either.isLeft(mode)) return Either.left(mode.left)
  const dryRun = dryRunOf(query)
  if (Either.isLeft(dryRun)) return Either.left(dryRun.left)
  const body = RequestBody.readObject(scope.request, scope.config.maxRequestBytes)
  if (Either.isLeft(body)) return Either.left(body.left)
  const decoded = decodeBody(scope.resource, body.right, mode.right)
  if (Either.isLeft(decoded)) return Either.left(decoded.left)
  return Either.right({ ...decoded.right, dryRun: dryRun.right })
}

/** Answers one object in the negotiated format (a Table needs the clock for its ages). */
export const respondObject = (
  scope: RequestScope,
  status: number,
  obj: KubeObject,
  headers: Readonly<Record<string, string>> = {}
): Effect.Effect<ApiResponse> => {
  const output = scope.output
  switch (output._tag) {
    case "Object":
      return Effect.succeed(json(status, obj, headers))
    case "PartialObjectMetadata":
      return Effect.succeed(
        json(status, partialObjectMetadata(obj, output.version), headers, contentTypeOf(output, false))
      )
    case "Table": {
      const metadata =
        obj.metadata.resourceVersion === undefined ? {} : { resourceVersion: obj.metadata.resourceVersion }
      return Effect.map(now, (time) => {
        const body = table(scope.resource, [obj], metadata, {
          version: output.version,
          includeObject: scope.includeObject,
          now: time,
          headers: true
        })
        return json(status, body, headers, contentTypeOf(output, false))
      })
    }
  }
}
