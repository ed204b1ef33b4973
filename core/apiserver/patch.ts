/**
 * The three patch types of PATCH requests, as pure functions over JSON values: JSON merge patch
 * (RFC 7386), JSON patch (RFC 6902) and Kubernetes' strategic merge patch. Inputs are never
 * mutated (the store's objects are deep-frozen): results are new objects that may share unchanged
 * subtrees with the inputs. Merge patches take linear time, strategic merge n log n (sorting the
 * merged lists), and a JSON patch copies each container it touches once (an array insert or
 * removal still shifts that array's items, as in Kubernetes).
 */
import * as Either from "effect/Either"
import { patchStrategy } from "../api/patchStrategy.js"
import { equals, isObject, type JsonObject } from "./JsonValue.js"

type MutableObject = Record<string, unknown>

const own = (obj: JsonObject, key: string): unknown => (Object.hasOwn(obj, key) ? obj[key] : undefined)

/** Sets a key of a JSON object; a key named "__proto__" becomes a plain property, not the prototype. */
export const setOwn = (obj: MutableObject, key: string, value: unknown): void => {
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

const existing = (doc: unknown, path: ReadonlyArray<string>, name: string, what = "path"): unknown => {
  const { found, value } = lookup(doc, path)
  return found ? value : fail(`${name}: ${what} ${show(pointerOf(path))} does not exist`)
}

type Container = Array<unknown> | MutableObject

/**
 * The document a JSON patch edits: a container of the target is copied the first time an
 * operation writes into it and changed in place afterwards, so a patch costs one copy of what it
 * touches however many operations it has. `owned` holds the copies; only they are ever mutated.
 */
const workingCopy = (target: unknown) => {
  let root = target
  const owned = new Set<object>()

  const writable = (value: unknown): unknown => {
    if (typeof value !== "object" || value === null || owned.has(value)) return value
    const copy: Container = Array.isArray(value) ? [...value] : { ...value }
    owned.add(copy)
    return copy
  }

  /** The container holding the target of `path` (copied as needed), and the target's token. */
  const parentOf = (path: ReadonlyArray<string>, name: string): { parent: unknown; token: string } => {
    root = writable(root)
    let parent = root
    for (const token of path.slice(0, -1)) {
      if (Array.isArray(parent)) {
        const index = arrayIndex(token, parent.length, false, name)
        parent = parent[index] = writable(parent[index])
      } else if (isObject(parent) && Object.hasOwn(parent, token)) {
        const child = writable(parent[token])
        setOwn(parent as MutableObject, token, child)
        parent = child
      } else return fail(`${name}: the path does not exist`)
    }
    return { parent, token: path[path.length - 1] ?? "" }
  }

  // A value placed at a second location is shared: neither may be changed in place any more.
  const share = (value: unknown): void => {
    if (typeof value !== "object" || value === null || !owned.delete(value)) return
    for (const child of Object.values(value)) share(child)
  }

  const add = (path: ReadonlyArray<string>, value: unknown, name: string): void => {
    if (path.length === 0) {
      root = value
      return
    }
    const { parent, token } = parentOf(path, name)
    if (Array.isArray(parent)) parent.splice(arrayIndex(token, parent.length, true, name), 0, value)
    else if (isObject(parent)) setOwn(parent as MutableObject, token, value)
    else fail(`${name}: the parent of the target is not an object or an array`)
  }

  const remove = (path: ReadonlyArray<string>, name: string): void => {
    if (path.length === 0) fail(`${name}: cannot remove the whole document`)
    const { parent, token } = parentOf(path, name)
    if (Array.isArray(parent)) parent.splice(arrayIndex(token, parent.length, false, name), 1)
    else if (isObject(parent) && Object.hasOwn(parent, token)) delete (parent as MutableObject)[token]
    else fail(`${name}: the target does not exist`)
  }

  const replace = (path: ReadonlyArray<string>, value: unknown, name: string): void => {
    if (path.length === 0) {
      root = value
      return
    }
    const { parent, token } = parentOf(path, name)
    if (Array.isArray(parent)) parent[arrayIndex(token, parent.length, false, name)] = value
    else if (isObject(parent) && Object.hasOwn(parent, token)) setOwn(parent as MutableObject, token, value)
    else fail(`${name}: the target does not exist`)
  }

  const apply = ({ op, path, from, value, name }: Operation): void => {
    switch (op) {
      case "add":
        return add(path, value, name)
      case "remove":
        return remove(path, name)
      case "replace":
        return replace(path, value, name)
      case "move": {
        const moved = existing(root, from, name, "from")
        if (path.length > from.length && from.every((token, i) => token === path[i]))
          fail(`${name}: cannot move a value into one of its own children`)
        remove(from, name)
        return add(path, moved, name)
      }
      case "copy": {
        const copied = existing(root, from, name, "from")
        share(copied)
        return add(path, copied, name)
      }
      case "test": {
        const actual = existing(root, path, name)
        if (!equals(actual, value)) fail(`${name}: test failed: the value is ${show(actual)}, not ${show(value)}`)
      }
    }
  }

  return { apply, result: () => root }
}

/**
 * Applies a JSON patch (RFC 6902): add, remove, replace, move, copy and test, with JSON pointers
 * (`~0`, `~1`, `-` to append). Fails with a message naming the operation when the operations are
 * malformed, a path does not exist or a test fails.
 */
export const jsonPatch = (target: unknown, operations: unknown): Either.Either<unknown, string> =>
  guard(() => {
    const doc = workingCopy(target)
    for (const operation of parseOperations(operations)) doc.apply(operation)
    return doc.result()
  })

// ---------------------------------------------------------------------------------------------
// Strategic merge patch

type Path = ReadonlyArray<string>

const setElementOrderPrefix = "$setElementOrder/"
const deleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/"

/** What merging a map with `$patch: delete` yields: its key is removed. */
const Deleted: unique symbol = Symbol("Deleted")

const where = (path: Path): string => (path.length === 0 ? "the object" : `"${path.join(".")}"`)

const canonicalJson = (value: unknown): string | undefined =>
  JSON.stringify(value, (_, child: unknown) =>
    isObject(child) ? Object.fromEntries(Object.entries(child).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : child
  )

/**
 * What makes list items the same element, as a Map key: the merge key's value for maps of a keyed
 * list, the whole value otherwise (keys sorted, so it agrees with `equals`).
 */
const itemKey = (item: unknown, mergeKey: string | undefined): string =>
  mergeKey !== undefined && isObject(item)
    ? `key ${canonicalJson(own(item, mergeKey))}`
    : `value ${canonicalJson(item)}`

/** Each item's position in `list` (the first, for repeated items). */
const positions = (list: ReadonlyArray<unknown>, mergeKey: string | undefined): Map<string, number> => {
  const result = new Map<string, number>()
  list.forEach((item, i) => {
    const key = itemKey(item, mergeKey)
    if (!result.has(key)) result.set(key, i)
  })
  return result
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
  const inOrder = positions(order, mergeKey)
  const inServer = positions(server, mergeKey)
  const ranked = merged.map((item) => {
    const key = itemKey(item, mergeKey)
    return { item, named: inOrder.get(key), server: inServer.get(key) }
  })
  // Array.prototype.sort is stable: items of equal rank keep their merged order.
  const named = ranked.filter((r) => r.named !== undefined).sort((a, b) => a.named! - b.named!)
  const serverOnly = ranked
    .filter((r) => r.named === undefined)
    .sort((a, b) => (a.server ?? server.length) - (b.server ?? server.length))
  const result: Array<unknown> = []
  let i = 0
  let j = 0
  while (i < serverOnly.length || j < named.length) {
    if (j >= named.length) result.push(serverOnly[i++]!.item)
    else if (i >= serverOnly.length) result.push(named[j++]!.item)
    else {
      const left = serverOnly[i]!.server
      const right = named[j]!.server
      result.push(left !== undefined && right !== undefined && left < right ? serverOnly[i++]!.item : named[j++]!.item)
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
  const seen = new Set<string>()
  const union = [...original, ...patch].filter((item) => {
    const key = itemKey(item, undefined)
    return seen.has(key) ? false : (seen.add(key), true)
  })
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

  let replace = false
  const deleted = new Set<string>()
  const items: Array<JsonObject> = []
  for (const item of patch as ReadonlyArray<JsonObject>) {
    const directive = own(item, "$patch")
    if (directive === undefined) items.push(item)
    else if (directive === "replace") replace = true
    else if (directive === "delete") {
      if (!Object.hasOwn(item, mergeKey)) fail(`"$patch: delete" in ${where(path)} needs the merge key "${mergeKey}"`)
      deleted.add(itemKey(item, mergeKey))
    } else if (directive !== "merge") fail(`unknown "$patch: ${show(directive)}" in the list at ${where(path)}`)
  }
  if (replace) return replaceList(kind, path, items)

  const live = original.filter((item) => !deleted.has(itemKey(item, mergeKey)))
  const merged: Array<unknown> = [...live]
  const at = positions(merged, mergeKey)
  for (const item of items) {
    if (!Object.hasOwn(item, mergeKey))
      fail(`an item of ${where(path)} lacks its merge key "${mergeKey}": ${show(item)}`)
    const key = itemKey(item, mergeKey)
    const index = at.get(key)
    if (index === undefined) {
      at.set(key, merged.length)
      merged.push(mergeMap(kind, path, undefined, item))
    } else merged[index] = mergeMap(kind, path, merged[index] as JsonObject, item)
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
    const key = itemKey(item, mergeKey)
    while (next < order.length && itemKey(order[next], mergeKey) !== key) next++
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
    const removed = new Set(values.map((value) => itemKey(value, undefined)))
    if (Array.isArray(list))
      setOwn(
        result,
        field,
        list.filter((item) => !removed.has(itemKey(item, undefined)))
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
    const retained = new Set(retainKeys)
    for (const key of Object.keys(result)) if (!retained.has(key)) delete result[key]
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
