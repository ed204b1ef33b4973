/**
 * Server-side printing: objects as a `meta.k8s.io` Table (column definitions from the kind's
 * `columns`, one row of cells per object) and as PartialObjectMetadata, the shapes `kubectl get`
 * and metadata informers read.
 */
import * as Either from "effect/Either"
import { BadRequest } from "../api/errors.js"
import type { KubeObject, ListMeta } from "../api/meta.js"
import type { Column } from "../api/resource.js"
import type { Resource } from "./Route.js"

/** What each row carries besides its cells (`includeObject`). */
export type IncludeObject = "None" | "Metadata" | "Object"

/** Reads `includeObject` (default Metadata). */
export const includeObjectOf = (query: URLSearchParams): Either.Either<IncludeObject, BadRequest> => {
  const value = query.get("includeObject") ?? "Metadata"
  return value === "None" || value === "Metadata" || value === "Object"
    ? Either.right(value)
    : Either.left(
        new BadRequest({
          message: `includeObject: Unsupported value: "${value}": supported values: "None", "Metadata", "Object"`
        })
      )
}

/** `meta.k8s.io` PartialObjectMetadata of an object. */
export const partialObjectMetadata = (obj: KubeObject, version: string = "v1") => ({
  kind: "PartialObjectMetadata",
  apiVersion: `meta.k8s.io/${version}`,
  metadata: obj.metadata
})

/** `meta.k8s.io` PartialObjectMetadataList of a list. */
export const partialObjectMetadataList = (
  objs: ReadonlyArray<KubeObject>,
  metadata: ListMeta,
  version: string = "v1"
) => ({
  kind: "PartialObjectMetadataList",
  apiVersion: `meta.k8s.io/${version}`,
  metadata,
  items: objs.map((obj) => partialObjectMetadata(obj, version))
})

export interface TableOptions {
  readonly version: string
  readonly includeObject: IncludeObject
  /** RFC 3339 time the ages are computed at. */
  readonly now: string
  /** Whether to send column definitions (a watch sends them with its first event only). */
  readonly headers: boolean
}

/** A Table of `objs` with the list (or object) metadata `metadata`. */
export const table = (rt: Resource, objs: ReadonlyArray<KubeObject>, metadata: ListMeta, options: TableOptions) => {
  const columns = rt.columns as ReadonlyArray<Column<KubeObject>>
  return {
    kind: "Table",
    apiVersion: `meta.k8s.io/${options.version}`,
    metadata,
    columnDefinitions: options.headers
      ? columns.map((c) => ({
          name: c.name,
          type: c.type,
          format: c.format ?? "",
          description: c.description,
          priority: c.priority
        }))
      : [],
    rows: objs.map((obj) => ({
      cells: columns.map((c) => c.cell(obj, options.now)),
      object:
        options.includeObject === "None"
          ? null
          : options.includeObject === "Metadata"
            ? partialObjectMetadata(obj, options.version)
            : obj
    }))
  }
}
