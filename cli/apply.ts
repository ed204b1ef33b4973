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
import * as Apply from "../core/client/Apply.js"
import { CliError, errorLine } from "./errors.js"
import { ManifestError, parseManifests } from "./manifest.js"
import type { ManifestDocument } from "./manifest.js"
import { qualifiedName } from "./resolveKind.js"

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
  Apply.apply(doc.object, namespaceFlag).pipe(
    Effect.map((applied) => `${qualifiedName(applied.resource, applied.name)} ${applied.outcome}`),
    Effect.mapError((e) =>
      e._tag === "ManifestInvalid" ? new ManifestError(doc.file, doc.lineOf(e.field), e.message) : documentError(doc, e)
    )
  )

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
