/**
 * Plain JSON values as the API server handles them: structural equality (to tell a no-op update
 * and a spec change) and a nesting-depth check that never recurses, so hostile input cannot
 * overflow the stack of the code that walks objects later.
 */

/** A JSON object. */
export type JsonObject = { readonly [key: string]: unknown }

/** Whether `u` is a JSON object (not an array, not null). */
export const isObject = (u: unknown): u is JsonObject => typeof u === "object" && u !== null && !Array.isArray(u)

/** Structural equality of JSON values; an absent key equals an undefined one. Loops, not callbacks: every write compares. */
export const equals = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  const array = Array.isArray(a)
  if (array !== Array.isArray(b)) return false
  if (array) {
    const x = a as ReadonlyArray<unknown>
    const y = b as ReadonlyArray<unknown>
    if (x.length !== y.length) return false
    for (let i = 0; i < x.length; i++) if (!equals(x[i], y[i])) return false
    return true
  }
  const x = a as JsonObject
  const y = b as JsonObject
  // Count a's defined keys while comparing them, then b's: equal counts mean b has no other defined key.
  let defined = 0
  for (const key of Object.keys(x)) {
    const value = x[key]
    if (value === undefined) continue
    defined++
    if (!Object.hasOwn(y, key) || !equals(value, y[key])) return false
  }
  for (const key of Object.keys(y)) if (y[key] !== undefined) defined--
  return defined === 0
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
