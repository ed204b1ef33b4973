/**
 * Which objects a list or watch selects (Kubernetes' `storage.SelectionPredicate`): a label
 * selector and a field selector from the query, the fields limited to metadata.name,
 * metadata.namespace and the kind's own selectable fields.
 */
import * as Either from "effect/Either"
import { BadRequest } from "../api/errors.js"
import * as FieldSelector from "../api/FieldSelector.js"
import * as LabelSelector from "../api/LabelSelector.js"
import type { KubeObject } from "../api/meta.js"
import type { Trigger } from "./Cacher.js"
import type { Resource } from "./Route.js"

export interface SelectionPredicate {
  readonly label: LabelSelector.Selector
  readonly field: FieldSelector.FieldSelector
}

/** Selects everything. */
export const everything: SelectionPredicate = { label: LabelSelector.everything, field: { requirements: [] } }

/** Whether the predicate selects every object. */
export const isEverything = (p: SelectionPredicate): boolean =>
  p.label.requirements.length === 0 && p.field.requirements.length === 0

const metadataFields: ReadonlyMap<string, (obj: KubeObject) => string | undefined> = new Map([
  ["metadata.name", (obj: KubeObject) => obj.metadata.name],
  ["metadata.namespace", (obj: KubeObject) => obj.metadata.namespace]
])

const fieldOf = (rt: Resource, path: string): ((obj: KubeObject) => string | undefined) | undefined =>
  metadataFields.get(path) ?? (Object.prototype.hasOwnProperty.call(rt.fields, path) ? rt.fields[path] : undefined)

/** The predicate of `labelSelector` and `fieldSelector`; 400 for a malformed selector or an unsupported field. */
export const fromQuery = (rt: Resource, query: URLSearchParams): Either.Either<SelectionPredicate, BadRequest> => {
  const label = LabelSelector.parse(query.get("labelSelector") ?? "")
  if (Either.isLeft(label)) return Either.left(new BadRequest({ message: label.left }))
  const field = FieldSelector.parse(query.get("fieldSelector") ?? "")
  if (Either.isLeft(field)) return Either.left(new BadRequest({ message: field.left }))
  for (const path of FieldSelector.fieldsOf(field.right)) {
    if (fieldOf(rt, path) === undefined) {
      return Either.left(new BadRequest({ message: `field label not supported: ${path}` }))
    }
  }
  return Either.right({ label: label.right, field: field.right })
}

/** Narrows a predicate to one object name (a watch of a single object). */
export const withName = (p: SelectionPredicate, name: string): SelectionPredicate => ({
  ...p,
  field: { requirements: [...p.field.requirements, { field: "metadata.name", operator: "=", value: name }] }
})

/** Whether the predicate selects `obj`. */
export const matches = (rt: Resource, p: SelectionPredicate, obj: KubeObject): boolean =>
  LabelSelector.matches(p.label, obj.metadata.labels) &&
  // Most watchers select by no field (those that do are mostly pinned to their own objects): no reader made for them.
  (p.field.requirements.length === 0 ||
    FieldSelector.matches(p.field, (path) => {
      const get = fieldOf(rt, path)
      return get === undefined ? undefined : get(obj)
    }))

/** The predicate's first equality on a field, if any: the watch cache hands such a watcher only the objects that have, or had, that value. */
export const triggerOf = (rt: Resource, p: SelectionPredicate): Trigger | undefined => {
  const pinned = p.field.requirements.find((r) => r.operator === "=")
  if (pinned === undefined) return undefined
  const of = fieldOf(rt, pinned.field)
  return of === undefined ? undefined : { field: pinned.field, of, value: pinned.value }
}
