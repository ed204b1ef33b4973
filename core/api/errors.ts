/**
 * API errors: one tagged class per Kubernetes `Status` reason. Each knows its HTTP code and
 * turns into the `Status` object the API server answers with; `fromStatus` turns one back
 * into the typed error on the client side, so both transports surface the same errors.
 */
import * as Schema from "effect/Schema"

/** `Status.details.causes[*]` — one field-level problem. */
export const StatusCause = Schema.Struct({
  reason: Schema.optional(Schema.String),
  message: Schema.optional(Schema.String),
  field: Schema.optional(Schema.String)
})
export type StatusCause = typeof StatusCause.Type

export const StatusDetails = Schema.Struct({
  name: Schema.optional(Schema.String),
  group: Schema.optional(Schema.String),
  kind: Schema.optional(Schema.String),
  uid: Schema.optional(Schema.String),
  causes: Schema.optional(Schema.Array(StatusCause)),
  retryAfterSeconds: Schema.optional(Schema.Number)
})
export type StatusDetails = typeof StatusDetails.Type

/** The `meta.k8s.io/v1` Status object. */
export interface Status {
  readonly kind: "Status"
  readonly apiVersion: "v1"
  readonly metadata: Record<string, unknown>
  readonly status: "Success" | "Failure"
  readonly message?: string
  readonly reason?: string
  readonly details?: StatusDetails
  readonly code: number
}

const fields = { message: Schema.String, details: Schema.optional(StatusDetails) }

export class BadRequest extends Schema.TaggedError<BadRequest>()("BadRequest", fields) {
  readonly code = 400
}
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", fields) {
  readonly code = 401
}
export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", fields) {
  readonly code = 403
}
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", fields) {
  readonly code = 404
}
export class MethodNotAllowed extends Schema.TaggedError<MethodNotAllowed>()("MethodNotAllowed", fields) {
  readonly code = 405
}
export class NotAcceptable extends Schema.TaggedError<NotAcceptable>()("NotAcceptable", fields) {
  readonly code = 406
}
/** 409 with reason `AlreadyExists`: create of a name that is taken. */
export class AlreadyExists extends Schema.TaggedError<AlreadyExists>()("AlreadyExists", fields) {
  readonly code = 409
}
/** 409 with reason `Conflict`: a stale resourceVersion or a failed precondition. */
export class Conflict extends Schema.TaggedError<Conflict>()("Conflict", fields) {
  readonly code = 409
}
/** 410 with reason `Expired`: the requested resourceVersion was compacted ("too old"). */
export class Expired extends Schema.TaggedError<Expired>()("Expired", fields) {
  readonly code = 410
}
export class RequestEntityTooLarge extends Schema.TaggedError<RequestEntityTooLarge>()(
  "RequestEntityTooLarge",
  fields
) {
  readonly code = 413
}
export class UnsupportedMediaType extends Schema.TaggedError<UnsupportedMediaType>()("UnsupportedMediaType", fields) {
  readonly code = 415
}
/** 422 with reason `Invalid`: the object failed validation; `details.causes` name the fields. */
export class Invalid extends Schema.TaggedError<Invalid>()("Invalid", fields) {
  readonly code = 422
}
export class TooManyRequests extends Schema.TaggedError<TooManyRequests>()("TooManyRequests", fields) {
  readonly code = 429
}
export class InternalError extends Schema.TaggedError<InternalError>()("InternalError", fields) {
  readonly code = 500
}
export class ServiceUnavailable extends Schema.TaggedError<ServiceUnavailable>()("ServiceUnavailable", fields) {
  readonly code = 503
}
export class Timeout extends Schema.TaggedError<Timeout>()("Timeout", fields) {
  readonly code = 504
}

export type ApiError =
  | BadRequest
  | Unauthorized
  | Forbidden
  | NotFound
  | MethodNotAllowed
  | NotAcceptable
  | AlreadyExists
  | Conflict
  | Expired
  | RequestEntityTooLarge
  | UnsupportedMediaType
  | Invalid
  | TooManyRequests
  | InternalError
  | ServiceUnavailable
  | Timeout

const byReason: Record<ApiError["_tag"], new (args: { message: string; details?: StatusDetails }) => ApiError> = {
  BadRequest,
  Unauthorized,
  Forbidden,
  NotFound,
  MethodNotAllowed,
  NotAcceptable,
  AlreadyExists,
  Conflict,
  Expired,
  RequestEntityTooLarge,
  UnsupportedMediaType,
  Invalid,
  TooManyRequests,
  InternalError,
  ServiceUnavailable,
  Timeout
}

/** Kubernetes also answers 410 with reason `Gone`; both mean "re-list". */
const reasonAliases: Record<string, ApiError["_tag"]> = { Gone: "Expired", ServerTimeout: "Timeout" }

const byCode: Record<number, ApiError["_tag"]> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  406: "NotAcceptable",
  409: "Conflict",
  410: "Expired",
  413: "RequestEntityTooLarge",
  415: "UnsupportedMediaType",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout"
}

export const isApiError = (u: unknown): u is ApiError =>
  typeof u === "object" && u !== null && "_tag" in u && (u as { _tag: string })._tag in byReason

/** The Status object an error is answered with. */
export const toStatus = (error: ApiError): Status => ({
  kind: "Status",
  apiVersion: "v1",
  metadata: {},
  status: "Failure",
  message: error.message,
  reason: error._tag,
  ...(error.details === undefined ? {} : { details: error.details }),
  code: error.code
})

/** The typed error for a Status object (or any error body) received with an HTTP code. */
export const fromStatus = (code: number, body: unknown): ApiError => {
  const status = (typeof body === "object" && body !== null ? body : {}) as Partial<Status>
  const reason = typeof status.reason === "string" ? (reasonAliases[status.reason] ?? status.reason) : undefined
  const tag =
    reason !== undefined && reason in byReason ? (reason as ApiError["_tag"]) : (byCode[code] ?? "InternalError")
  const message = typeof status.message === "string" ? status.message : `the server answered ${code}`
  const Ctor = byReason[tag]
  return new Ctor(status.details === undefined ? { message } : { message, details: status.details })
}

/** A resource-qualified "not found", worded as Kubernetes does: `pods "web" not found`. */
export const notFound = (resource: { group: string; plural: string }, name: string): NotFound =>
  new NotFound({
    message: `${qualified(resource)} "${name}" not found`,
    details: { name, group: resource.group, kind: resource.plural }
  })

export const alreadyExists = (resource: { group: string; plural: string }, name: string): AlreadyExists =>
  new AlreadyExists({
    message: `${qualified(resource)} "${name}" already exists`,
    details: { name, group: resource.group, kind: resource.plural }
  })

export const conflict = (resource: { group: string; plural: string }, name: string, why: string): Conflict =>
  new Conflict({
    message: `Operation cannot be fulfilled on ${qualified(resource)} "${name}": ${why}`,
    details: { name, group: resource.group, kind: resource.plural }
  })

/** One field error, as `field.ErrorList` entries read in Kubernetes. */
export interface FieldError {
  readonly type:
    | "FieldValueRequired"
    | "FieldValueInvalid"
    | "FieldValueNotSupported"
    | "FieldValueForbidden"
    | "FieldValueDuplicate"
    | "FieldValueTooLong"
    | "FieldValueTypeInvalid"
  readonly field: string
  readonly message: string
}

/** `Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0` */
export const invalid = (kind: string, group: string, name: string, errors: ReadonlyArray<FieldError>): Invalid =>
  new Invalid({
    message: `${kind}${group === "" ? "" : "." + group} "${name}" is invalid: ${errors
      .map((e) => `${e.field}: ${e.message}`)
      .join(", ")}`,
    details: {
      name,
      group,
      kind,
      causes: errors.map((e) => ({ reason: e.type, message: e.message, field: e.field }))
    }
  })

const qualified = (resource: { group: string; plural: string }) =>
  resource.group === "" ? resource.plural : `${resource.plural}.${resource.group}`
