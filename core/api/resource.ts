/**
 * A resource type: everything the API server needs to serve one kind, in one record
 * (Kubernetes spreads this over the scheme, the REST storage strategy and the printers).
 */
import type * as Schema from "effect/Schema"
import { age } from "./duration.js"
import type { FieldError } from "./errors.js"
import type { KubeObject } from "./meta.js"

/** A kubectl `get` column (`metav1.TableColumnDefinition` plus how to compute the cell). */
export interface Column<A> {
  readonly name: string
  readonly type: "string" | "integer" | "number" | "boolean" | "date"
  readonly format?: string
  readonly description: string
  /** 0 = always shown, 1 = only with `-o wide`. */
  readonly priority: 0 | 1
  /** `now` is an RFC 3339 time: the API server's clock, so ages are computed server-side. */
  readonly cell: (obj: A, now: string) => string | number | boolean | null
}

/** The NAME column every kind prints; `what` names the kind in its description ("pod"). */
export const nameColumn = (what: string, priority: 0 | 1 = 0): Column<KubeObject> => ({
  name: "Name",
  type: "string",
  format: "name",
  priority,
  description: `Name of the ${what}.`,
  cell: (obj) => obj.metadata.name ?? ""
})

/** The AGE column: time since `metadata.creationTimestamp`, at the server's `now`. */
export const ageColumn = (what: string): Column<KubeObject> => ({
  name: "Age",
  type: "string",
  priority: 0,
  description: `Time since the ${what} was created.`,
  cell: (obj, now) => age(obj.metadata.creationTimestamp, now)
})

/** The `scale` subresource: where replicas live in the object and how its selector prints. */
export interface ScaleSubresource<A> {
  readonly specReplicas: (obj: A) => number
  readonly statusReplicas: (obj: A) => number
  readonly withSpecReplicas: (obj: A, replicas: number) => A
  /** The label selector in string form (`app=web`), for `status.selector`. */
  readonly selector: (obj: A) => string
}

export interface ResourceType<A extends KubeObject = KubeObject> {
  /** "" for the core group. */
  readonly group: string
  readonly version: string
  readonly kind: string
  readonly plural: string
  readonly singular: string
  readonly shortNames: ReadonlyArray<string>
  readonly namespaced: boolean
  /** Categories such as "all" (for `kubectl get all`). */
  readonly categories: ReadonlyArray<string>
  /** The whole object; its Type equals its JSON encoding. */
  readonly schema: Schema.Schema<A, A>
  /** Kubernetes' defaulting functions: returns a new object with defaults filled. */
  readonly defaults: (obj: A) => A
  /** Validation on create (`old` undefined) and on update (immutable fields, transitions). */
  readonly validate: (obj: A, old: A | undefined) => ReadonlyArray<FieldError>
  /** Field-selector paths this kind supports beyond metadata.name/namespace. */
  readonly fields: Readonly<Record<string, (obj: A) => string | undefined>>
  /** Columns for `kubectl get` (server-side printing). */
  readonly columns: ReadonlyArray<Column<A>>
  /** Whether `.status` is a subresource: then the main resource ignores status writes and `/status` ignores the rest. */
  readonly statusSubresource: boolean
  readonly scale?: ScaleSubresource<A>
  /** Whether a spec change bumps `metadata.generation` (every kind with a spec). */
  readonly hasGeneration: boolean
}

/** `apps/v1`, or `v1` for the core group. */
export const apiVersionOf = (r: { group: string; version: string }): string =>
  r.group === "" ? r.version : `${r.group}/${r.version}`
