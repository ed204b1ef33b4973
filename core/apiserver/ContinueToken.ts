/**
 * The opaque `continue` token of a paginated list, shaped like Kubernetes' own (base64 of
 * `{"v":"meta.k8s.io/v1","rv":N,"start":"…"}`): the revision every page is read at and the key,
 * relative to the collection prefix, the next page starts after.
 */
import * as Either from "effect/Either"
import { BadRequest } from "../api/errors.js"
import type { Revision } from "../store/Store.js"

export interface Continue {
  readonly revision: Revision
  /** The full key the next page starts after (exclusive). */
  readonly after: string
}

/** The token for continuing a list of `prefix` at `revision` after the key `after`. */
export const encode = (prefix: string, revision: Revision, after: string): string =>
  Buffer.from(
    JSON.stringify({ v: "meta.k8s.io/v1", rv: revision, start: after.slice(prefix.length) }),
    "utf8"
  ).toString("base64url")

const invalid = (why: string) => Either.left(new BadRequest({ message: `continue key is not valid: ${why}` }))

/** Reads a token back for the collection `prefix`; 400 when it is not one of ours. */
export const decode = (prefix: string, token: string): Either.Either<Continue, BadRequest> => {
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"))
  } catch {
    return invalid("not a continue token")
  }
  const { v, rv, start } = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<string, unknown>
  if (v !== "meta.k8s.io/v1") return invalid("incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
  if (typeof rv !== "number" || !Number.isSafeInteger(rv) || rv <= 0)
    return invalid("incorrect encoded start resourceVersion")
  if (typeof start !== "string" || start === "" || start.startsWith("/") || start.split("/").includes("..")) {
    return invalid("path is not a valid key")
  }
  return Either.right({ revision: rv, after: prefix + start })
}
