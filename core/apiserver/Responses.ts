/**
 * The answers the API server gives, as `ApiResponse` values: JSON bodies, plain text (whole or
 * streamed), `Status` objects for failures and successes, and the `Warning` header Kubernetes
 * sends with them.
 */
import { type ApiError, type Status, type StatusDetails, toStatus } from "../api/errors.js"
import type * as Stream from "effect/Stream"
import type { ApiResponse } from "./ApiRequest.js"

/** The media type of every JSON answer except Tables and partial metadata. */
export const jsonMediaType = "application/json"

/** A JSON answer. */
export const json = (
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
  mediaType: string = jsonMediaType
): ApiResponse => ({ _tag: "Json", status, headers: { "content-type": mediaType, ...headers }, body })

/** A plain-text answer (`/healthz`). */
export const text = (status: number, body: string): ApiResponse => ({
  _tag: "Text",
  status,
  headers: { "content-type": "text/plain; charset=utf-8" },
  body
})

/** A plain-text answer written as `body` produces it (`pods/log`). */
export const textStream = (body: Stream.Stream<string>): ApiResponse => ({
  _tag: "TextStream",
  status: 200,
  headers: { "content-type": "text/plain" },
  body
})

/** The `Status` answer for an error, with its HTTP code. */
export const failure = (error: ApiError): ApiResponse => json(error.code, toStatus(error))

/** A `Status` with `status: Success`, as Kubernetes answers a delete that removed the object or a binding. */
export const successStatus = (code: number, details?: StatusDetails): Status => ({
  kind: "Status",
  apiVersion: "v1",
  metadata: {},
  status: "Success",
  ...(details === undefined ? {} : { details }),
  code
})

/** `Warning: 299 - "text"` values, joined as one header (RFC 7234 allows a comma-separated list). */
export const warningHeaders = (warnings: ReadonlyArray<string>): Readonly<Record<string, string>> =>
  warnings.length === 0
    ? {}
    : { warning: warnings.map((w) => `299 - "${w.replace(/[\\"]/g, (c) => "\\" + c)}"`).join(", ") }
