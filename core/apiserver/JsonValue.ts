/**
 * Plain JSON values as the API server handles them: structural equality (to tell a no-op update
 * and a spec change) and a nesting-depth check that never recurses, so hostile input cannot
 * overflow the stack of the code that walks objects later.
 */

/** A JSON object. */
export type JsonObject = { readonly [key: string]: unknown }

/** Whether `u` is a JSON object (not an array, not null). */
export const isObject = (u: unknown): u is JsonObject => typeof u === "object" && u !== null && !Array.isArray(u)

/** Structural equality of JSON values; an absent key equals an undefined one. */
export const equals = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
    return a.every((x, i) => equals(x, b[i]))
  }
  const ak = Object.keys(a).filter((k) => (a as JsonObject)[k] !== undefined)
  const bk = Object.keys(b).filter((k) => (b as JsonObject)[k] !== undefined)
  return ak.length === bk.length && ak.every((k) => equals((a as JsonObject)[k], (b as JsonObject)[k]))
}

/** Whether arrays and objects nest deeper than `limit` levels in `value` (walked with an explicit stack). */
export const depthExceeds = (value: unknown, limit: number): boolean => {
  const stack: Array<readonly [unknown, number]> = [[value, 0]]
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!
    if (typeof node !== "object" || node === null) continue
    if (depth + 1 > limit) return true
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1])
    }
  }
  return false
}
