/**
 * Field selectors (`?fieldSelector=spec.nodeName=node-1,status.phase!=Failed`), as
 * apimachinery's `fields.ParseSelector` reads them: terms `a=b`, `a==b`, `a!=b` joined by commas,
 * with `\,`, `\=` and `\\` escaping those characters in values.
 */
import * as Either from "effect/Either"

export interface FieldRequirement {
  readonly field: string
  readonly operator: "=" | "!="
  readonly value: string
}

/** All requirements must hold; none means everything. */
export interface FieldSelector {
  readonly requirements: ReadonlyArray<FieldRequirement>
}

/** Splits on commas that are not escaped. */
const splitTerms = (s: string): ReadonlyArray<string> => {
  const terms: Array<string> = []
  let start = 0
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "\\") i++
    else if (s[i] === ",") {
      terms.push(s.slice(start, i))
      start = i + 1
    }
  }
  terms.push(s.slice(start))
  return terms
}

const unescape = (s: string): Either.Either<string, string> => {
  let out = ""
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "\\") {
      const c = s[i + 1]
      if (c !== "\\" && c !== "," && c !== "=")
        return Either.left(`invalid field selector value: "${s}": invalid escape sequence`)
      out += c
      i++
    } else if (s[i] === "," || s[i] === "=") {
      return Either.left(`invalid field selector value: "${s}": unescaped ${s[i]} in value`)
    } else {
      out += s[i]
    }
  }
  return Either.right(out)
}

/** Parses the string form; the empty string selects everything. */
export const parse = (s: string): Either.Either<FieldSelector, string> => {
  const requirements: Array<FieldRequirement> = []
  for (const term of splitTerms(s)) {
    if (term === "") continue
    const m = /^([^=!]*)(!=|==|=)(.*)$/.exec(term)
    if (m === null || m[1] === "") return Either.left(`invalid selector: '${s}'; can't understand '${term}'`)
    const value = unescape(m[3])
    if (Either.isLeft(value)) return Either.left(value.left)
    requirements.push({ field: m[1], operator: m[2] === "!=" ? "!=" : "=", value: value.right })
  }
  return Either.right({ requirements })
}

/** The field paths the selector reads, so the API server can refuse unsupported ones. */
export const fieldsOf = (sel: FieldSelector): Array<string> => sel.requirements.map((r) => r.field)

/** Whether the object, read through `get`, satisfies every requirement; a missing field reads as "". */
export const matches = (sel: FieldSelector, get: (path: string) => string | undefined): boolean =>
  sel.requirements.every((r) => ((get(r.field) ?? "") === r.value) === (r.operator === "="))
