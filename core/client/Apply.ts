/**
 * `kubectl apply` of one manifest over a Client: create the object, or bring the live one to the
 * manifest with kubectl's three-way merge (last-applied annotation, manifest, live object).
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type { ApiError } from "../api/errors.js"
import type { KubeObject } from "../api/meta.js"
import { byKind } from "../api/registry.js"
import type { ResourceType } from "../api/resource.js"
import type { Unreachable } from "./Transport.js"
import { Client } from "./Client.js"
import { threeWayMergePatch } from "./threeWayMergePatch.js"

export const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

/** The manifest cannot be applied as written; `field` is the path of the offending field. */
export class ManifestInvalid extends Data.TaggedError("ManifestInvalid")<{
  readonly field: string
  readonly message: string
}> {}

export interface Applied {
  readonly resource: ResourceType<any>
  readonly name: string
  readonly outcome: "created" | "configured" | "unchanged"
}

/** Applies one manifest; a namespaced object without a namespace goes to `namespace` (default `default`). */
export const apply = (
  manifest: Record<string, unknown>,
  namespace?: string
): Effect.Effect<Applied, ManifestInvalid | ApiError | Unreachable, Client> =>
  Effect.gen(function* () {
    const client = yield* Client
    const apiVersion = manifest["apiVersion"]
    const kind = manifest["kind"]
    if (typeof apiVersion !== "string" || typeof kind !== "string") {
      return yield* new ManifestInvalid({
        field: typeof apiVersion !== "string" ? "apiVersion" : "kind",
        message: "apiVersion and kind are required"
      })
    }
    const rt = byKind(apiVersion, kind)
    if (rt === undefined) {
      return yield* new ManifestInvalid({
        field: "kind",
        message: `kind: no resource type ${kind} in version "${apiVersion}"`
      })
    }
    const metadata = (manifest["metadata"] ?? {}) as Record<string, unknown>
    const name = metadata["name"]
    if (typeof name !== "string" || name === "") {
      return yield* new ManifestInvalid({
        field: "metadata",
        message: "metadata.name: Required value (apply needs a name)"
      })
    }
    const ns = rt.namespaced ? ((metadata["namespace"] as string | undefined) ?? namespace ?? "default") : undefined
    const { [lastAppliedAnnotation]: _previous, ...annotations } = (metadata["annotations"] ?? {}) as Record<
      string,
      string
    >
    const applied = {
      ...manifest,
      metadata: { ...metadata, ...(ns === undefined ? {} : { namespace: ns }), annotations }
    }
    const modified = {
      ...applied,
      metadata: {
        ...applied.metadata,
        annotations: { ...annotations, [lastAppliedAnnotation]: JSON.stringify(applied) }
      }
    } as unknown as KubeObject
    const where = ns === undefined ? {} : { namespace: ns }
    const current = yield* client
      .get(rt, name, where)
      .pipe(Effect.catchTag("NotFound", () => Effect.succeed(undefined)))
    if (current === undefined) {
      yield* client.create(rt, modified, { fieldValidation: "Strict", ...where })
      return { resource: rt, name, outcome: "created" as const }
    }
    const lastText = current.metadata.annotations?.[lastAppliedAnnotation]
    const last: unknown =
      lastText === undefined
        ? {}
        : yield* Effect.try({
            try: () => JSON.parse(lastText) as unknown,
            catch: () =>
              new ManifestInvalid({
                field: "metadata.name",
                message: `${rt.singular}${rt.group === "" ? "" : "." + rt.group}/${name}: the live object's ${lastAppliedAnnotation} annotation is not JSON; fix or remove it`
              })
          })
    const patch = threeWayMergePatch(last, modified, current) as Record<string, unknown>
    if (Object.keys(patch).length === 0) return { resource: rt, name, outcome: "unchanged" as const }
    const patched = yield* client.patch(rt, name, patch, { type: "merge", fieldValidation: "Strict", ...where })
    // A merge patch replaces whole lists (containers, ports) with the file's, which the server defaults again:
    // when that changes nothing, the server writes nothing and the resourceVersion stays.
    const outcome = patched.metadata.resourceVersion === current.metadata.resourceVersion ? "unchanged" : "configured"
    return { resource: rt, name, outcome }
  })
