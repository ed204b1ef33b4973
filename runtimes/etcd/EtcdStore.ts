/**
 * The `Store` service over etcd, with the semantics of Kubernetes' etcd3 storage: every write is one
 * etcd transaction (create if `create_revision == 0`, update and delete if `mod_revision` is the
 * expected one, answering the current value when the compare fails), the store's revision is etcd's
 * revision, and reads at a revision, watches and compaction are etcd's own. A write with a ttl puts
 * its key on an etcd lease; writes close in time share one (Kubernetes' lease manager).
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type { ITxnResponse } from "etcd3"
import { defaultWatchBacklog } from "../../core/store/MemoryStore.js"
import {
  type Entry,
  FutureRevision,
  KeyExists,
  KeyNotFound,
  RevisionConflict,
  Store,
  type StoreUnavailable,
  TooOld,
  type Value,
  type WriteOptions
} from "../../core/store/Store.js"
import * as EtcdClient from "./EtcdClient.js"
import * as EtcdWatch from "./EtcdWatch.js"
import * as Keyspace from "./Keyspace.js"

type Service = Store["Type"]

/**
 * How long a lease is reused, in seconds, for writes with `ttl`: 5% of it, at most a minute
 * (Kubernetes' leaseReuseDurationPercent and leaseReuseDurationSeconds). The lease is granted for
 * `ttl` plus this, so a key lives between `ttl` and that long.
 */
const reuseSeconds = (ttl: number): number => Math.min(60, Math.floor(ttl * 0.05))

export interface EtcdStoreOptions extends EtcdClient.EtcdClientOptions {
  /** The etcd key prefix every store key is kept under (default "/registry", as in Kubernetes). */
  readonly prefix?: string
  /** How many undelivered events a watch may hold before it is dropped with TooOld (default as MemoryStore's). */
  readonly watchBacklog?: number
}

/** A Store over etcd; its client is closed with the scope. */
export const make = (options: EtcdStoreOptions): Effect.Effect<Service, StoreUnavailable, Scope.Scope> =>
  Effect.map(EtcdClient.make(options), (client): Service => {
    const keyspace = Keyspace.make(options.prefix ?? "/registry")
    const backlog = Math.max(1, options.watchBacklog ?? defaultWatchBacklog)

    // The lease the last ttl write was put on, and when it expires (ms on the Clock).
    let lease: { readonly id: string; readonly expires: number } | undefined

    /** The lease for a write living `ttl` seconds: the last one while it outlives `ttl` by at most the reuse time. */
    const leaseFor = (ttl: number): Effect.Effect<string, StoreUnavailable> =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const granted = ttl + reuseSeconds(ttl)
        const last = lease
        if (last !== undefined && now + ttl * 1000 < last.expires && now + granted * 1000 > last.expires)
          return Effect.succeed(last.id)
        return Effect.map(
          client.call(`grant a lease of ${granted}s`, (etcd) => etcd.leaseClient.leaseGrant({ TTL: granted })),
          (response) => {
            lease = { id: response.ID, expires: now + granted * 1000 }
            return response.ID
          }
        )
      })

    /** The put of `value` at `key`, on the lease for `options.ttl` when there is one. */
    const put = (key: string, value: Value, options: WriteOptions | undefined, prevKv: boolean) => {
      const request = { key: keyspace.key(key), value: keyspace.value(value), ...(prevKv ? { prev_kv: true } : {}) }
      const ttl = options?.ttl
      return ttl === undefined || ttl <= 0
        ? Effect.succeed(request)
        : Effect.map(leaseFor(ttl), (id) => ({ ...request, lease: id }))
    }

    const decode = <A>(what: string, read: () => A) =>
      Effect.try({ try: read, catch: (cause) => client.unavailable(what, cause) })

    /** The entry the failure branch of a write's transaction read (a range of the key); undefined if absent. */
    const currentOf = (what: string, response: ITxnResponse) =>
      decode(what, () => {
        const kv = response.responses[0]?.response_range?.kvs[0]
        return kv === undefined ? undefined : keyspace.entry(kv)
      })

    const revision: Service["revision"] = Effect.map(
      client.call("read the revision", (etcd) => etcd.kv.range({ key: keyspace.key("/"), count_only: true })),
      (response) => Number(response.header.revision)
    )

    const get: Service["get"] = (key) => {
      const what = `get ${key}`
      return client
        .call(what, (etcd) => etcd.kv.range({ key: keyspace.key(key) }))
        .pipe(
          Effect.flatMap((response): Effect.Effect<Entry, KeyNotFound | StoreUnavailable> => {
            const kv = response.kvs[0]
            return kv === undefined ? Effect.fail(new KeyNotFound({ key })) : decode(what, () => keyspace.entry(kv))
          })
        )
    }

    const list: Service["list"] = (prefix, options = {}) => {
      const at = options.revision
      const what = at === undefined ? `list ${prefix}` : `list ${prefix} at ${at}`
      const { start, end } = keyspace.range(prefix)
      const after = options.after === undefined ? undefined : keyspace.after(options.after)
      const read = client.callAt(what, (etcd) =>
        etcd.kv.range({
          key: after !== undefined && Buffer.compare(after, start) > 0 ? after : start,
          range_end: end,
          limit: options.limit !== undefined && options.limit > 0 ? options.limit : 0,
          // etcd reads revision 0 as "now"; its state at 0 is its state at 1, before any write.
          revision: at === undefined ? 0 : Math.max(at, 1)
        })
      )
      return read.pipe(
        Effect.flatMap((response) =>
          decode(what, () => {
            const entries = response.kvs.map(keyspace.entry)
            const listed = { entries, revision: at ?? Number(response.header.revision) }
            const remaining = Number(response.count) - entries.length
            if (remaining <= 0) return listed
            return { ...listed, continueAfter: entries[entries.length - 1].key, remaining }
          })
        ),
        Effect.catchTags({
          RevisionCompacted: () =>
            Effect.flatMap(EtcdWatch.compactedRevision(client, keyspace), (compacted) =>
              Effect.fail(new TooOld({ requested: at!, compacted }))
            ),
          // A revision written since etcd refused it is read again.
          RevisionNotReached: () =>
            Effect.flatMap(revision, (current) =>
              current >= at! ? list(prefix, options) : Effect.fail(new FutureRevision({ requested: at!, current }))
            )
        })
      )
    }

    const create: Service["create"] = (key, value, options) =>
      Effect.flatMap(put(key, value, options, false), (request) =>
        client.call(`create ${key}`, (etcd) =>
          etcd.kv.txn({
            compare: [{ key: request.key, target: "Create", result: "Equal", create_revision: 0 }],
            success: [{ request_put: request }]
          })
        )
      ).pipe(
        Effect.flatMap((response) => {
          if (!response.succeeded) return Effect.fail(new KeyExists({ key }))
          const written = Number(response.header.revision)
          return Effect.succeed<Entry>({ key, value, createRevision: written, modRevision: written })
        })
      )

    const update: Service["update"] = (key, value, expected, options) => {
      const what = `update ${key} at ${expected}`
      return Effect.flatMap(put(key, value, options, true), (request) =>
        client.call(what, (etcd) =>
          etcd.kv.txn({
            compare: [
              { key: request.key, target: "Mod", result: "Equal", mod_revision: expected },
              // etcd compares a missing key as revision 0: without this, `expected` 0 would create it.
              { key: request.key, target: "Create", result: "Greater", create_revision: 0 }
            ],
            success: [{ request_put: request }],
            failure: [{ request_range: { key: request.key } }]
          })
        )
      ).pipe(
        Effect.flatMap((response): Effect.Effect<Entry, KeyNotFound | RevisionConflict | StoreUnavailable> => {
          if (response.succeeded) {
            const previous = response.responses[0].response_put.prev_kv
            return Effect.succeed({
              key,
              value,
              createRevision: Number(previous.create_revision),
              modRevision: Number(response.header.revision)
            })
          }
          return Effect.flatMap(currentOf(what, response), (current) =>
            Effect.fail(
              current === undefined ? new KeyNotFound({ key }) : new RevisionConflict({ key, expected, current })
            )
          )
        })
      )
    }

    const remove: Service["delete"] = (key, expected) => {
      const what = expected === undefined ? `delete ${key}` : `delete ${key} at ${expected}`
      return client
        .call(what, (etcd) =>
          etcd.kv.txn({
            compare:
              expected === undefined
                ? []
                : [{ key: keyspace.key(key), target: "Mod", result: "Equal", mod_revision: expected }],
            success: [{ request_delete_range: { key: keyspace.key(key), prev_kv: true } }],
            failure: [{ request_range: { key: keyspace.key(key) } }]
          })
        )
        .pipe(
          Effect.flatMap((response): Effect.Effect<Entry, KeyNotFound | RevisionConflict | StoreUnavailable> => {
            if (response.succeeded) {
              const previous = response.responses[0].response_delete_range.prev_kvs[0]
              if (previous === undefined) return Effect.fail(new KeyNotFound({ key }))
              // Like Kubernetes' etcd3 store: the deleted object carries the delete's revision.
              return decode(what, () => ({
                ...keyspace.entry(previous),
                modRevision: Number(response.header.revision)
              }))
            }
            return Effect.flatMap(currentOf(what, response), (current) =>
              Effect.fail(
                current === undefined
                  ? new KeyNotFound({ key })
                  : new RevisionConflict({ key, expected: expected!, current })
              )
            )
          })
        )
    }

    const compact: Service["compact"] = (target) =>
      target < 1
        ? Effect.void
        : client
            .callAt(`compact at ${target}`, (etcd) => etcd.kv.compact({ revision: target }))
            .pipe(
              Effect.asVoid,
              Effect.catchTags({
                RevisionCompacted: () => Effect.void,
                // As MemoryStore: compaction beyond the current revision stops there.
                RevisionNotReached: () => Effect.flatMap(revision, (current) => compact(Math.min(current, target - 1)))
              })
            )

    return {
      get,
      list,
      create,
      update,
      delete: remove,
      watch: (prefix, from) => EtcdWatch.watch(client, keyspace, backlog, prefix, from),
      revision,
      compact
    }
  })

/** The `Store` service over the etcd at `options.endpoints`. */
export const layer = (options: EtcdStoreOptions): Layer.Layer<Store, StoreUnavailable> =>
  Layer.scoped(Store, make(options))
