/**
 * list (GET of a collection): selected by label and field selectors, paginated by `limit` and
 * `continue` (every page read at the first page's revision), read at the revision the
 * `resourceVersion`/`resourceVersionMatch` pair asks for, answered as a `{Kind}List`, a Table or
 * PartialObjectMetadataList carrying the revision it was read at.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { type ApiError, BadRequest, Expired } from "../api/errors.js"
import type { KubeObject, ListMeta } from "../api/meta.js"
import { apiVersionOf } from "../api/resource.js"
import type { Entry, FutureRevision, ListOptions, Revision, StoreUnavailable, TooOld } from "../store/Store.js"
import type { ApiResponse } from "./ApiRequest.js"
import * as ContinueToken from "./ContinueToken.js"
import { contentTypeOf } from "./Negotiation.js"
import { type RequestScope } from "./RequestScope.js"
import { json } from "./Responses.js"
import * as ResourceVersion from "./ResourceVersion.js"
import type { Resource } from "./Route.js"
import * as SelectionPredicate from "./SelectionPredicate.js"
import { collectionPrefix } from "./StorageKey.js"
import { tooLarge, tooOld, unavailable } from "./StoreErrors.js"
import { partialObjectMetadataList, table } from "./Table.js"
import { now } from "../api/time.js"

/** Where a list starts: at which revision (undefined: the current one), after which key, and the least revision acceptable. */
interface ReadPlan {
  readonly revision?: Revision
  readonly after?: string
  readonly atLeast?: Revision
  readonly fromContinue: boolean
}

const bad = (message: string) => Either.left(new BadRequest({ message }))

/** `limit`: a non-negative integer, 0 meaning no limit. */
const limitOf = (query: URLSearchParams): Either.Either<number | undefined, BadRequest> => {
  const value = query.get("limit")
  if (value === null || value === "") return Either.right(undefined)
  if (!/^-?[0-9]{1,15}$/.test(value)) return bad(`invalid limit: ${JSON.stringify(value)}`)
  const limit = Number(value)
  return Either.right(limit > 0 ? limit : undefined)
}

/** Kubernetes' rules for resourceVersion, resourceVersionMatch and continue on a list. */
const readPlanOf = (
  query: URLSearchParams,
  prefix: string,
  limit: number | undefined
): Either.Either<ReadPlan, BadRequest> => {
  const rv = query.get("resourceVersion") ?? ""
  const match = query.get("resourceVersionMatch") ?? ""
  const token = query.get("continue") ?? ""
  if (match !== "" && match !== "NotOlderThan" && match !== "Exact") {
    return bad(
      `resourceVersionMatch: Unsupported value: ${JSON.stringify(match)}: supported values: "Exact", "NotOlderThan"`
    )
  }
  if (token !== "") {
    if (rv !== "" && rv !== "0") return bad("specifying resource version is not allowed when using continue")
    if (match !== "")
      return bad("resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided")
    return Either.map(ContinueToken.decode(prefix, token), (c) => ({
      revision: c.revision,
      after: c.after,
      fromContinue: true
    }))
  }
  if (match !== "" && rv === "")
    return bad("resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided")
  if (rv === "" || rv === "0") {
    return match === "Exact"
      ? bad(`resourceVersionMatch: Forbidden: resourceVersionMatch "Exact" is forbidden for resourceVersion "0"`)
      : Either.right({ fromContinue: false })
  }
  return Either.map(ResourceVersion.parse(rv), (revision) =>
    // Without a match, a limited list reads exactly at the revision and an unlimited one at least at it.
    match === "Exact" || (match === "" && limit !== undefined)
      ? { revision, atLeast: revision, fromContinue: false }
      : { atLeast: revision, fromContinue: false }
  )
}

/** The objects of one list call and what the list metadata says of them. */
interface Page {
  readonly entries: ReadonlyArray<Entry>
  readonly revision: Revision
  readonly continueAfter?: string
  readonly remaining?: number
}

const continueExpired = () =>
  new Expired({
    message:
      "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter."
  })

/** Store pages grow from this size, doubling while a selective read finds too few (Kubernetes' etcd store). */
const minPageSize = 500
const maxPageSize = 10_000

/** Reads up to `limit` selected entries, page by page from the store, all at one revision. */
const readSelected = (
  scope: RequestScope,
  prefix: string,
  predicate: SelectionPredicate.SelectionPredicate,
  limit: number | undefined,
  plan: ReadPlan
): Effect.Effect<Page, ApiError> => {
  const rt = scope.resource
  const failed = (e: TooOld | FutureRevision | StoreUnavailable): ApiError => {
    switch (e._tag) {
      case "TooOld":
        return plan.fromContinue
          ? continueExpired()
          : plan.revision !== undefined
            ? new Expired({ message: "The resourceVersion for the provided list is too old." })
            : tooOld(e)
      // The revision was checked against the store's before, so only a continue token can be ahead of it.
      case "FutureRevision":
        return plan.fromContinue ? continueExpired() : tooLarge(e.requested, e.current)
      case "StoreUnavailable":
        return unavailable(e)
    }
  }
  const readPage = (
    revision: Revision | undefined,
    after: string | undefined,
    pageSize: number | undefined,
    before: ReadonlyArray<Entry>
  ): Effect.Effect<Page, ApiError> => {
    const options: ListOptions = {
      ...(revision === undefined ? {} : { revision }),
      ...(after === undefined ? {} : { after }),
      ...(pageSize === undefined ? {} : { limit: pageSize })
    }
    return Effect.matchEffect(scope.store.list(prefix, options), {
      onFailure: (e) => Effect.fail(failed(e)),
      onSuccess: (result) => {
        // A fresh array per run: the effect may be run again.
        const selected = [...before]
        const revision = result.revision
        for (let i = 0; i < result.entries.length; i++) {
          const entry = result.entries[i]
          if (!SelectionPredicate.matches(rt, predicate, entry.value as unknown as KubeObject)) continue
          selected.push(entry)
          if (limit !== undefined && selected.length === limit) {
            const more = i < result.entries.length - 1 || result.continueAfter !== undefined
            if (!more) return Effect.succeed({ entries: selected, revision })
            const remaining = SelectionPredicate.isEverything(predicate)
              ? result.entries.length - 1 - i + (result.remaining ?? 0)
              : undefined
            return Effect.succeed({
              entries: selected,
              revision,
              continueAfter: entry.key,
              ...(remaining === undefined ? {} : { remaining })
            })
          }
        }
        if (result.continueAfter === undefined) return Effect.succeed({ entries: selected, revision })
        const next = pageSize === undefined ? undefined : Math.max(pageSize, Math.min(pageSize * 2, maxPageSize))
        return readPage(revision, result.continueAfter, next, selected)
      }
    })
  }
  return readPage(plan.revision, plan.after, limit === undefined ? undefined : Math.max(limit, minPageSize), [])
}

/** Lists the objects the scope's collection and query select, with the revision they were read at. */
export const readList = (
  scope: RequestScope
): Effect.Effect<{ readonly items: ReadonlyArray<KubeObject>; readonly metadata: ListMeta }, ApiError> => {
  const query = scope.request.query
  const prefix = collectionPrefix(scope.resource, scope.namespace)
  const selection = SelectionPredicate.fromQuery(scope.resource, query)
  if (Either.isLeft(selection)) return Effect.fail(selection.left)
  const limited = limitOf(query)
  if (Either.isLeft(limited)) return Effect.fail(limited.left)
  const planned = readPlanOf(query, prefix, limited.right)
  if (Either.isLeft(planned)) return Effect.fail(planned.left)
  const [predicate, limit, plan] = [selection.right, limited.right, planned.right]
  const read = readSelected(scope, prefix, predicate, limit, plan)
  const atLeast = plan.atLeast
  const checked =
    atLeast === undefined
      ? read
      : Effect.flatMap(Effect.mapError(scope.store.revision, unavailable), (current) =>
          atLeast > current ? Effect.fail(tooLarge(atLeast, current)) : read
        )
  return Effect.map(checked, (page) => {
    const metadata: ListMeta = {
      resourceVersion: String(page.revision),
      ...(page.continueAfter === undefined
        ? {}
        : { continue: ContinueToken.encode(prefix, page.revision, page.continueAfter) }),
      ...(page.remaining === undefined ? {} : { remainingItemCount: page.remaining })
    }
    return { items: page.entries.map((entry) => ResourceVersion.stamp(entry)), metadata }
  })
}

/** The `{Kind}List` of a resource. */
export const kindList = (rt: Resource, items: ReadonlyArray<KubeObject>, metadata: ListMeta) => ({
  kind: `${rt.kind}List`,
  apiVersion: apiVersionOf(rt),
  metadata,
  items
})

/** Handles GET of a collection without `watch`. */
export const list = (scope: RequestScope): Effect.Effect<ApiResponse, ApiError> =>
  Effect.flatMap(readList(scope), ({ items, metadata }) => {
    const output = scope.output
    switch (output._tag) {
      case "Object":
        return Effect.succeed(json(200, kindList(scope.resource, items, metadata)))
      case "PartialObjectMetadata":
        return Effect.succeed(
          json(200, partialObjectMetadataList(items, metadata, output.version), {}, contentTypeOf(output, true))
        )
      case "Table":
        return Effect.map(now, (time) => {
          const options = { version: output.version, includeObject: scope.includeObject, now: time, headers: true }
          return json(200, table(scope.resource, items, metadata, options), {}, contentTypeOf(output, true))
        })
    }
  })
