/**
 * Content negotiation on `Accept`: the object itself, a `meta.k8s.io` Table (`as=Table;v=v1;
 * g=meta.k8s.io`, what `kubectl get` asks for) or PartialObjectMetadata (what metadata-only
 * informers ask for). Alternatives are tried in order; none acceptable is 406.
 */
import * as Either from "effect/Either"
import { NotAcceptable } from "../api/errors.js"
import { remembered } from "./Recent.js"

export type Output =
  | { readonly _tag: "Object" }
  | { readonly _tag: "Table"; readonly version: "v1" | "v1beta1" }
  | { readonly _tag: "PartialObjectMetadata"; readonly version: "v1" | "v1beta1" }

const plainTypes = new Set(["application/json", "application/yaml", "application/*", "*/*"])

const objectOutput: Output = { _tag: "Object" }

const alternative = (clause: string): Output | undefined => {
  const [type, ...params] = clause.split(";").map((s) => s.trim())
  const mediaType = type.toLowerCase()
  if (!plainTypes.has(mediaType)) return undefined
  const p = new Map(
    params.map((param) => {
      const i = param.indexOf("=")
      return [
        param.slice(0, i).trim().toLowerCase(),
        param
          .slice(i + 1)
          .trim()
          .replace(/^"|"$/g, "")
      ] as const
    })
  )
  const as = p.get("as")
  if (as === undefined) return objectOutput
  const version = p.get("v")
  if (p.get("g") !== "meta.k8s.io" || (version !== "v1" && version !== "v1beta1")) return undefined
  if (as === "Table") return { _tag: "Table", version }
  if (as === "PartialObjectMetadata" || as === "PartialObjectMetadataList")
    return { _tag: "PartialObjectMetadata", version }
  return undefined
}

// Clients send the same few Accept headers on every request: recent answers are kept.
/** The first acceptable output of an Accept header (the object when the header is absent). */
export const negotiate = (accept: string | undefined): Either.Either<Output, NotAcceptable> =>
  accept === undefined ? Either.right(objectOutput) : negotiateRemembered(accept)

const negotiateNew = (accept: string): Either.Either<Output, NotAcceptable> => {
  if (accept.trim() === "") return Either.right(objectOutput)
  for (const clause of accept.split(",")) {
    const output = alternative(clause)
    if (output !== undefined) return Either.right(output)
  }
  return Either.left(
    new NotAcceptable({
      message:
        "only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io"
    })
  )
}

const negotiateRemembered = remembered(256, negotiateNew)

/** The Content-Type of an answer in `output`. */
export const contentTypeOf = (output: Output, list: boolean): string =>
  output._tag === "Object"
    ? "application/json"
    : `application/json;as=${output._tag === "Table" ? "Table" : list ? "PartialObjectMetadataList" : "PartialObjectMetadata"};v=${output.version};g=meta.k8s.io`
