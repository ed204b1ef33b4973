/**
 * Decoding a request body into a typed object, as the API server's decoder does: wrong JSON
 * types are a 400 naming the field and the expected type; unknown fields are refused, warned
 * about or dropped according to the request's `fieldValidation` (Strict, Warn, Ignore). Absent
 * fields are not the decoder's business: Go leaves them at their zero values and validation
 * reports the required ones (see requiredField.ts).
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"
import { BadRequest } from "./errors.js"
import type { KubeObject } from "./meta.js"
import { apiVersionOf, type ResourceType } from "./resource.js"

/** The `fieldValidation` query parameter. */
export type FieldValidation = "Strict" | "Warn" | "Ignore"

export interface Decoded<A> {
  readonly object: A
  /** `unknown field "spec.foo"` for each dropped field (Warn only). */
  readonly warnings: ReadonlyArray<string>
}

type Path = ReadonlyArray<PropertyKey>

/** `spec.template.spec.containers[0].image` */
const formatPath = (path: Path): string =>
  path.reduce<string>(
    (s, key) => (typeof key === "number" ? `${s}[${key}]` : s === "" ? String(key) : `${s}.${String(key)}`),
    ""
  )

const jsonType = (u: unknown): string =>
  u === null
    ? "null"
    : Array.isArray(u)
      ? "array"
      : typeof u === "boolean"
        ? "bool"
        : typeof u === "number"
          ? `number ${u}`
          : typeof u

/** What a schema expects, in plain words: "string", "int32", "object", "int32 or string". */
const describe = (ast: AST.AST): string => {
  switch (ast._tag) {
    case "StringKeyword":
      return "string"
    case "NumberKeyword":
      return "number"
    case "BooleanKeyword":
      return "bool"
    case "TypeLiteral":
      return "object"
    case "TupleType":
      return "array"
    case "Literal":
      return JSON.stringify(ast.literal)
    case "Union":
      return ast.types
        .filter((t) => !AST.isUndefinedKeyword(t))
        .map(describe)
        .join(" or ")
    case "Refinement":
      return Option.getOrElse(AST.getTitleAnnotation(ast), () => describe(ast.from))
    default:
      return Option.getOrElse(AST.getTitleAnnotation(ast), () => "value")
  }
}

const mismatch = (path: Path, actual: unknown, expected: string) =>
  `json: cannot unmarshal ${jsonType(actual)} into field ${formatPath(path)} of type ${expected}`

interface Problems {
  readonly unknown: Array<string>
  readonly errors: Array<string>
}

const issues = (i: ParseResult.SingleOrNonEmpty<ParseResult.ParseIssue>) =>
  (Array.isArray(i) ? i : [i]) as ReadonlyArray<ParseResult.ParseIssue>

const walk = (issue: ParseResult.ParseIssue, path: Path, out: Problems): void => {
  switch (issue._tag) {
    case "Pointer":
      return walk(issue.issue, [...path, ...(Array.isArray(issue.path) ? issue.path : [issue.path])], out)
    case "Unexpected":
      out.unknown.push(formatPath(path))
      return
    case "Missing":
      // Only metadata.ownerReferences (meta.ts) still has required fields.
      out.errors.push(`missing required field "${formatPath(path)}"`)
      return
    case "Type":
    case "Forbidden":
      out.errors.push(mismatch(path, issue.actual, describe(issue.ast)))
      return
    case "Refinement":
      // A value of the wrong JSON type is reported with the refined type's name ("int32").
      if (issue.kind === "From" && issue.issue._tag === "Type") {
        out.errors.push(mismatch(path, issue.actual, describe(issue.ast)))
        return
      }
      if (issue.kind === "From") return walk(issue.issue, path, out)
      // A failed check (an integer with a fraction, a malformed quantity) says what is wrong.
      out.errors.push(
        issue.issue._tag === "Type" && issue.issue.message !== undefined
          ? `${formatPath(path)}: ${issue.issue.message}`
          : mismatch(path, issue.actual, describe(issue.ast))
      )
      return
    case "Transformation":
      return walk(issue.issue, path, out)
    case "Composite": {
      if (!AST.isUnion(issue.ast)) {
        for (const i of issues(issue.issues)) walk(i, path, out)
        return
      }
      // An optional field is a union with undefined; only the other members explain the failure.
      const members = issues(issue.issues).filter((i) => !(i._tag === "Type" && AST.isUndefinedKeyword(i.ast)))
      if (members.length === 1) return walk(members[0], path, out)
      out.errors.push(mismatch(path, issue.actual, describe(issue.ast)))
      return
    }
  }
}

/** A `null` object property anywhere in `u` (null array elements stay): what decoding drops. */
export const hasNulls = (u: unknown): boolean => {
  if (u === null || typeof u !== "object") return false
  if (Array.isArray(u)) return u.some(hasNulls)
  for (const key in u) {
    const v = (u as Record<string, unknown>)[key]
    if (v === null || hasNulls(v)) return true
  }
  return false
}

// Go's JSON decoder treats `null` as "not given"; so do we, everywhere but in arrays.
const dropNulls = (u: unknown): unknown => {
  if (Array.isArray(u)) return u.map(dropNulls)
  if (u === null || typeof u !== "object") return u
  return Object.fromEntries(
    Object.entries(u)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, dropNulls(v)])
  )
}

interface Decoders<A> {
  readonly strict: (u: unknown) => Either.Either<A, ParseResult.ParseError>
  readonly lenient: (u: unknown) => Either.Either<A, ParseResult.ParseError>
}

// Building a decoder walks the schema; build each kind's two once.
const compiled = new WeakMap<Schema.Schema.Any, Decoders<unknown>>()
const decoders = <A>(schema: Schema.Schema<A, A>): Decoders<A> => {
  const found = compiled.get(schema) as Decoders<A> | undefined
  if (found !== undefined) return found
  const made: Decoders<A> = {
    strict: Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "error" }),
    lenient: Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "ignore" })
  }
  compiled.set(schema, made)
  return made
}

/**
 * Decodes a request body as `rt`'s kind (a resource type, or any kind given by group, version,
 * kind and schema, such as a Scale or a Binding). A missing `apiVersion`, `kind` or `metadata`
 * is filled in (the URL says what it is); a different one is refused.
 */
export const decode = <A extends KubeObject>(
  rt: Pick<ResourceType<A>, "group" | "version" | "kind" | "schema">,
  json: unknown,
  mode: FieldValidation
): Either.Either<Decoded<A>, BadRequest> => {
  const expectedVersion = apiVersionOf(rt)
  const prefix = `${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}`
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    return Either.left(
      new BadRequest({ message: `${prefix}: json: cannot unmarshal ${jsonType(json)} into an object` })
    )
  }
  // Most bodies have no nulls: look before copying.
  const body = (hasNulls(json) ? dropNulls(json) : json) as Record<string, unknown>
  if (body.apiVersion !== undefined && body.apiVersion !== expectedVersion) {
    return Either.left(
      new BadRequest({
        message: `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${expectedVersion})`
      })
    )
  }
  if (body.kind !== undefined && body.kind !== rt.kind) {
    return Either.left(
      new BadRequest({
        message: `the kind in the data (${String(body.kind)}) does not match the expected kind (${rt.kind})`
      })
    )
  }
  const input = { ...body, apiVersion: expectedVersion, kind: rt.kind, metadata: body.metadata ?? {} }
  const strict = decoders(rt.schema).strict(input)
  if (Either.isRight(strict)) return Either.right({ object: strict.right, warnings: [] })
  const problems: Problems = { unknown: [], errors: [] }
  walk(strict.left.issue, [], problems)
  if (problems.errors.length > 0) {
    return Either.left(new BadRequest({ message: `${prefix}: ${problems.errors.join("; ")}` }))
  }
  if (mode === "Strict") {
    return Either.left(
      new BadRequest({
        message: `strict decoding error: ${problems.unknown.map((f) => `unknown field "${f}"`).join(", ")}`
      })
    )
  }
  return Either.map(
    Either.mapLeft(decoders(rt.schema).lenient(input), (e) => new BadRequest({ message: `${prefix}: ${e.message}` })),
    (object) => ({ object, warnings: mode === "Warn" ? problems.unknown.map((f) => `unknown field "${f}"`) : [] })
  )
}
