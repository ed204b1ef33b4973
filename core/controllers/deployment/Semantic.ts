/**
 * Semantic equality of API values (apimachinery's `equality.Semantic`): key order does not
 * matter, and absent, null and empty maps or lists are alike — as Go sees a decoded object.
 */

const isEmpty = (v: unknown): boolean =>
  v === undefined ||
  v === null ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0)

/** The value with object keys sorted and empty fields dropped. */
export const canonical = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(canonical)
  if (typeof v !== "object" || v === null) return v
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(v).sort()) {
    const field = canonical((v as Record<string, unknown>)[key])
    if (!isEmpty(field)) out[key] = field
  }
  return out
}

/** The canonical JSON text of a value: equal texts, semantically equal values. */
export const canonicalJson = (v: unknown): string => JSON.stringify(canonical(v) ?? null)

/** Whether two values are semantically equal. */
export const equal = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b)
