/**
 * The API's integer scalars: `int32`/`int64` fields and `intstr.IntOrString` (a port number or
 * name, or a count or percentage such as a rolling update's `maxSurge: 25%`).
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"

const integer = (format: "int32" | "int64") =>
  Schema.Number.pipe(
    Schema.filter((n) => Number.isInteger(n), { title: format, jsonSchema: { type: "integer", format } })
  )

/** A JSON integer field (Go `int32`). */
export const Int32 = integer("int32")

/** A JSON integer field (Go `int64`). */
export const Int64 = integer("int64")

/** An integer or a string (`8080` or `"http"`, `1` or `"25%"`). */
export const IntOrString = Schema.Union(Int32, Schema.String).annotations({
  identifier: "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
  title: "int-or-string",
  description: "An integer or a string.",
  jsonSchema: { format: "int-or-string", oneOf: [{ type: "integer" }, { type: "string" }] }
})
export type IntOrString = typeof IntOrString.Type

/** The percentage of a "25%" string, if it is one. */
export const percent = (v: IntOrString): number | undefined => {
  if (typeof v !== "string") return undefined
  const m = /^([0-9]+)%$/.exec(v)
  return m === null ? undefined : Number(m[1])
}

/**
 * `intstr.GetScaledValueFromIntOrPercent`: an integer as is, or a percentage of `total`
 * rounded up or down.
 */
export const scaledValue = (v: IntOrString, total: number, roundUp: boolean): Either.Either<number, string> => {
  if (typeof v === "number") return Either.right(v)
  const p = percent(v)
  if (p === undefined) return Either.left(`invalid value for IntOrString: invalid type: string is not a percentage`)
  const exact = (p * total) / 100
  return Either.right(roundUp ? Math.ceil(exact) : Math.floor(exact))
}
