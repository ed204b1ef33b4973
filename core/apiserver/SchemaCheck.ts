/**
 * A fast path for decoding request bodies that are valid, which nearly all are: the kind's schema
 * compiled once into plain checks (objects, arrays, unions, literals, keywords and refinements,
 * the only forms the kinds' schemas use) that answer the object a strict decode answers, or
 * nothing, and then the full decode runs and explains what is wrong. A body with a `null` where
 * the decoder would drop it, an unknown field or anything unusual always takes the full decode.
 */
import type * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"
import { type Decoded, hasNulls } from "../api/decode.js"
import type { KubeObject } from "../api/meta.js"
import { apiVersionOf, type ResourceType } from "../api/resource.js"

/** Not valid, or not a form this check knows: decode in full. */
const invalid: unique symbol = Symbol("invalid")

/** The decoded value (a copy in schema order, as the decoder builds it), or `invalid`. */
type Check = (u: unknown) => unknown

const never: Check = () => invalid

/** The options the decoder checks bodies under (`decode.ts`: strict, every error). */
const parseOptions: AST.ParseOptions = { errors: "all", onExcessProperty: "error" }

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const compiled = new WeakMap<AST.AST, Check>()

/** How many primitives' verdicts one refinement keeps. */
const maxVerdicts = 4096

const compile = (ast: AST.AST): Check => {
  const known = compiled.get(ast)
  if (known !== undefined) return known
  // Set first: a schema that refers to itself meets the (lazy) entry instead of looping.
  let check: Check = never
  compiled.set(ast, (u) => check(u))
  check = build(ast)
  compiled.set(ast, check)
  return check
}

const build = (ast: AST.AST): Check => {
  switch (ast._tag) {
    case "StringKeyword":
      return (u) => (typeof u === "string" ? u : invalid)
    case "NumberKeyword":
      return (u) => (typeof u === "number" ? u : invalid)
    case "BooleanKeyword":
      return (u) => (typeof u === "boolean" ? u : invalid)
    case "UndefinedKeyword":
      return (u) => (u === undefined ? u : invalid)
    case "UnknownKeyword":
      return (u) => (hasNulls(u) ? invalid : u)
    case "Literal": {
      const literal = ast.literal
      return (u) => (u === literal ? u : invalid)
    }
    case "Refinement": {
      const from = compile(ast.from)
      const passes = (a: unknown) => ast.filter(a, parseOptions, ast)._tag === "None"
      // Bodies repeat the same few primitives (quantities, names): a filter's verdict on one is kept.
      const verdicts = new Map<unknown, boolean>()
      return (u) => {
        const a = from(u)
        if (a === invalid) return invalid
        if (typeof a === "object" && a !== null) return passes(a) ? a : invalid
        let verdict = verdicts.get(a)
        if (verdict === undefined) {
          if (verdicts.size >= maxVerdicts) verdicts.clear()
          verdicts.set(a, (verdict = passes(a)))
        }
        return verdict ? a : invalid
      }
    }
    case "TupleType": {
      if (ast.elements.length > 0 || ast.rest.length !== 1) return never
      const item = compile(ast.rest[0]!.type)
      return (u) => {
        if (!Array.isArray(u)) return invalid
        const out: Array<unknown> = new Array(u.length)
        for (let i = 0; i < u.length; i++) {
          const a = item(u[i])
          if (a === invalid) return invalid
          out[i] = a
        }
        return out
      }
    }
    case "Union": {
      // Members whose answers could differ for one input (two objects) are left to the decoder.
      const complex = ast.types.filter((t) => !isPrimitive(t))
      if (complex.length > 1) return never
      const members = ast.types.map(compile)
      return (u) => {
        for (const member of members) {
          const a = member(u)
          if (a !== invalid) return a
        }
        return invalid
      }
    }
    case "TypeLiteral":
      return typeLiteral(ast)
    default:
      return never
  }
}

/** A member that answers its input unchanged (so which one accepts it makes no difference). */
const isPrimitive = (ast: AST.AST): boolean => {
  switch (ast._tag) {
    case "StringKeyword":
    case "NumberKeyword":
    case "BooleanKeyword":
    case "UndefinedKeyword":
    case "Literal":
      return true
    case "Refinement":
      return isPrimitive(ast.from)
    default:
      return false
  }
}

const typeLiteral = (ast: AST.TypeLiteral): Check => {
  const { propertySignatures, indexSignatures } = ast
  if (propertySignatures.length === 0 && indexSignatures.length === 0) return (u) => (u == null ? invalid : u)
  if (indexSignatures.length > 1) return never
  const index = indexSignatures[0]
  if (index !== undefined && index.parameter._tag !== "StringKeyword") return never
  const value = index === undefined ? undefined : compile(index.type)
  const names = propertySignatures.map((p) => p.name)
  if (names.some((name) => typeof name !== "string")) return never
  const expected = new Set(names as ReadonlyArray<string>)
  const fields = propertySignatures.map((p) => ({
    name: p.name as string,
    optional: p.isOptional,
    check: compile(p.type)
  }))
  return (u) => {
    if (!isRecord(u)) return invalid
    // A symbol key is one the decoder does not expect.
    if (Object.getOwnPropertySymbols(u).length > 0) return invalid
    const keys = Object.keys(u)
    // The decoder drops a property that is null (Go's "not given"): it must decide.
    for (const key of keys) if (u[key] === null || (value === undefined && !expected.has(key))) return invalid
    const out: Record<string, unknown> = {}
    for (const field of fields) {
      if (field.optional && !Object.prototype.hasOwnProperty.call(u, field.name)) continue
      const a = field.check(u[field.name])
      if (a === invalid) return invalid
      out[field.name] = a
    }
    if (value === undefined) return out
    // A map (`labels`) or the fields a loose struct keeps: every key's value is checked, the others follow in input order.
    for (const key of keys) {
      const a = value(u[key])
      if (a === invalid) return invalid
      if (!expected.has(key)) out[key] = a
    }
    return out
  }
}

/** The strict decode of a body known to be valid, or undefined when the full decode must decide. */
export const decodeValid = <A extends KubeObject>(
  rt: Pick<ResourceType<A>, "group" | "version" | "kind" | "schema">,
  body: unknown
): Decoded<A> | undefined => {
  if (!isRecord(body)) return undefined
  const apiVersion = apiVersionOf(rt)
  if (
    (body.apiVersion !== undefined && body.apiVersion !== apiVersion) ||
    (body.kind !== undefined && body.kind !== rt.kind)
  )
    return undefined
  const input = { ...body, apiVersion, kind: rt.kind, metadata: body.metadata ?? {} }
  const object = compile((rt.schema as Schema.Schema.Any).ast)(input)
  return object === invalid ? undefined : { object: object as A, warnings: [] }
}
