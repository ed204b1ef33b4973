/**
 * Manifest files as the CLI reads them: one or more YAML (or JSON) documents, each kept with its
 * source positions so an error can name the file, the line and the field.
 */
import * as Either from "effect/Either"
import * as YAML from "yaml"

export interface ManifestDocument {
  readonly file: string
  /** 0-based index of the document in the file. */
  readonly index: number
  readonly object: Record<string, unknown>
  /** The 1-based line of a Kubernetes field path (`spec.template.spec.containers[0].image`), or of its nearest parent present. */
  readonly lineOf: (fieldPath: string) => number
}

/** A problem in a manifest file, already worded as the one line the CLI prints. */
export class ManifestError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly detail: string
  ) {
    super(`${file}:${line}: ${detail}`)
  }
}

/** Splits `spec.containers[0].image` into `["spec", "containers", 0, "image"]`. */
export const fieldPathSegments = (fieldPath: string): Array<string | number> =>
  fieldPath
    .replace(/\[(\d+)\]/g, ".$1")
    .split(".")
    .filter((s) => s !== "")
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s))

export const parseManifests = (file: string, text: string): Either.Either<Array<ManifestDocument>, ManifestError> => {
  const lineCounter = new YAML.LineCounter()
  const documents = YAML.parseAllDocuments(text, { lineCounter, uniqueKeys: true })
  const list = Array.isArray(documents) ? documents : [documents]
  const result: Array<ManifestDocument> = []
  for (const [index, doc] of list.entries()) {
    const error = doc.errors[0]
    if (error !== undefined) {
      const line = error.linePos?.[0].line ?? 1
      return Either.left(new ManifestError(file, line, `invalid YAML: ${firstLine(error.message)}`))
    }
    if (doc.contents === null) continue // an empty document between `---` separators
    const object: unknown = doc.toJS({ maxAliasCount: 100 })
    const line = (node: { range?: [number, number, number] | null | undefined } | null | undefined) =>
      node?.range ? lineCounter.linePos(node.range[0]).line : 1
    if (typeof object !== "object" || object === null || Array.isArray(object)) {
      return Either.left(
        new ManifestError(file, line(doc.contents), "a manifest must be a mapping (apiVersion, kind, metadata …)")
      )
    }
    result.push({
      file,
      index,
      object: object as Record<string, unknown>,
      lineOf: (fieldPath) => {
        const path = fieldPathSegments(fieldPath)
        let node: unknown = doc.contents
        let at = line(doc.contents)
        for (const segment of path) {
          if (YAML.isMap(node)) {
            const pair = node.items.find((p) => YAML.isScalar(p.key) && String(p.key.value) === String(segment))
            if (pair === undefined) break
            at = line(pair.key as YAML.Scalar)
            node = pair.value
          } else if (YAML.isSeq(node) && typeof segment === "number" && node.items[segment] !== undefined) {
            node = node.items[segment]
            at = line(node as YAML.Node)
          } else break
        }
        return at
      }
    })
  }
  return Either.right(result)
}

// The yaml package appends " at line L, column C:" and a code excerpt; the line is already named in front.
const firstLine = (message: string) => message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")
