/**
 * Fields Kubernetes documents as required (`+required`, listed under `required` in its OpenAPI)
 * but decodes like any other: Go's JSON decoder leaves a missing field at its zero value and
 * validation reports it (422 `Required value`), never the decoder (400). So the Schema field is
 * optional and carries a mark that only the OpenAPI documents read.
 */
import * as Schema from "effect/Schema"
import type * as AST from "effect/SchemaAST"

const RequiredFieldId: unique symbol = Symbol.for("minik8s/api/RequiredField")

/** An optional property that the OpenAPI documents list as required, as Kubernetes' do. */
export const requiredField = <S extends Schema.Schema.All>(schema: S) =>
  Schema.optional(schema).annotations({ [RequiredFieldId]: true })

/** Whether a struct's property was declared with `requiredField`. */
export const isRequiredField = (property: AST.PropertySignature): boolean =>
  property.annotations[RequiredFieldId] === true
