/**
 * The three patch types of PATCH requests, as pure functions over JSON values: JSON merge patch
 * (RFC 7386), JSON patch (RFC 6902) and Kubernetes' strategic merge patch; plus the merge patches
 * `kubectl apply` computes. Inputs are never mutated (the store's objects are deep-frozen): results
 * are new objects that may share unchanged subtrees with the inputs.
 */
import * as Either from "effect/Either"
import { patchStrategy } from "../api/patchStrategy.js"
import { equals, isObject, type JsonObject } from "./JsonValue.js"

type MutableObject = Record<string, unknown>

const own = (obj: JsonObject, key: string): unknown => (Object.hasOwn(obj, key) ? obj[key] : undefined)

// Assignment to "__proto__" would set the prototype; a JSON key of that name is a plain property.
const setOwn = (obj: MutableObject, key: string, value: unknown): void => {
  if (key === "__proto__")
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })
  else obj[key] = value
}

const show = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

// ---------------------------------------------------------------------------------------------
// JSON merge patch (RFC 7386)

/** Applies a JSON merge patch (RFC 7386): `null` deletes a key, objects merge recursively, anything else replaces. */
export const mergePatch = (target: unknown, patch: unknown): unknown => {
  if (!isObject(patch)) return patch
  const result: MutableObject = isObject(target) ? { ...target } : {}
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key]
    else setOwn(result, key, mergePatch(own(result, key), value))
  }
  return result
}

/**
 * The JSON merge patch that turns `original` into `modified`: changed and added keys with their new
 * value, removed keys as `null`, lists whole. (`null` values inside `modified` cannot be expressed.)
 */
export const diffMergePatch = (original: unknown, modified: unknown): unknown => {
  if (!isObject(original) || !isObject(modified)) return modified
  const patch: MutableObject = {}
  for (const key of Object.keys(original)) if (!Object.hasOwn(modified, key)) setOwn(patch, key, null)
  for (const [key, value] of Object.entries(modified)) {
    const before = own(original, key)
    if (!Object.hasOwn(original, key)) setOwn(patch, key, value)
    else if (!equals(before, value)) setOwn(patch, key, diffMergePatch(before, value))
  }
  return patch
}

/** Keeps only the `null` (deleting) entries of a merge patch, or only the others. */
const filterNulls = (patch: unknown, keepNulls: boolean): unknown => {
  if (!isObject(patch)) return patch
  const result: MutableObject = {}
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      if (keepNulls) setOwn(result, key, null)
    } else if (isObject(value) && Object.keys(value).length > 0) {
      // A nested patch left empty by the filter changes nothing: drop it.
      const nested = filterNulls(value, keepNulls) as JsonObject
      if (Object.keys(nested).length > 0) setOwn(result, key, nested)
    } else if (!keepNulls) setOwn(result, key, value) // an empty map set on purpose is a value
  }
  return result
}

/**
 * kubectl apply's merge patch for types without strategic merge: keys dropped from the configuration
 * since `lastApplied` are deleted, keys that `modified` adds or changes against `current` are set,
 * and fields only `current` has (set by other writers, never applied) are left alone.
 */
export const threeWayMergePatch = (lastApplied: unknown, modified: unknown, current: unknown): unknown => {
  const additionsAndChanges = filterNulls(diffMergePatch(current, modified), false)
  const deletions = filterNulls(diffMergePatch(lastApplied, modified), true)
  return mergePatch(deletions, additionsAndChanges)
}

// ---------------------------------------------------------------------------------------------
// JSON patch (RFC 6902)

/** A failed patch, thrown inside this module and returned as `Either.left(message)` at its edge. */
class PatchFailure extends Error {}

// A declared function, so TypeScript knows the code after a `fail(...)` statement is unreachable.
function fail(message: string): never {
  throw new PatchFailure(message)
}

const guard = (apply: () => unknown): Either.Either<unknown, string> => {
  try {
    return Either.right(apply())
  } catch (error) {
    if (error instanceof PatchFailure) return Either.left(error.message)
    throw error
  }
}

interface Operation {
  readonly op: "add" | "remove" | "replace" | "move" | "copy" | "test"
  readonly path: ReadonlyArray<string>
  readonly from: ReadonlyArray<string>
  readonly value: unknown
  /** How errors name it: `operations[2] (remove "/a/b")`. */
  readonly name: string
}

const operationNames = new Set(["add", "remove", "replace", "move", "copy", "test"])

/** A JSON pointer (RFC 6901) as its reference tokens; `~1` is `/` and `~0` is `~`, in that order. */
const parsePointer = (pointer: string, what: string): ReadonlyArray<string> => {
  if (pointer === "") return []
  if (!pointer.startsWith("/"))
    fail(`${what} ${show(pointer)} is not a JSON pointer: it must be empty or start with "/"`)
  if (/~[^01]|~$/.test(pointer)) fail(`${what} ${show(pointer)} has a "~" not followed by 0 or 1`)
  return pointer
    .slice(1)
    .split("/")
    .map((token) => token.replaceAll("~1", "/").replaceAll("~0", "~"))
}

const parseOperations = (operations: unknown): ReadonlyArray<Operation> => {
  if (!Array.isArray(operations)) return fail(`a JSON patch must be an array of operations, not ${show(operations)}`)
  return operations.map((operation: unknown, index): Operation => {
    const at = `operations[${index}]`
    if (!isObject(operation)) return fail(`${at} must be an object, not ${show(operation)}`)
    const op = own(operation, "op")
    if (typeof op !== "string" || !operationNames.has(op))
      return fail(`${at} has op ${show(op)}; expected one of add, remove, replace, move, copy, test`)
    const path = own(operation, "path")
    if (typeof path !== "string") return fail(`${at} (${op}) needs a string "path"`)
    const name = `${at} (${op} ${show(path)})`
    const needsValue = op === "add" || op === "replace" || op === "test"
    if (needsValue && !Object.hasOwn(operation, "value")) fail(`${name} needs a "value"`)
    const from = own(operation, "from")
    const needsFrom = op === "move" || op === "copy"
    if (needsFrom && typeof from !== "string") fail(`${name} needs a string "from"`)
    return {
      op: op as Operation["op"],
      path: parsePointer(path, `${name}: path`),
      from: needsFrom && typeof from === "string" ? parsePointer(from, `${name}: from`) : [],
      value: own(operation, "value"),
      name
    }
  })
}

/** An array index token: "0" or digits without a leading zero. */
const indexToken = /^(0|[1-9][0-9]*)$/

const arrayIndex = (token: string, length: number, allowEnd: boolean, name: string): number => {
  if (allowEnd && token === "-") return length
  if (!indexToken.test(token)) return fail(`${name}: ${show(token)} is not an array index`)
  const index = Number(token)
  if (index > length || (!allowEnd && index === length)) fail(`${name}: index ${index} is out of bounds`)
  return index
}

const lookup = (doc: unknown, path: ReadonlyArray<string>): { readonly found: boolean; readonly value: unknown } => {
  let current = doc
  for (const token of path) {
    if (Array.isArray(current) && indexToken.test(token) && Number(token) < current.length) {
      current = current[Number(token)]
    } else if (isObject(current) && Object.hasOwn(current, token)) {
      current = current[token]
    } else return { found: false, value: undefined }
  }
  return { found: true, value: current }
}

const pointerOf = (path: ReadonlyArray<string>): string =>
  path.map((token) => `/${token.replaceAll("~", "~0").replaceAll("/", "~1")}`).join("")

/** Copies the containers along `path` and lets `change` return the new last container. */
const updateParent = (
  doc: unknown,
  path: ReadonlyArray<string>,
  name: string,
  change: (parent: unknown, token: string) => unknown
): unknown => {
  const [token = "", ...rest] = path // never empty: callers handle the root themselves
  if (rest.length === 0) return change(doc, token)
  if (Array.isArray(doc)) {
    const index = arrayIndex(token, doc.length, false, name)
    const copy = [...doc]
    copy[index] = updateParent(doc[index], rest, name, change)
    return copy
  }
  if (isObject(doc) && Object.hasOwn(doc, token)) {
    const copy: MutableObject = { ...doc }
    setOwn(copy, token, updateParent(doc[token], rest, name, change))
    return copy
  }
  return fail(`${name}: the path does not exist`)
}

const add = (doc: unknown, path: ReadonlyArray<string>, value: unknown, name: string): unknown =>
  path.length === 0
    ? value
    : updateParent(doc, path, name, (parent, token) => {
        if (Array.isArray(parent)) {
          const copy = [...parent]
          copy.splice(arrayIndex(token, parent.length, true, name), 0, value)
          return copy
        }
        if (!isObject(parent)) return fail(`${name}: the parent of the target is not an object or an array`)
        const copy: MutableObject = { ...parent }
        setOwn(copy, token, value)
        return copy
      })

const remove = (doc: unknown, path: ReadonlyArray<string>, name: string): unknown => {
  if (path.length === 0) return fail(`${name}: cannot remove the whole document`)
  return updateParent(doc, path, name, (parent, token) => {
    if (Array.isArray(parent)) return parent.toSpliced(arrayIndex(token, parent.length, false, name), 1)
    if (!isObject(parent) || !Object.hasOwn(parent, token)) return fail(`${name}: the target does not exist`)
    const copy: MutableObject = { ...parent }
    delete copy[token]
    return copy
  })
}

const replace = (doc: unknown, path: ReadonlyArray<string>, value: unknown, name: string): unknown =>
  path.length === 0
    ? value
    : updateParent(doc, path, name, (parent, token) => {
        if (Array.isArray(parent)) return parent.with(arrayIndex(token, parent.length, false, name), value)
        if (!isObject(parent) || !Object.hasOwn(parent, token)) return fail(`${name}: the target does not exist`)
        const copy: MutableObject = { ...parent }
        setOwn(copy, token, value)
        return copy
      })

const existing = (doc: unknown, path: ReadonlyArray<string>, name: string, what = "path"): unknown => {
  const { found, value } = lookup(doc, path)
  return found ? value : fail(`${name}: ${what} ${show(pointerOf(path))} does not exist`)
}

const applyOperation = (doc: unknown, operation: Operation): unknown => {
  const { op, path, from, value, name } = operation
  switch (op) {
    case "add":
      return add(doc, path, value, name)
    case "remove":
      return remove(doc, path, name)
    case "replace":
      return replace(doc, path, value, name)
    case "move": {
      const moved = existing(doc, from, name, "from")
      if (path.length > from.length && from.every((token, i) => token === path[i]))
        fail(`${name}: cannot move a value into one of its own children`)
      return add(remove(doc, from, name), path, moved, name)
    }
    case "copy":
      return add(doc, path, existing(doc, from, name, "from"), name)
    case "test": {
      const actual = existing(doc, path, name)
      return equals(actual, value)
        ? doc
        : fail(`${name}: test failed: the value is ${show(actual)}, not ${show(value)}`)
    }
  }
}

/**
 * Applies a JSON patch (RFC 6902): add, remove, replace, move, copy and test, with JSON pointers
 * (`~0`, `~1`, `-` to append). Fails with a message naming the operation when the operations are
 * malformed, a path does not exist or a test fails.
 */
export const jsonPatch = (target: unknown, operations: unknown): Either.Either<unknown, string> =>
  guard(() => parseOperations(operations).reduce(applyOperation, target))

// ---------------------------------------------------------------------------------------------
// Strategic merge patch

type Path = ReadonlyArray<string>

const setElementOrderPrefix = "$setElementOrder/"
const deleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/"

/** What merging a map with `$patch: delete` yields: its key is removed. */
const Deleted: unique symbol = Symbol("Deleted")

const where = (path: Path): string => (path.length === 0 ? "the object" : `"${path.join(".")}"`)

/** Items are the same element of a list: equal merge keys for maps of a keyed list, equal values otherwise. */
const sameItem = (a: unknown, b: unknown, mergeKey: string | undefined): boolean =>
  mergeKey !== undefined && isObject(a) && isObject(b) ? equals(own(a, mergeKey), own(b, mergeKey)) : equals(a, b)

const indexIn = (list: ReadonlyArray<unknown>, item: unknown, mergeKey: string | undefined): number =>
  list.findIndex((other) => sameItem(other, item, mergeKey))

const sortedBy = (items: ReadonlyArray<unknown>, order: ReadonlyArray<unknown>, mergeKey: string | undefined) => {
  const rank = (item: unknown) => {
    const index = indexIn(order, item, mergeKey)
    return index < 0 ? order.length : index
  }
  return [...items].sort((a, b) => rank(a) - rank(b))
}

/**
 * Kubernetes' element order: items named in `order` (the patch list or `$setElementOrder`) keep
 * that order, the others keep the order of `server` (the live list), and the two are interleaved
 * where the live list says which comes first (an item new to the live list goes before the
 * live-only items not yet placed).
 */
const orderElements = (
  merged: ReadonlyArray<unknown>,
  order: ReadonlyArray<unknown>,
  server: ReadonlyArray<unknown>,
  mergeKey: string | undefined
): Array<unknown> => {
  const named = sortedBy(
    merged.filter((item) => indexIn(order, item, mergeKey) >= 0),
    order,
    mergeKey
  )
  const serverOnly = sortedBy(
    merged.filter((item) => indexIn(order, item, mergeKey) < 0),
    server,
    mergeKey
  )
  const result: Array<unknown> = []
  let i = 0
  let j = 0
  while (i < serverOnly.length || j < named.length) {
    if (j >= named.length) result.push(serverOnly[i++])
    else if (i >= serverOnly.length) result.push(named[j++])
    else {
      const left = indexIn(server, serverOnly[i], mergeKey)
      const right = indexIn(server, named[j], mergeKey)
      result.push(left >= 0 && right >= 0 && left < right ? serverOnly[i++] : named[j++])
    }
  }
  return result
}

const mergeValue = (kind: string, path: Path, original: unknown, patch: unknown): unknown => {
  if (isObject(patch)) {
    const replace = patchStrategy(kind, path)?.strategy === "replace"
    return mergeMap(kind, path, isObject(original) && !replace ? original : undefined, patch)
  }
  if (Array.isArray(patch)) {
    const strategy = patchStrategy(kind, path)
    return strategy?.strategy.startsWith("merge")
      ? mergeList(kind, path, Array.isArray(original) ? original : [], patch, strategy.mergeKey)
      : replaceList(kind, path, patch)
  }
  return patch
}

/** A list without a merge strategy is replaced by the patch's list (directive items dropped). */
const replaceList = (kind: string, path: Path, patch: ReadonlyArray<unknown>): Array<unknown> =>
  patch.flatMap((item) => {
    if (!isObject(item)) return [item]
    if (Object.hasOwn(item, "$patch")) return []
    return [mergeMap(kind, path, undefined, item)]
  })

const mergePrimitives = (original: ReadonlyArray<unknown>, patch: ReadonlyArray<unknown>): Array<unknown> => {
  const union = [...original, ...patch].filter((item, i, all) => all.findIndex((other) => equals(other, item)) === i)
  return orderElements(union, patch, original, undefined)
}

const mergeList = (
  kind: string,
  path: Path,
  original: ReadonlyArray<unknown>,
  patch: ReadonlyArray<unknown>,
  mergeKey: string | undefined
): Array<unknown> => {
  const elements = [...original, ...patch]
  if (elements.some(Array.isArray)) return fail(`cannot merge lists of lists at ${where(path)}`)
  const maps = elements.filter(isObject).length
  if (maps === 0) return mergePrimitives(original, patch)
  if (maps !== elements.length) return fail(`the list at ${where(path)} mixes objects with other values`)
  if (mergeKey === undefined) return fail(`cannot merge the list at ${where(path)}: it has no merge key`)

  let live = original
  let replace = false
  const items: Array<JsonObject> = []
  for (const item of patch as ReadonlyArray<JsonObject>) {
    const directive = own(item, "$patch")
    if (directive === undefined) items.push(item)
    else if (directive === "replace") replace = true
    else if (directive === "delete") {
      if (!Object.hasOwn(item, mergeKey)) fail(`"$patch: delete" in ${where(path)} needs the merge key "${mergeKey}"`)
      live = live.filter((other) => !sameItem(other, item, mergeKey))
    } else if (directive !== "merge") fail(`unknown "$patch: ${show(directive)}" in the list at ${where(path)}`)
  }
  if (replace) return replaceList(kind, path, items)

  const merged: Array<unknown> = [...live]
  for (const item of items) {
    if (!Object.hasOwn(item, mergeKey))
      fail(`an item of ${where(path)} lacks its merge key "${mergeKey}": ${show(item)}`)
    const at = indexIn(merged, item, mergeKey)
    const result = mergeMap(kind, path, at >= 0 ? (merged[at] as JsonObject) : undefined, item)
    if (at >= 0) merged[at] = result
    else merged.push(result)
  }
  return orderElements(merged, items, live, mergeKey)
}

/** `$setElementOrder/<field>`: the patch list must name its items in the same relative order. */
const checkOrderMatchesPatch = (
  path: Path,
  order: ReadonlyArray<unknown>,
  patch: unknown,
  mergeKey: string | undefined
): void => {
  if (!Array.isArray(patch)) return
  let next = 0
  for (const item of patch) {
    if (isObject(item) && Object.hasOwn(item, "$patch")) continue
    while (next < order.length && !sameItem(order[next], item, mergeKey)) next++
    if (next === order.length)
      fail(`the order of the patch list ${where(path)} does not match its $setElementOrder list`)
    next++
  }
}

/** `$deleteFromPrimitiveList/<field>`: removes the listed values from the merged list. */
const deleteFromPrimitiveLists = (path: Path, result: MutableObject, patch: JsonObject): void => {
  for (const [key, values] of Object.entries(patch)) {
    if (!key.startsWith(deleteFromPrimitiveListPrefix)) continue
    if (!Array.isArray(values)) fail(`${key} in ${where(path)} must be a list`)
    const field = key.slice(deleteFromPrimitiveListPrefix.length)
    const list = own(result, field)
    if (Array.isArray(list))
      setOwn(
        result,
        field,
        list.filter((item) => !values.some((value) => equals(value, item)))
      )
  }
}

/** `$setElementOrder/<field>`: orders the merged list as the directive lists its items. */
const setElementOrders = (
  kind: string,
  path: Path,
  result: MutableObject,
  live: JsonObject,
  patch: JsonObject
): void => {
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(setElementOrderPrefix)) continue
    if (!Array.isArray(order)) fail(`${key} in ${where(path)} must be a list`)
    const field = key.slice(setElementOrderPrefix.length)
    const mergeKey = patchStrategy(kind, [...path, field])?.mergeKey
    if (mergeKey !== undefined && !order.every((item) => isObject(item) && Object.hasOwn(item, mergeKey)))
      fail(`every item of ${key} in ${where(path)} needs the merge key "${mergeKey}"`)
    checkOrderMatchesPatch([...path, field], order, own(patch, field), mergeKey)
    const list = own(result, field)
    const server = own(live, field)
    if (Array.isArray(list))
      setOwn(result, field, orderElements(list, order, Array.isArray(server) ? server : [], mergeKey))
  }
}

const isDirective = (key: string): boolean =>
  key === "$patch" ||
  key === "$retainKeys" ||
  key.startsWith(setElementOrderPrefix) ||
  key.startsWith(deleteFromPrimitiveListPrefix)

const mergeMap = (kind: string, path: Path, original: JsonObject | undefined, patch: JsonObject): unknown => {
  const directive = own(patch, "$patch")
  if (directive === "delete") return Deleted
  if (directive === "replace") {
    const { $patch: _, ...replacement } = patch
    return mergeMap(kind, path, undefined, replacement)
  }
  if (directive !== undefined && directive !== "merge") fail(`unknown "$patch: ${show(directive)}" in ${where(path)}`)

  const result: MutableObject = original === undefined ? {} : { ...original }
  const retainKeys = own(patch, "$retainKeys")
  if (retainKeys !== undefined) {
    if (!Array.isArray(retainKeys) || !retainKeys.every((key) => typeof key === "string"))
      fail(`$retainKeys in ${where(path)} must be a list of field names`)
    for (const key of Object.keys(result)) if (!retainKeys.includes(key)) delete result[key]
  }
  const live: JsonObject = { ...result }

  for (const [key, value] of Object.entries(patch)) {
    if (isDirective(key)) continue
    const merged = value === null ? Deleted : mergeValue(kind, [...path, key], own(result, key), value)
    if (merged === Deleted) delete result[key]
    else setOwn(result, key, merged)
  }
  deleteFromPrimitiveLists(path, result, patch)
  setElementOrders(kind, path, result, live, patch)
  return result
}

/**
 * Applies a Kubernetes strategic merge patch to an object of `kind`: maps merge recursively and
 * `null` deletes a key; lists tagged "merge" (see `patchStrategy`) merge items by their merge key,
 * or as a set for primitives, in Kubernetes' element order; other lists are replaced. Honours the
 * directives `$patch` (replace, delete, merge), `$retainKeys`, `$deleteFromPrimitiveList/<field>`
 * and `$setElementOrder/<field>`; none of them appears in the result.
 */
export const strategicMergePatch = (kind: string, original: unknown, patch: unknown): Either.Either<unknown, string> =>
  guard(() => {
    if (!isObject(patch)) return fail(`a strategic merge patch must be a JSON object, not ${show(patch)}`)
    const result = mergeMap(kind, [], isObject(original) ? original : undefined, patch)
    return result === Deleted ? {} : result
  })
