/**
 * The merge patches `kubectl apply` computes on the client: the difference of two objects, and
 * the three-way patch from the last-applied configuration, the file and the live object.
 */
import { equals, isObject, type JsonObject } from "../apiserver/JsonValue.js"
import { mergePatch, setOwn } from "../apiserver/patch.js"

type MutableObject = Record<string, unknown>

/**
 * The JSON merge patch that turns `original` into `modified`: changed and added keys with their new
 * value, removed keys as `null`, lists whole. (`null` values inside `modified` cannot be expressed.)
 */
export const diffMergePatch = (original: unknown, modified: unknown): unknown => {
  if (!isObject(original) || !isObject(modified)) return modified
  const patch: MutableObject = {}
  for (const key of Object.keys(original)) if (!Object.hasOwn(modified, key)) setOwn(patch, key, null)
  for (const [key, value] of Object.entries(modified)) {
    if (!Object.hasOwn(original, key)) setOwn(patch, key, value)
    else if (!equals(original[key], value)) setOwn(patch, key, diffMergePatch(original[key], value))
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
