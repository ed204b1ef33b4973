/**
 * Request bodies: bytes off the wire are parsed by Content-Type (JSON, YAML as `kubectl create`
 * may send, or Kubernetes protobuf as client-go's typed clients send), bounded in size like
 * Kubernetes (3 MiB) and in nesting depth; a body the in-process transport already parsed is taken as is.
 */
import * as Either from "effect/Either"
import * as YAML from "yaml"
import { BadRequest, RequestEntityTooLarge, UnsupportedMediaType } from "../api/errors.js"
import type { ApiRequest } from "./ApiRequest.js"
import { depthExceeds } from "./JsonValue.js"
import * as Protobuf from "./Protobuf.js"

/** Kubernetes' default limit on a request body (`--max-request-bytes` of 3 MiB). */
export const defaultMaxRequestBytes = 3 * 1024 * 1024

/** Deeper input is refused; no real manifest comes near it, and it keeps every later walk off the stack limit. */
export const maxDepth = 1000

export type BodyFormat = "json" | "yaml"

type BodyError = BadRequest | RequestEntityTooLarge | UnsupportedMediaType

/** The media type of a header value, lower case and without parameters. */
export const mediaTypeOf = (header: string | undefined): string => (header ?? "").split(";")[0].trim().toLowerCase()

/** How a create or update body is encoded, from its Content-Type (JSON when absent, as Kubernetes assumes). */
export const formatOf = (contentType: string | undefined): BodyFormat | undefined => {
  switch (mediaTypeOf(contentType)) {
    case "":
    case "application/json":
    case "*/*":
      return "json"
    case "application/yaml":
      return "yaml"
    default:
      return undefined
  }
}

/** The object body of a create or update: required, JSON, YAML or Kubernetes protobuf. */
export const readObject = (request: ApiRequest, maxBytes: number): Either.Either<unknown, BodyError> => {
  const body = request.body
  if (body === undefined) return Either.left(new BadRequest({ message: "the request body is empty" }))
  if (body._tag === "Parsed") return Either.right(body.value)
  const contentType = request.headers["content-type"]
  if (mediaTypeOf(contentType) === Protobuf.protobufMediaType) {
    return readProtobuf(body.bytes, maxBytes, request.query.get("fieldValidation") === "Strict")
  }
  const format = formatOf(contentType)
  return format === undefined
    ? Either.left(
        new UnsupportedMediaType({
          message: `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, ${Protobuf.protobufMediaType}`
        })
      )
    : parse(body.bytes, format, maxBytes)
}

/** A protobuf body as its JSON object; fields the decoder does not know are a 400 under Strict, else dropped. */
const readProtobuf = (bytes: Uint8Array, maxBytes: number, strict: boolean): Either.Either<unknown, BodyError> => {
  if (bytes.length > maxBytes) {
    return Either.left(new RequestEntityTooLarge({ message: `Request entity too large: limit is ${maxBytes}` }))
  }
  return Either.flatMap(Protobuf.decode(bytes), ({ object, unknownFields }) =>
    strict && unknownFields.length > 0
      ? Either.left(
          new BadRequest({
            message: `strict decoding error: ${unknownFields.map((f) => `unknown field "${f}"`).join(", ")}`
          })
        )
      : depthExceeds(object, maxDepth)
        ? Either.left(new BadRequest({ message: `the request body nests deeper than ${maxDepth} levels` }))
        : Either.right(object)
  )
}

/** A body in a fixed format (patches are JSON whatever their patch media type), or undefined when absent or empty. */
export const readOptional = (
  request: ApiRequest,
  format: BodyFormat,
  maxBytes: number
): Either.Either<unknown, BodyError> => {
  const body = request.body
  if (body === undefined) return Either.right(undefined)
  if (body._tag === "Parsed") return Either.right(body.value)
  if (body.bytes.length === 0) return Either.right(undefined)
  return parse(body.bytes, format, maxBytes)
}

/** Parses bytes as JSON or YAML: 413 over `maxBytes`, 400 naming line and column when malformed or too deep. */
export const parse = (
  bytes: Uint8Array,
  format: BodyFormat,
  maxBytes: number
): Either.Either<unknown, BadRequest | RequestEntityTooLarge> => {
  if (bytes.length > maxBytes) {
    return Either.left(new RequestEntityTooLarge({ message: `Request entity too large: limit is ${maxBytes}` }))
  }
  let source: string
  try {
    source = Protobuf.utf8.decode(bytes)
  } catch {
    return Either.left(new BadRequest({ message: "the request body is not valid UTF-8" }))
  }
  const parsed = format === "json" ? parseJson(source) : parseYaml(source)
  if (typeof parsed === "string") return Either.left(new BadRequest({ message: parsed }))
  if (depthExceeds(parsed.value, maxDepth)) {
    return Either.left(new BadRequest({ message: `the request body nests deeper than ${maxDepth} levels` }))
  }
  return Either.right(parsed.value)
}

const parseJson = (source: string): { readonly value: unknown } | string => {
  try {
    return { value: JSON.parse(source) }
  } catch {
    const at = syntaxErrorOffset(source)
    const what =
      at >= source.length ? "unexpected end of JSON input" : `invalid character ${JSON.stringify(source[at])}`
    return `error decoding JSON at ${lineAndColumn(source, at)}: ${what}`
  }
}

const parseYaml = (source: string): { readonly value: unknown } | string => {
  try {
    return { value: YAML.parse(source) ?? null }
  } catch (e) {
    // The yaml package's first message line names the line and column.
    const message = e instanceof Error ? e.message.split("\n")[0].replace(/:$/, "") : "invalid YAML"
    return `error converting YAML to JSON: ${message.slice(0, 200)}`
  }
}

const lineAndColumn = (source: string, offset: number): string => {
  let line = 1
  let lineStart = 0
  for (let i = 0; i < offset && i < source.length; i++) {
    if (source[i] === "\n") {
      line++
      lineStart = i + 1
    }
  }
  return `line ${line}, column ${offset - lineStart + 1}`
}

const stringToken = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y
const numberToken = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y
const literalToken = /true|false|null/y

/** Where JSON syntax first breaks (JSON.parse does not always say): a scan with an explicit stack. */
const syntaxErrorOffset = (s: string): number => {
  let i = 0
  const stack: Array<"{" | "["> = []
  let mode: "value" | "firstValue" | "key" | "firstKey" | "after" = "value"
  const token = (re: RegExp): boolean => {
    re.lastIndex = i
    if (!re.test(s)) return false
    i = re.lastIndex
    return true
  }
  for (;;) {
    while (i < s.length && (s[i] === " " || s[i] === "\t" || s[i] === "\n" || s[i] === "\r")) i++
    const c = s[i]
    if (mode === "after") {
      const top = stack[stack.length - 1]
      if (top === undefined) return i
      if (c === ",") mode = top === "{" ? "key" : "value"
      else if (c !== (top === "{" ? "}" : "]")) return i
      else stack.pop()
      i++
    } else if (mode === "key" || mode === "firstKey") {
      if (mode === "firstKey" && c === "}") {
        stack.pop()
        i++
        mode = "after"
        continue
      }
      if (!token(stringToken)) return i
      while (i < s.length && (s[i] === " " || s[i] === "\t" || s[i] === "\n" || s[i] === "\r")) i++
      if (s[i] !== ":") return i
      i++
      mode = "value"
    } else if (mode === "firstValue" && c === "]") {
      stack.pop()
      i++
      mode = "after"
    } else if (c === "{" || c === "[") {
      stack.push(c)
      i++
      mode = c === "{" ? "firstKey" : "firstValue"
    } else if (token(stringToken) || token(numberToken) || token(literalToken)) {
      mode = "after"
    } else {
      return i
    }
  }
}
