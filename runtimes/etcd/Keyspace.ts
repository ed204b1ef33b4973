/**
 * How the etcd Store lays its keys out in etcd: store key K is etcd key PREFIX + K (PREFIX is
 * "/registry" by default, as in Kubernetes), its value is the value's JSON text, and its revisions
 * are etcd's own `create_revision` and `mod_revision`.
 */
import { type IKeyValue, Range } from "etcd3"
import type { Entry, Value } from "../../core/store/Store.js"

export interface Keyspace {
  /** The etcd key of a store key. */
  readonly key: (key: string) => Buffer
  /** The etcd range [start, end) holding every store key that starts with `prefix`. */
  readonly range: (prefix: string) => { readonly start: Buffer; readonly end: Buffer }
  /** The etcd key right after `key` in byte order: where a range that excludes `key` starts. */
  readonly after: (key: string) => Buffer
  /** The etcd value of a store value. */
  readonly value: (value: Value) => Buffer
  /** The entry an etcd key-value holds; throws when its value is not a JSON object. */
  readonly entry: (kv: IKeyValue) => Entry
}

const zero = Buffer.from([0])

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

export const make = (prefix: string): Keyspace => {
  const key = (storeKey: string) => Buffer.from(prefix + storeKey)
  return {
    key,
    range: (storePrefix) => Range.prefix(key(storePrefix)),
    after: (storeKey) => Buffer.concat([key(storeKey), zero]),
    value: (value) => Buffer.from(JSON.stringify(value)),
    entry: (kv) => {
      const storeKey = kv.key.toString("utf8").slice(prefix.length)
      const value = parseJson(kv.value.toString("utf8"))
      if (typeof value !== "object" || value === null || Array.isArray(value))
        throw new Error(`the value of ${storeKey} is not a JSON object`)
      return {
        key: storeKey,
        value: value as Value,
        createRevision: Number(kv.create_revision),
        modRevision: Number(kv.mod_revision)
      }
    }
  }
}
