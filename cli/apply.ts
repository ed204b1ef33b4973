/**
 * `minik8s apply -f FILE`: create each object of the file, or bring an existing one to the file's
 * content with kubectl's three-way merge (last-applied annotation, file, live object).
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fs from "node:fs"
import { isApiError } from "../core/api/errors.js"
import type { ApiError } from "../core/api/errors.js"
import type { KubeObject } from "../core/api/meta.js"
import { byKind } from "../core/api/registry.js"
import { Client } from "../core/client/Client.js"
import { CliError, errorLine } from "./errors.js"
import { ManifestError, parseManifests } from "./manifest.js"
import type { ManifestDocument } from "./manifest.js"
import { qualifiedName } from "./resolveKind.js"
import { threeWayMergePatch } from "./threeWayMergePatch.js"

export const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

/** Reads a manifest file (`-` for standard input) into documents, or fails naming the file and line. */
export const readManifests = (file: string): Effect.Effect<Array<ManifestDocument>, CliError | ManifestError> =>
  Effect.flatMap(
    Effect.try({
      try: () => Fs.readFileSync(file === "-" ? 0 : file, "utf8"),
      catch: (e) => new CliError({ message: `cannot read ${file}: ${e instanceof Error ? e.message : String(e)}` })
    }),
    (text) =>
      Either.match(parseManifests(file === "-" ? "<stdin>" : file, text), {
        onLeft: Effect.fail,
        onRight: Effect.succeed
      })
  )

/** The first field an API error names (a 422's causes, or a strict-decoding "unknown field"). */
export const fieldOf = (error: ApiError): string | undefined =>
  error.details?.causes?.find((c) => c.field !== undefined)?.field ??
  /unknown field "([^"]+)"/.exec(error.message)?.[1] ??
  /field (?:DeploymentSpec|[A-Za-z]+)?\.?([a-zA-Z0-9.[\]]+) of type/.exec(error.message)?.[1]

/** An API error about a document, as one line naming the file, the line and the field. */
export const documentError = (doc: ManifestDocument, error: unknown): ManifestError | unknown => {
  if (!isApiError(error)) return error
  const field = fieldOf(error)
  const line = field === undefined ? doc.lineOf("metadata.name") : doc.lineOf(field)
  return new ManifestError(doc.file, line, errorLine(error).replace(/^Error from server /, "error from server "))
}

const applyOne = (doc: ManifestDocument, namespaceFlag: string | undefined) =>
  Effect.gen(function* () {
    const client = yield* Client
    const manifest = doc.object
    const apiVersion = manifest["apiVersion"]
    const kind = manifest["kind"]
    if (typeof apiVersion !== "string" || typeof kind !== "string") {
      return yield* Effect.fail(
        new ManifestError(
          doc.file,
          doc.lineOf(typeof apiVersion !== "string" ? "apiVersion" : "kind"),
          "apiVersion and kind are required"
        )
      )
    }
    const rt = byKind(apiVersion, kind)
    if (rt === undefined) {
      return yield* Effect.fail(
        new ManifestError(doc.file, doc.lineOf("kind"), `kind: no resource type ${kind} in version "${apiVersion}"`)
      )
    }
    const metadata = (manifest["metadata"] ?? {}) as Record<string, unknown>
    const name = metadata["name"]
    if (typeof name !== "string" || name === "") {
      return yield* Effect.fail(
        new ManifestError(doc.file, doc.lineOf("metadata"), "metadata.name: Required value (apply needs a name)")
      )
    }
    const namespace = rt.namespaced
      ? ((metadata["namespace"] as string | undefined) ?? namespaceFlag ?? "default")
      : undefined
    const { [lastAppliedAnnotation]: _previous, ...annotations } = (metadata["annotations"] ?? {}) as Record<
      string,
      string
    >
    const applied = {
      ...manifest,
      metadata: { ...metadata, ...(namespace === undefined ? {} : { namespace }), annotations }
    }
    const modified = {
      ...applied,
      metadata: {
        ...applied.metadata,
        annotations: { ...annotations, [lastAppliedAnnotation]: JSON.stringify(applied) }
      }
    } as unknown as KubeObject
    const current = yield* client
      .get(rt, name, namespace === undefined ? {} : { namespace })
      .pipe(Effect.catchTag("NotFound", () => Effect.succeed(undefined)))
    const label = qualifiedName(rt, name)
    if (current === undefined) {
      yield* client.create(rt, modified, {
        fieldValidation: "Strict",
        ...(namespace === undefined ? {} : { namespace })
      })
      return `${label} created`
    }
    const lastText = current.metadata.annotations?.[lastAppliedAnnotation]
    const last: unknown =
      lastText === undefined
        ? {}
        : yield* Effect.try({
            try: () => JSON.parse(lastText) as unknown,
            catch: () =>
              new ManifestError(
                doc.file,
                doc.lineOf("metadata.name"),
                `${label}: the live object's ${lastAppliedAnnotation} annotation is not JSON; fix or remove it`
              )
          })
    const patch = threeWayMergePatch(last, modified, current) as Record<string, unknown>
    if (Object.keys(patch).length === 0) return `${label} unchanged`
    const patched = yield* client.patch(rt, name, patch, {
      type: "merge",
      fieldValidation: "Strict",
      ...(namespace === undefined ? {} : { namespace })
    })
    // A merge patch replaces whole lists (containers, ports) with the file's, which the server defaults again:
    // when that changes nothing, the server writes nothing and the resourceVersion stays.
    return patched.metadata.resourceVersion === current.metadata.resourceVersion
      ? `${label} unchanged`
      : `${label} configured`
  }).pipe(Effect.mapError((e) => documentError(doc, e)))

/** Applies every document; prints one line per object; fails (after trying them all) if any failed. */
export const apply = (file: string, namespace: string | undefined) =>
  Effect.gen(function* () {
    const docs = yield* readManifests(file)
    if (docs.length === 0)
      return yield* Effect.fail(new CliError({ message: `no objects passed to apply (${file} is empty)` }))
    let failed: unknown = undefined
    for (const doc of docs) {
      const result = yield* Effect.either(applyOne(doc, namespace))
      if (Either.isRight(result)) yield* Console.log(result.right)
      else {
        if (failed !== undefined) yield* Console.error(errorLine(failed))
        failed = result.left
      }
    }
    if (failed !== undefined) return yield* Effect.fail(failed)
  })
