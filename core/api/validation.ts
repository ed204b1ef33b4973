/**
 * Validation rules shared by every kind, worded as Kubernetes words them
 * (apimachinery's `validation` and `field` packages): field errors, names, label keys and
 * values, annotations, object metadata on create and on update.
 */
import type { FieldError } from "./errors.js"
import type { ObjectMeta, OwnerReference } from "./meta.js"

/** A `map[string]string` (labels) in an error message, printed as Go prints it (an absent one is a nil map). */
export class StringMapValue {
  constructor(readonly map: Readonly<Record<string, string>> | undefined) {}
}

/** A value as Go's `%v`/`%q`/`%#v` shows it in an error: `"web"`, `-1`, `map[string]string{"app":"web"}`, else JSON. */
export const show = (value: unknown): string => {
  if (value === undefined || value === null) return "null"
  if (typeof value === "string") return JSON.stringify(value)
  if (typeof value === "number" || typeof value === "boolean") return String(value)
  if (value instanceof StringMapValue) {
    const map = value.map
    if (map === undefined) return "map[string]string(nil)"
    const entries = Object.keys(map)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${JSON.stringify(map[k])}`)
    return `map[string]string{${entries.join(", ")}}`
  }
  return JSON.stringify(value)
}

/** `field: Required value[: detail]` */
export const required = (field: string, detail = ""): FieldError => ({
  type: "FieldValueRequired",
  field,
  message: detail === "" ? "Required value" : `Required value: ${detail}`
})

/** `field: Invalid value: <value>: detail` */
export const invalid = (field: string, value: unknown, detail: string): FieldError => ({
  type: "FieldValueInvalid",
  field,
  message: detail === "" ? `Invalid value: ${show(value)}` : `Invalid value: ${show(value)}: ${detail}`
})

/** `field: Unsupported value: "x": supported values: "a", "b"` */
export const notSupported = (field: string, value: unknown, supported: ReadonlyArray<string>): FieldError => ({
  type: "FieldValueNotSupported",
  field,
  message: `Unsupported value: ${show(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(", ")}`
})

/** `Required value` when unset, `Unsupported value` when not one of `supported`, else nothing. */
export const supported = (
  field: string,
  value: string | undefined,
  values: ReadonlyArray<string>
): ReadonlyArray<FieldError> =>
  value === undefined || value === ""
    ? [required(field)]
    : values.includes(value)
      ? []
      : [notSupported(field, value, values)]

/** `field: Forbidden: detail` */
export const forbidden = (field: string, detail: string): FieldError => ({
  type: "FieldValueForbidden",
  field,
  message: `Forbidden: ${detail}`
})

/** `field: Duplicate value: "x"` */
export const duplicate = (field: string, value: unknown): FieldError => ({
  type: "FieldValueDuplicate",
  field,
  message: `Duplicate value: ${show(value)}`
})

/** `field: Too long: may not be more than N bytes` */
export const tooLong = (field: string, max: number): FieldError => ({
  type: "FieldValueTooLong",
  field,
  message: `Too long: may not be more than ${max} bytes`
})

// An array index as a property key ("0", "17"): JavaScript enumerates those first, in numeric order.
const isIndexKey = (key: string): boolean => /^(?:0|[1-9][0-9]*)$/.test(key) && Number(key) < 4294967295

/** The keys of `v` sorted, in the order an object built from them enumerates them (array indexes first). */
const sortedKeys = (v: object): Array<string> => {
  const keys = Object.keys(v).sort()
  if (!keys.some(isIndexKey)) return keys
  const indexes = keys.filter(isIndexKey).sort((a, b) => Number(a) - Number(b))
  return [...indexes, ...keys.filter((key) => !isIndexKey(key))]
}

const write = (v: unknown): string | undefined => {
  switch (typeof v) {
    case "string":
      return JSON.stringify(v)
    case "number":
      return Number.isFinite(v) ? JSON.stringify(v) : "null"
    case "boolean":
      return v ? "true" : "false"
    case "object": {
      if (v === null) return "null"
      const toJSON = (v as { toJSON?: unknown }).toJSON
      if (typeof toJSON === "function") return write(toJSON.call(v))
      if (Array.isArray(v)) return `[${v.map((item) => write(item) ?? "null").join(",")}]`
      let out = "{"
      for (const key of sortedKeys(v)) {
        const written = write((v as Record<string, unknown>)[key])
        if (written === undefined) continue
        out += `${out.length === 1 ? "" : ","}${JSON.stringify(key)}:${written}`
      }
      return `${out}}`
    }
    case "bigint":
      return JSON.stringify(v) // throws, as JSON.stringify does
    default:
      return undefined
  }
}

/**
 * JSON with object keys sorted and undefined properties left out, to compare values structurally:
 * what `JSON.stringify` writes of a copy with sorted keys, without building the copy.
 */
export const canonical = (value: unknown): string => write(value) as string

/** `field: Invalid value: v: field is immutable` when `value` differs from `old`. */
export const immutable = (field: string, value: unknown, old: unknown): ReadonlyArray<FieldError> =>
  value === old || canonical(value) === canonical(old) ? [] : [invalid(field, value, "field is immutable")]

/** "must be greater than or equal to 0" for negative numbers. */
export const nonNegative = (field: string, value: number | undefined): ReadonlyArray<FieldError> =>
  value !== undefined && value < 0 ? [invalid(field, value, "must be greater than or equal to 0")] : []

/** "must be greater than 0" for zero or negative numbers. */
export const positive = (field: string, value: number | undefined): ReadonlyArray<FieldError> =>
  value !== undefined && value <= 0 ? [invalid(field, value, "must be greater than 0")] : []

const regexError = (what: string, pattern: string, examples: ReadonlyArray<string>) =>
  `${what} (e.g. ${examples.map((e) => `'${e}'`).join(",  or ")}, regex used for validation is '${pattern}')`

const dns1123LabelPattern = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
const dns1123SubdomainPattern = `${dns1123LabelPattern}(\\.${dns1123LabelPattern})*`
const dns1035LabelPattern = "[a-z]([-a-z0-9]*[a-z0-9])?"
const qualifiedNamePattern = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
const labelValuePattern = `(${qualifiedNamePattern})?`
const full = (pattern: string) => new RegExp(`^${pattern}$`)
const dns1123LabelRegex = full(dns1123LabelPattern)
const dns1123SubdomainRegex = full(dns1123SubdomainPattern)
const dns1035LabelRegex = full(dns1035LabelPattern)
const qualifiedNameRegex = full(qualifiedNamePattern)
const labelValueRegex = full(labelValuePattern)

/** Problems with a DNS-1123 label (namespace names, container names); empty when valid. */
export const dns1123Label = (value: string): ReadonlyArray<string> => [
  ...(value.length > 63 ? ["must be no more than 63 characters"] : []),
  ...(dns1123LabelRegex.test(value)
    ? []
    : [
        regexError(
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
          dns1123LabelPattern,
          ["my-name", "123-abc"]
        )
      ])
]

/** Problems with a DNS-1123 subdomain (most object names); empty when valid. */
export const dns1123Subdomain = (value: string): ReadonlyArray<string> => [
  ...(value.length > 253 ? ["must be no more than 253 characters"] : []),
  ...(dns1123SubdomainRegex.test(value)
    ? []
    : [
        regexError(
          "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
          dns1123SubdomainPattern,
          ["example.com"]
        )
      ])
]

/** Problems with a DNS-1035 label (service names: must start with a letter); empty when valid. */
export const dns1035Label = (value: string): ReadonlyArray<string> => [
  ...(value.length > 63 ? ["must be no more than 63 characters"] : []),
  ...(dns1035LabelRegex.test(value)
    ? []
    : [
        regexError(
          "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
          dns1035LabelPattern,
          ["my-name", "abc-123"]
        )
      ])
]

/** Problems with a qualified name such as a label key (`app`, `example.com/tier`); empty when valid. */
export const qualifiedName = (value: string): ReadonlyArray<string> => {
  const parts = value.split("/")
  if (parts.length > 2) {
    return [
      regexError(
        "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        qualifiedNamePattern,
        ["MyName", "my.name", "123-abc"]
      ) + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
    ]
  }
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]]
  const errors: Array<string> = []
  if (prefix !== undefined) {
    if (prefix === "") errors.push("prefix part must be non-empty")
    else errors.push(...dns1123Subdomain(prefix).map((m) => `prefix part ${m}`))
  }
  if (name === "") errors.push("name part must be non-empty")
  else if (name.length > 63) errors.push("name part must be no more than 63 characters")
  if (!qualifiedNameRegex.test(name)) {
    errors.push(
      regexError(
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        qualifiedNamePattern,
        ["MyName", "my.name", "123-abc"]
      )
    )
  }
  return errors
}

/** Problems with a label value (may be empty); empty when valid. */
export const labelValue = (value: string): ReadonlyArray<string> => [
  ...(value.length > 63 ? ["must be no more than 63 characters"] : []),
  ...(labelValueRegex.test(value)
    ? []
    : [
        regexError(
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
          labelValuePattern,
          ["MyValue", "my_value", "12345"]
        )
      ])
]

/** A name rule: with `prefix`, the value is a `generateName` and may end in '-'. */
export type NameRule = (name: string, prefix: boolean) => ReadonlyArray<string>

const masked =
  (rule: (v: string) => ReadonlyArray<string>): NameRule =>
  (name, prefix) =>
    rule(prefix && name.length > 1 && name.endsWith("-") ? name.slice(0, -1) + "a" : name)

export const nameIsDNSSubdomain: NameRule = masked(dns1123Subdomain)
export const nameIsDNSLabel: NameRule = masked(dns1123Label)
export const nameIsDNS1035Label: NameRule = masked(dns1035Label)

/** Label keys and values at `field` (`metadata.labels`, `spec.selector` …). */
export const labels = (field: string, map: Readonly<Record<string, string>> | undefined): ReadonlyArray<FieldError> =>
  Object.entries(map ?? {}).flatMap(([k, v]) => [
    ...qualifiedName(k).map((m) => invalid(field, k, m)),
    ...labelValue(v).map((m) => invalid(field, v, m))
  ])

const totalAnnotationSizeLimit = 256 * 1024

/** The length of `s` in UTF-8, counted without encoding it (every write of an annotated object counts its annotations). */
export const utf8Length = (s: string): number => {
  let n = s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) continue
    if (c < 0x800) n += 1
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2 // a surrogate pair: 4 bytes for 2 code units
      i++
    } else n += 2 // 3 bytes, a lone surrogate included (TextEncoder writes U+FFFD)
  }
  return n
}

/** Annotation keys are qualified names (case-insensitively) and all of them fit in 256 KiB. */
export const annotations = (
  field: string,
  map: Readonly<Record<string, string>> | undefined
): ReadonlyArray<FieldError> => {
  const entries = Object.entries(map ?? {})
  const keys = entries.flatMap(([k]) => qualifiedName(k.toLowerCase()).map((m) => invalid(field, k, m)))
  const size = entries.reduce((n, [k, v]) => n + utf8Length(k) + utf8Length(v), 0)
  return size > totalAnnotationSizeLimit ? [...keys, tooLong(field, totalAnnotationSizeLimit)] : keys
}

const ownerReferences = (field: string, refs: ReadonlyArray<OwnerReference> | undefined): ReadonlyArray<FieldError> => {
  const errors: Array<FieldError> = []
  for (const ref of refs ?? []) {
    if ((ref.apiVersion ?? "") === "")
      errors.push(invalid(`${field}.apiVersion`, ref.apiVersion ?? "", "version must not be empty"))
    if ((ref.kind ?? "") === "") errors.push(invalid(`${field}.kind`, ref.kind ?? "", "kind must not be empty"))
    if ((ref.name ?? "") === "") errors.push(invalid(`${field}.name`, ref.name ?? "", "name must not be empty"))
    if ((ref.uid ?? "") === "") errors.push(invalid(`${field}.uid`, ref.uid ?? "", "uid must not be empty"))
  }
  const controllers = (refs ?? []).filter((r) => r.controller === true)
  if (controllers.length > 1) {
    errors.push(
      invalid(
        field,
        refs,
        `Only one reference can have Controller set to true. Found "true" in references for ${controllers
          .map((r) => `${r.kind}/${r.name}`)
          .join(" and ")}`
      )
    )
  }
  return errors
}

const standardFinalizers = new Set(["kubernetes", "orphan", "foregroundDeletion"])

const finalizers = (field: string, names: ReadonlyArray<string> | undefined): ReadonlyArray<FieldError> =>
  (names ?? []).flatMap((name, i) => {
    const problems = qualifiedName(name)
    if (problems.length > 0) return problems.map((m) => invalid(`${field}[${i}]`, name, m))
    return name.includes("/") || standardFinalizers.has(name)
      ? []
      : [invalid(`${field}[${i}]`, name, "name is neither a standard finalizer name nor is it fully qualified")]
  })

/** `ValidateObjectMeta`: names, namespace presence, labels, annotations, owners, finalizers. */
export const objectMeta = (meta: ObjectMeta, namespaced: boolean, nameRule: NameRule): ReadonlyArray<FieldError> => {
  const errors: Array<FieldError> = []
  if (meta.generateName !== undefined && meta.generateName !== "") {
    errors.push(...nameRule(meta.generateName, true).map((m) => invalid("metadata.generateName", meta.generateName, m)))
  }
  if (meta.name === undefined || meta.name === "") {
    errors.push(required("metadata.name", "name or generateName is required"))
  } else {
    errors.push(...nameRule(meta.name, false).map((m) => invalid("metadata.name", meta.name, m)))
  }
  if (namespaced) {
    if (meta.namespace === undefined || meta.namespace === "") errors.push(required("metadata.namespace"))
    else errors.push(...dns1123Label(meta.namespace).map((m) => invalid("metadata.namespace", meta.namespace, m)))
  } else if (meta.namespace !== undefined && meta.namespace !== "") {
    errors.push(forbidden("metadata.namespace", "not allowed on this type"))
  }
  errors.push(...nonNegative("metadata.generation", meta.generation))
  errors.push(...labels("metadata.labels", meta.labels))
  errors.push(...annotations("metadata.annotations", meta.annotations))
  errors.push(...ownerReferences("metadata.ownerReferences", meta.ownerReferences))
  errors.push(...finalizers("metadata.finalizers", meta.finalizers))
  return errors
}

/** `ValidateObjectMetaUpdate`: identity and timestamps are immutable; no new finalizers once deleting. */
export const objectMetaUpdate = (meta: ObjectMeta, old: ObjectMeta): ReadonlyArray<FieldError> => {
  const errors: Array<FieldError> = []
  if (old.deletionTimestamp !== undefined) {
    const added = (meta.finalizers ?? []).filter((f) => !(old.finalizers ?? []).includes(f))
    if (added.length > 0) {
      errors.push(
        forbidden(
          "metadata.finalizers",
          `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added
            .map((f) => JSON.stringify(f))
            .join(", ")}}`
        )
      )
    }
  }
  // Every update runs this: the unchanged fields (nearly all) cost a comparison, not a list.
  const unchanged = (field: string, value: unknown, was: unknown) => {
    if (value !== was) errors.push(...immutable(field, value, was))
  }
  unchanged("metadata.name", meta.name ?? "", old.name ?? "")
  unchanged("metadata.namespace", meta.namespace ?? "", old.namespace ?? "")
  unchanged("metadata.uid", meta.uid ?? "", old.uid ?? "")
  unchanged("metadata.creationTimestamp", meta.creationTimestamp ?? null, old.creationTimestamp ?? null)
  unchanged("metadata.deletionTimestamp", meta.deletionTimestamp ?? null, old.deletionTimestamp ?? null)
  unchanged(
    "metadata.deletionGracePeriodSeconds",
    meta.deletionGracePeriodSeconds ?? null,
    old.deletionGracePeriodSeconds ?? null
  )
  if (meta.labels !== undefined) errors.push(...labels("metadata.labels", meta.labels))
  if (meta.annotations !== undefined) errors.push(...annotations("metadata.annotations", meta.annotations))
  if (meta.ownerReferences !== undefined)
    errors.push(...ownerReferences("metadata.ownerReferences", meta.ownerReferences))
  if (meta.finalizers !== undefined) errors.push(...finalizers("metadata.finalizers", meta.finalizers))
  return errors
}

/** Create-or-update metadata validation for a kind, the common first step of every `validate`. */
export const metadata = (
  meta: ObjectMeta,
  old: ObjectMeta | undefined,
  namespaced: boolean,
  nameRule: NameRule
): ReadonlyArray<FieldError> =>
  old === undefined ? objectMeta(meta, namespaced, nameRule) : objectMetaUpdate(meta, old)

/** Problems with a port number (1–65535); empty when valid. */
export const portNumber = (port: number): ReadonlyArray<string> =>
  Number.isInteger(port) && port >= 1 && port <= 65535 ? [] : ["must be between 1 and 65535, inclusive"]

/** Problems with an IANA service name used as a named port (`http`, `metrics`); empty when valid. */
export const portName = (name: string): ReadonlyArray<string> => {
  const errors: Array<string> = []
  if (name.length > 15) errors.push("must be no more than 15 characters")
  if (!/^[-a-z0-9]+$/.test(name)) errors.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
  if (/--/.test(name)) errors.push("must not contain consecutive hyphens")
  if (!/[a-z]/.test(name)) errors.push("must contain at least one letter (a-z)")
  if (/^-|-$/.test(name)) errors.push("must not begin or end with a hyphen")
  return errors
}

/** Whether `ip` is an IPv4 or IPv6 address. */
export const isIP = (ip: string): boolean => {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip)
  if (v4 !== null)
    return v4.slice(1).every((octet) => Number(octet) <= 255 && (octet === "0" || !octet.startsWith("0")))
  return ip.includes(":") && /^[0-9a-fA-F:.]+$/.test(ip) && ip.split("::").length <= 2
}
