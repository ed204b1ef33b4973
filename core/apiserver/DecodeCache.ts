/**
 * Request decoding that remembers what it accepted: a top-level field of a body (a pod's `spec`,
 * a ReplicaSet's `spec` with its template) whose value is a frozen object the decoder already
 * accepted for the same field of the same kind is not walked again. In-process clients send back
 * the very objects the store froze (a status write carries the spec it read), so a controller's
 * writes decode only what it changed. The answer is the one a full decode gives: decoding is a
 * pure function of an immutable value, the kinds' schemas only check (they transform nothing), so
 * an accepted value decodes to itself, and a struct's fields decode independently of each other.
 * A value is remembered only once a full decode accepted it, strictly and unchanged.
 */
import * as Either from "effect/Either"
import type * as Schema from "effect/Schema"
import type * as AST from "effect/SchemaAST"
import { decode, type Decoded, type FieldValidation } from "../api/decode.js"
import type { BadRequest } from "../api/errors.js"
import type { KubeObject } from "../api/meta.js"
import type { ResourceType } from "../api/resource.js"
import { equals, isObject } from "./JsonValue.js"
import { decodeValid } from "./SchemaCheck.js"

/** Per kind: its top-level field names in schema order, and the values accepted for each. */
interface Memory {
  readonly fields: ReadonlyArray<string>
  readonly accepted: Map<string, WeakSet<object>>
}

const memories = new WeakMap<Schema.Schema.Any, Memory | null>()

/** The kind's memory; null for a schema that is not a plain struct (it is always decoded whole). */
const memoryOf = (schema: Schema.Schema.Any): Memory | null => {
  let memory = memories.get(schema)
  if (memory === undefined) {
    const ast: AST.AST = schema.ast
    memory =
      ast._tag === "TypeLiteral" && ast.indexSignatures.length === 0
        ? { fields: ast.propertySignatures.map((p) => String(p.name)), accepted: new Map() }
        : null
    memories.set(schema, memory)
  }
  return memory
}

/** `decode`, through the fast path when the body is valid; `exact` when the answer is the body itself (in schema order). */
const decodeChecked = <A extends KubeObject>(
  rt: Pick<ResourceType<A>, "group" | "version" | "kind" | "schema">,
  body: unknown,
  mode: FieldValidation
): Either.Either<Decoded<A> & { readonly exact: boolean }, BadRequest> => {
  const valid = decodeValid(rt, body)
  if (valid !== undefined) return Either.right({ ...valid, exact: true })
  return Either.map(decode(rt, body, mode), (decoded) => ({ ...decoded, exact: false }))
}

/** A value that can never change: frozen (the store deep-freezes what it keeps). */
const isFrozenObject = (value: unknown): value is object =>
  typeof value === "object" && value !== null && Object.isFrozen(value)

/** Decodes `body` as `rt`'s kind, as `decode` does, without walking fields accepted before. */
export const decodeRemembering = <A extends KubeObject>(
  rt: Pick<ResourceType<A>, "group" | "version" | "kind" | "schema">,
  body: unknown,
  mode: FieldValidation
): Either.Either<Decoded<A>, BadRequest> => {
  const memory = memoryOf(rt.schema)
  if (memory === null || !isObject(body)) return decodeChecked(rt, body, mode)
  let known: Map<string, object> | undefined
  for (const field of memory.fields) {
    const value = body[field]
    if (isFrozenObject(value) && memory.accepted.get(field)?.has(value) === true)
      (known ??= new Map()).set(field, value)
  }
  if (known === undefined)
    return Either.map(decodeChecked(rt, body, mode), (decoded) => {
      remember(memory, body, decoded)
      return { object: decoded.object, warnings: decoded.warnings }
    })
  const rest: Record<string, unknown> = {}
  for (const key of Object.keys(body)) if (!known.has(key)) rest[key] = body[key]
  const given = known
  return Either.map(decodeChecked(rt, rest, mode), (partial) => {
    remember(memory, rest, partial)
    // In schema order, as the full decode builds it.
    const whole: Record<string, unknown> = {}
    const decoded = partial.object as unknown as Record<string, unknown>
    for (const field of memory.fields) {
      const value = given.get(field) ?? decoded[field]
      if (value !== undefined || field in decoded) whole[field] = value
    }
    return { object: whole as unknown as A, warnings: partial.warnings }
  })
}

/**
 * A field never remembered: every write gives an object new metadata (its resourceVersion at
 * least), so a client seldom sends one back (23 of some 1,300 writes in the quickstart scenario),
 * and remembering each in a WeakSet costs more than it saves.
 */
const unremembered = "metadata"

/**
 * Remembers the body's frozen fields a strict, warning-free decode left as they were (the fast
 * path's answer always equals the body: it only checks, and copies in schema order).
 */
const remember = <A>(
  memory: Memory,
  body: Record<string, unknown>,
  decoded: Decoded<A> & { readonly exact: boolean }
): void => {
  if (decoded.warnings.length > 0) return
  const object = decoded.object as unknown as Record<string, unknown>
  for (const field of memory.fields) {
    const value = body[field]
    if (field === unremembered || !isFrozenObject(value) || (!decoded.exact && !equals(value, object[field]))) continue
    let accepted = memory.accepted.get(field)
    if (accepted === undefined) memory.accepted.set(field, (accepted = new WeakSet()))
    accepted.add(value)
  }
}
