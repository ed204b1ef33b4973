/**
 * Label selectors: the `metav1.LabelSelector` object (matchLabels, matchExpressions), the string
 * form used in `?labelSelector=` and `kubectl -l` (`app=web,tier in (fe,be),!canary`), and the
 * internal `Selector` both turn into (apimachinery's `labels.Selector`).
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type { FieldError } from "./errors.js"
import { StringMap } from "./meta.js"
import { requiredField } from "./requiredField.js"
import * as Validation from "./validation.js"

export const LabelSelectorRequirement = Schema.Struct({
  key: requiredField(Schema.String),
  operator: requiredField(Schema.String),
  values: Schema.optional(Schema.Array(Schema.String))
}).annotations({ identifier: "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement" })
export type LabelSelectorRequirement = typeof LabelSelectorRequirement.Type

/** `metav1.LabelSelector`: requirements are ANDed; an empty selector matches everything. */
export const LabelSelector = Schema.Struct({
  matchLabels: Schema.optional(StringMap),
  matchExpressions: Schema.optional(Schema.Array(LabelSelectorRequirement))
}).annotations({ identifier: "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector" })
export type LabelSelector = typeof LabelSelector.Type

export type Operator = "=" | "==" | "!=" | "in" | "notin" | "exists" | "!"

/** One requirement; `values` are sorted and distinct. */
export interface Requirement {
  readonly key: string
  readonly operator: Operator
  readonly values: ReadonlyArray<string>
}

/** A parsed selector: requirements sorted by key, all of which must hold. */
export interface Selector {
  readonly requirements: ReadonlyArray<Requirement>
}

/** The selector that matches every object. */
export const everything: Selector = { requirements: [] }

/** Whether the selector has no requirements (matches everything). */
export const isEmpty = (sel: Selector): boolean => sel.requirements.length === 0

const requirement = (
  key: string,
  operator: Operator,
  values: ReadonlyArray<string>
): Either.Either<Requirement, string> => {
  const keyProblems = Validation.qualifiedName(key)
  if (keyProblems.length > 0) return Either.left(`invalid label key "${key}": ${keyProblems.join("; ")}`)
  if ((operator === "in" || operator === "notin") && values.length === 0) {
    return Either.left("for 'in', 'notin' operators, values set can't be empty")
  }
  if ((operator === "exists" || operator === "!") && values.length > 0) {
    return Either.left("values set must be empty for exists and does not exist")
  }
  if ((operator === "=" || operator === "==" || operator === "!=") && values.length !== 1) {
    return Either.left("exact-match compatibility requires one single value")
  }
  for (const value of values) {
    const problems = Validation.labelValue(value)
    if (problems.length > 0) return Either.left(`invalid label value: "${value}": ${problems.join("; ")}`)
  }
  return Either.right({ key, operator, values: [...new Set(values)].sort() })
}

const select = (requirements: ReadonlyArray<Requirement>): Selector => ({
  requirements: [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
})

type Token =
  | { readonly kind: "id"; readonly text: string }
  | { readonly kind: "op"; readonly text: "=" | "==" | "!=" | "!" | "in" | "notin" | "(" | ")" | "," | "<" | ">" }
  | { readonly kind: "end"; readonly text: "" }

const special = "!=(),<>"

const tokenize = (s: string): ReadonlyArray<Token> => {
  const tokens: Array<Token> = []
  let i = 0
  while (i < s.length) {
    const c = s[i]
    if (/\s/.test(c)) {
      i++
    } else if ((c === "!" || c === "=") && s[i + 1] === "=") {
      tokens.push({ kind: "op", text: c === "!" ? "!=" : "==" })
      i += 2
    } else if (special.includes(c)) {
      tokens.push({ kind: "op", text: c as "=" | "!" | "(" | ")" | "," | "<" | ">" })
      i++
    } else {
      let j = i
      while (j < s.length && !/\s/.test(s[j]) && !special.includes(s[j])) j++
      const text = s.slice(i, j)
      tokens.push(text === "in" || text === "notin" ? { kind: "op", text } : { kind: "id", text })
      i = j
    }
  }
  tokens.push({ kind: "end", text: "" })
  return tokens
}

const describe = (t: Token) => (t.kind === "end" ? "end of string" : t.text)

/** Parses the string form: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, comma-separated. */
export const parse = (s: string): Either.Either<Selector, string> => {
  const tokens = tokenize(s)
  let pos = 0
  const next = () => tokens[pos++]
  const peek = () => tokens[pos]
  const fail = (t: Token, expected: string) =>
    Either.left(`unable to parse requirement: found '${describe(t)}', expected: ${expected}`)
  const requirements: Array<Requirement> = []
  if (peek().kind === "end") return Either.right(everything)
  for (;;) {
    let negated = false
    let t = next()
    if (t.kind === "op" && t.text === "!") {
      negated = true
      t = next()
    }
    if (t.kind !== "id") return fail(t, negated ? "identifier after '!'" : "!, identifier")
    const key = t.text
    let result: Either.Either<Requirement, string>
    const after = peek()
    if (negated || after.kind === "end" || (after.kind === "op" && after.text === ",")) {
      if (negated && !(after.kind === "end" || (after.kind === "op" && after.text === ","))) {
        return fail(after, "',' or 'end of string'")
      }
      result = requirement(key, negated ? "!" : "exists", [])
    } else {
      const op = next()
      if (op.kind !== "op" || !["=", "==", "!=", "in", "notin"].includes(op.text)) {
        return fail(op, "=, !=, ==, in, notin")
      }
      const operator = op.text as Operator
      if (operator === "in" || operator === "notin") {
        const open = next()
        if (!(open.kind === "op" && open.text === "(")) return fail(open, "'('")
        const values: Array<string> = []
        let expectValue = true
        for (;;) {
          const v = next()
          if (v.kind === "id" && expectValue) {
            values.push(v.text)
            expectValue = false
          } else if (v.kind === "op" && v.text === ",") {
            if (expectValue) values.push("")
            expectValue = true
          } else if (v.kind === "op" && v.text === ")") {
            if (expectValue && values.length > 0) values.push("")
            break
          } else {
            return fail(v, expectValue ? "',', ')' or identifier" : "',' or ')'")
          }
        }
        result = requirement(key, operator, values)
      } else {
        const v = peek()
        if (v.kind === "id") {
          pos++
          result = requirement(key, operator, [v.text])
        } else if (v.kind === "end" || (v.kind === "op" && v.text === ",")) {
          result = requirement(key, operator, [""])
        } else {
          return fail(v, "identifier")
        }
      }
    }
    if (Either.isLeft(result)) return Either.left(result.left)
    requirements.push(result.right)
    const sep = next()
    if (sep.kind === "end") break
    if (!(sep.kind === "op" && sep.text === ",")) return fail(sep, "',' or 'end of string'")
  }
  return Either.right(select(requirements))
}

/** The selector of a `metav1.LabelSelector` (`LabelSelectorAsSelector`); empty matches everything. */
export const fromLabelSelector = (ls: LabelSelector): Either.Either<Selector, string> => {
  const requirements: Array<Requirement> = []
  for (const [key, value] of Object.entries(ls.matchLabels ?? {})) {
    const r = requirement(key, "=", [value])
    if (Either.isLeft(r)) return Either.left(r.left)
    requirements.push(r.right)
  }
  for (const expr of ls.matchExpressions ?? []) {
    const name = expr.operator ?? ""
    const operator = Object.hasOwn(operators, name) ? operators[name] : undefined
    if (operator === undefined) return Either.left(`"${name}" is not a valid label selector operator`)
    const r = requirement(expr.key ?? "", operator, expr.values ?? [])
    if (Either.isLeft(r)) return Either.left(r.left)
    requirements.push(r.right)
  }
  return Either.right(select(requirements))
}

const operators: Record<string, Operator> = { In: "in", NotIn: "notin", Exists: "exists", DoesNotExist: "!" }

/** The selector requiring every label of `map` (`labels.SelectorFromSet`), e.g. a Service's selector. */
export const fromMap = (map: Readonly<Record<string, string>>): Selector =>
  select(Object.entries(map).map(([key, value]) => ({ key, operator: "=", values: [value] })))

const holds = (r: Requirement, labels: Readonly<Record<string, string>>): boolean => {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key)
  switch (r.operator) {
    case "=":
    case "==":
    case "in":
      return has && r.values.includes(labels[r.key])
    case "!=":
    case "notin":
      return !has || !r.values.includes(labels[r.key])
    case "exists":
      return has
    case "!":
      return !has
  }
}

const noLabels: Readonly<Record<string, string>> = Object.freeze({})

/** Whether the labels satisfy every requirement; absent labels are an empty set. */
export const matches = (sel: Selector, labels: Readonly<Record<string, string>> | undefined): boolean => {
  // A loop, no closure: every watcher's selection and every controller's claim asks this of every object.
  for (const r of sel.requirements) if (!holds(r, labels ?? noLabels)) return false
  return true
}

/** The string form, as Kubernetes prints it (e.g. for `Scale.status.selector`): `app=web,tier in (be,fe)`. */
export const format = (sel: Selector): string =>
  sel.requirements
    .map((r) => {
      switch (r.operator) {
        case "exists":
          return r.key
        case "!":
          return `!${r.key}`
        case "in":
        case "notin":
          return `${r.key} ${r.operator} (${r.values.join(",")})`
        default:
          return `${r.key}${r.operator}${r.values[0]}`
      }
    })
    .join(",")

/** `ValidateLabelSelector`: field errors for a selector object at `field`. */
export const validate = (field: string, ls: LabelSelector | undefined): ReadonlyArray<FieldError> => {
  if (ls === undefined) return []
  const errors: Array<FieldError> = [...Validation.labels(`${field}.matchLabels`, ls.matchLabels)]
  ;(ls.matchExpressions ?? []).forEach((expr, i) => {
    const at = `${field}.matchExpressions[${i}]`
    const values = expr.values ?? []
    if (expr.operator === "In" || expr.operator === "NotIn") {
      if (values.length === 0) {
        errors.push(Validation.required(`${at}.values`, "must be specified when `operator` is 'In' or 'NotIn'"))
      }
    } else if (expr.operator === "Exists" || expr.operator === "DoesNotExist") {
      if (values.length > 0) {
        errors.push(
          Validation.forbidden(`${at}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")
        )
      }
    } else {
      errors.push(Validation.invalid(`${at}.operator`, expr.operator ?? "", "not a valid selector operator"))
    }
    const key = expr.key ?? ""
    errors.push(...Validation.qualifiedName(key).map((m) => Validation.invalid(`${at}.key`, key, m)))
    values.forEach((v, j) => {
      errors.push(...Validation.labelValue(v).map((m) => Validation.invalid(`${at}.values[${j}]`, v, m)))
    })
  })
  return errors
}

/** The string form of a selector object, or "<none>" when it is empty (`metav1.FormatLabelSelector`). */
export const formatLabelSelector = (ls: LabelSelector | undefined): string => {
  if (ls === undefined) return "<none>"
  return Either.match(fromLabelSelector(ls), {
    onLeft: () => "<error>",
    onRight: (sel) => (isEmpty(sel) ? "<none>" : format(sel))
  })
}
