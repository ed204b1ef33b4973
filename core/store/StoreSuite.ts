/**
 * The Store conformance suite: every backend (MemoryStore here, etcd in runtimes/etcd) registers the
 * same tests with `testStore(name, layer)`. Each test builds the layer afresh and must find an empty
 * key space; revisions are checked relative to the store's revision at the start of the test, so a
 * shared etcd whose revision is already high passes too.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { type Entry, type Revision, Store, type WatchEvent } from "./Store.js"

const collect = (store: Store["Type"], prefix: string, from: Revision, count: number) =>
  Stream.runCollect(Stream.take(store.watch(prefix, from), count)).pipe(Effect.map(Chunk.toReadonlyArray))

const entry = (key: string, value: object, createRevision: Revision, modRevision: Revision): Entry => ({
  key,
  value: value as Entry["value"],
  createRevision,
  modRevision
})

/** Registers the conformance tests for the Store built by `layer`. */
export const testStore = (name: string, layer: Layer.Layer<Store, unknown>): void => {
  // Live services: a real backend may use the clock for its own timeouts.
  const test = (title: string, body: Effect.Effect<void, unknown, Store | Scope.Scope>) =>
    it.scopedLive(title, () => Effect.provide(body, layer))

  describe(`Store conformance: ${name}`, () => {
    describe("create and get", () => {
      test(
        "create stores the value at the next revision",
        Effect.gen(function* () {
          const store = yield* Store
          const r0 = yield* store.revision
          const created = yield* store.create("/pods/a", { n: 1 })
          expect(created).toEqual(entry("/pods/a", { n: 1 }, r0 + 1, r0 + 1))
          expect(yield* store.get("/pods/a")).toEqual(created)
          expect(yield* store.revision).toBe(r0 + 1)
        })
      )

      test(
        "create of an existing key fails with KeyExists and writes nothing",
        Effect.gen(function* () {
          const store = yield* Store
          const created = yield* store.create("/pods/a", { n: 1 })
          const error = yield* Effect.flip(store.create("/pods/a", { n: 2 }))
          expect(error).toMatchObject({ _tag: "KeyExists", key: "/pods/a" })
          expect(yield* store.revision).toBe(created.modRevision)
          expect(yield* store.get("/pods/a")).toEqual(created)
        })
      )

      test(
        "get of a missing key fails with KeyNotFound",
        Effect.gen(function* () {
          const store = yield* Store
          const error = yield* Effect.flip(store.get("/pods/missing"))
          expect(error).toMatchObject({ _tag: "KeyNotFound", key: "/pods/missing" })
        })
      )
    })

    describe("update", () => {
      test(
        "update with the current modRevision writes a new modRevision and keeps createRevision",
        Effect.gen(function* () {
          const store = yield* Store
          const created = yield* store.create("/pods/a", { n: 1 })
          const updated = yield* store.update("/pods/a", { n: 2 }, created.modRevision)
          expect(updated).toEqual(entry("/pods/a", { n: 2 }, created.createRevision, created.modRevision + 1))
          expect(yield* store.get("/pods/a")).toEqual(updated)
        })
      )

      test(
        "update with a stale modRevision fails with RevisionConflict carrying the current entry",
        Effect.gen(function* () {
          const store = yield* Store
          const created = yield* store.create("/pods/a", { n: 1 })
          const updated = yield* store.update("/pods/a", { n: 2 }, created.modRevision)
          const error = yield* Effect.flip(store.update("/pods/a", { n: 3 }, created.modRevision))
          expect(error).toMatchObject({ _tag: "RevisionConflict", key: "/pods/a", expected: created.modRevision })
          expect(error._tag === "RevisionConflict" && error.current).toEqual(updated)
          expect(yield* store.revision).toBe(updated.modRevision)
        })
      )

      test(
        "update of a missing key fails with KeyNotFound",
        Effect.gen(function* () {
          const store = yield* Store
          const r0 = yield* store.revision
          const error = yield* Effect.flip(store.update("/pods/missing", { n: 1 }, r0))
          expect(error).toMatchObject({ _tag: "KeyNotFound", key: "/pods/missing" })
          expect(yield* store.revision).toBe(r0)
        })
      )
    })

    describe("delete", () => {
      test(
        "delete without precondition returns the entry at the delete's revision and removes the key",
        Effect.gen(function* () {
          const store = yield* Store
          const created = yield* store.create("/pods/a", { n: 1 })
          const updated = yield* store.update("/pods/a", { n: 2 }, created.modRevision)
          const deleted = yield* store.delete("/pods/a")
          expect(deleted).toEqual(entry("/pods/a", { n: 2 }, created.createRevision, updated.modRevision + 1))
          expect(yield* store.revision).toBe(updated.modRevision + 1)
          expect(yield* Effect.flip(store.get("/pods/a"))).toMatchObject({ _tag: "KeyNotFound" })
        })
      )

      test(
        "delete with the current modRevision succeeds; with a stale one fails with RevisionConflict",
        Effect.gen(function* () {
          const store = yield* Store
          const created = yield* store.create("/pods/a", { n: 1 })
          const updated = yield* store.update("/pods/a", { n: 2 }, created.modRevision)
          const error = yield* Effect.flip(store.delete("/pods/a", created.modRevision))
          expect(error).toMatchObject({ _tag: "RevisionConflict", key: "/pods/a", expected: created.modRevision })
          expect(error._tag === "RevisionConflict" && error.current).toEqual(updated)
          expect(yield* store.get("/pods/a")).toEqual(updated)
          const deleted = yield* store.delete("/pods/a", updated.modRevision)
          expect(deleted.modRevision).toBe(updated.modRevision + 1)
          expect(yield* Effect.flip(store.get("/pods/a"))).toMatchObject({ _tag: "KeyNotFound" })
        })
      )

      test(
        "delete of a missing key fails with KeyNotFound, with or without precondition",
        Effect.gen(function* () {
          const store = yield* Store
          const r0 = yield* store.revision
          expect(yield* Effect.flip(store.delete("/pods/missing"))).toMatchObject({
            _tag: "KeyNotFound",
            key: "/pods/missing"
          })
          expect(yield* Effect.flip(store.delete("/pods/missing", r0))).toMatchObject({ _tag: "KeyNotFound" })
          expect(yield* store.revision).toBe(r0)
        })
      )

      test(
        "a key created again after delete starts a new life with a new createRevision",
        Effect.gen(function* () {
          const store = yield* Store
          yield* store.create("/pods/a", { n: 1 })
          const deleted = yield* store.delete("/pods/a")
          const again = yield* store.create("/pods/a", { n: 3 })
          expect(again).toEqual(entry("/pods/a", { n: 3 }, deleted.modRevision + 1, deleted.modRevision + 1))
        })
      )
    })

    describe("revision", () => {
      test(
        "grows by exactly one per write and not on reads or failed writes",
        Effect.gen(function* () {
          const store = yield* Store
          const r0 = yield* store.revision
          const a = yield* store.create("/pods/a", { n: 1 })
          const b = yield* store.create("/pods/b", { n: 1 })
          yield* Effect.flip(store.create("/pods/a", { n: 9 }))
          yield* Effect.flip(store.update("/pods/a", { n: 9 }, r0))
          yield* store.get("/pods/a")
          yield* store.list("/pods/")
          const a2 = yield* store.update("/pods/a", { n: 2 }, a.modRevision)
          const bGone = yield* store.delete("/pods/b", b.modRevision)
          expect([a.modRevision, b.modRevision, a2.modRevision, bGone.modRevision]).toEqual([
            r0 + 1,
            r0 + 2,
            r0 + 3,
            r0 + 4
          ])
          expect(yield* store.revision).toBe(r0 + 4)
        })
      )

      test(
        "createRevision stays with the key's creation while modRevision follows its writes",
        Effect.gen(function* () {
          const store = yield* Store
          const r0 = yield* store.revision
          const a = yield* store.create("/pods/a", { n: 1 })
          const b = yield* store.create("/pods/b", { n: 1 })
          const a2 = yield* store.update("/pods/a", { n: 2 }, a.modRevision)
          const b2 = yield* store.update("/pods/b", { n: 2 }, b.modRevision)
          const a3 = yield* store.update("/pods/a", { n: 3 }, a2.modRevision)
          expect([a3.createRevision, a3.modRevision]).toEqual([r0 + 1, r0 + 5])
          expect([b2.createRevision, b2.modRevision]).toEqual([r0 + 2, r0 + 4])
        })
      )
    })

    describe("list", () => {
      test(
        "lists the keys under a prefix in key order at the current revision",
        Effect.gen(function* () {
          const store = yield* Store
          for (const key of ["/pods/c", "/pods/a", "/pods/b/x", "/pods/b"]) yield* store.create(key, { key })
          const result = yield* store.list("/pods/")
          expect(result.entries.map((e) => e.key)).toEqual(["/pods/a", "/pods/b", "/pods/b/x", "/pods/c"])
          expect(result.revision).toBe(yield* store.revision)
          expect(result.continueAfter).toBeUndefined()
          expect(result.remaining).toBeUndefined()
          expect(yield* store.get("/pods/a")).toEqual(result.entries[0])
        })
      )

      test(
        "a prefix matches only its own keys",
        Effect.gen(function* () {
          const store = yield* Store
          for (const key of ["/pods/a", "/podsx/b", "/pods", "/pod/c", "/pods/ns/d", "/podt/e"])
            yield* store.create(key, { key })
          const keysUnder = (prefix: string) =>
            store.list(prefix).pipe(Effect.map((result) => result.entries.map((e) => e.key)))
          expect(yield* keysUnder("/pods/")).toEqual(["/pods/a", "/pods/ns/d"])
          expect(yield* keysUnder("/podsx/")).toEqual(["/podsx/b"])
          expect(yield* keysUnder("/pods/ns/")).toEqual(["/pods/ns/d"])
          expect(yield* keysUnder("/nodes/")).toEqual([])
        })
      )

      test(
        "lists as of a past revision",
        Effect.gen(function* () {
          const store = yield* Store
          const a = yield* store.create("/pods/a", { n: 1 })
          const b = yield* store.create("/pods/b", { n: 1 })
          const a2 = yield* store.update("/pods/a", { n: 2 }, a.modRevision)
          yield* store.delete("/pods/b")
          const c = yield* store.create("/pods/c", { n: 1 })
          yield* store.create("/nodes/x", { n: 1 })
          const at = (revision: Revision) => store.list("/pods/", { revision })
          expect(yield* at(a.modRevision - 1)).toEqual({ entries: [], revision: a.modRevision - 1 })
          expect(yield* at(a.modRevision)).toEqual({ entries: [a], revision: a.modRevision })
          expect(yield* at(b.modRevision)).toEqual({ entries: [a, b], revision: b.modRevision })
          expect(yield* at(a2.modRevision)).toEqual({ entries: [a2, b], revision: a2.modRevision })
          expect(yield* at(a2.modRevision + 1)).toEqual({ entries: [a2], revision: a2.modRevision + 1 })
          expect(yield* at(c.modRevision)).toEqual({ entries: [a2, c], revision: c.modRevision })
          expect(yield* at(c.modRevision + 1)).toEqual({ entries: [a2, c], revision: c.modRevision + 1 })
        })
      )

      test(
        "a list at a revision not yet written fails",
        Effect.gen(function* () {
          const store = yield* Store
          yield* store.create("/pods/a", { n: 1 })
          const r = yield* store.revision
          expect(yield* Effect.flip(store.list("/pods/", { revision: r + 1 }))).toMatchObject({
            _tag: "FutureRevision",
            requested: r + 1,
            current: r
          })
        })
      )

      test(
        "limit and after paginate in key order, reporting continueAfter and remaining",
        Effect.gen(function* () {
          const store = yield* Store
          for (const key of ["/pods/e", "/pods/b", "/pods/d", "/pods/a", "/pods/c"]) yield* store.create(key, { key })
          yield* store.create("/podsx/a", { n: 1 })
          const first = yield* store.list("/pods/", { limit: 2 })
          expect(first.entries.map((e) => e.key)).toEqual(["/pods/a", "/pods/b"])
          expect(first.continueAfter).toBe("/pods/b")
          expect(first.remaining).toBe(3)
          // A write between pages is not seen by pages read at the first page's revision.
          yield* store.create("/pods/bb", { n: 1 })
          const second = yield* store.list("/pods/", { limit: 2, after: "/pods/b", revision: first.revision })
          expect(second.entries.map((e) => e.key)).toEqual(["/pods/c", "/pods/d"])
          expect(second.continueAfter).toBe("/pods/d")
          expect(second.remaining).toBe(1)
          expect(second.revision).toBe(first.revision)
          const third = yield* store.list("/pods/", { limit: 2, after: "/pods/d", revision: first.revision })
          expect(third.entries.map((e) => e.key)).toEqual(["/pods/e"])
          expect(third.continueAfter).toBeUndefined()
          expect(third.remaining).toBeUndefined()
          const current = yield* store.list("/pods/", { limit: 2, after: "/pods/b" })
          expect(current.entries.map((e) => e.key)).toEqual(["/pods/bb", "/pods/c"])
          expect(current.remaining).toBe(2)
          const exact = yield* store.list("/pods/", { limit: 6 })
          expect(exact.entries.length).toBe(6)
          expect(exact.continueAfter).toBeUndefined()
        })
      )
    })

    describe("watch", () => {
      test(
        "replays past changes as ADDED, MODIFIED and DELETED with the previous entry",
        Effect.gen(function* () {
          const store = yield* Store
          const r0 = yield* store.revision
          const a = yield* store.create("/pods/a", { n: 1 })
          const a2 = yield* store.update("/pods/a", { n: 2 }, a.modRevision)
          const gone = yield* store.delete("/pods/a")
          const events = yield* collect(store, "/pods/", r0, 3)
          expect(events).toEqual([
            { type: "ADDED", entry: a, revision: a.modRevision },
            { type: "MODIFIED", entry: a2, previous: a, revision: a2.modRevision },
            { type: "DELETED", entry: gone, previous: a2, revision: gone.modRevision }
          ])
        })
      )

      test(
        "delivers live changes after the replay, without gap or duplicate",
        Effect.gen(function* () {
          const store = yield* Store
          const r0 = yield* store.revision
          const a = yield* store.create("/pods/a", { n: 1 })
          const watching = yield* Effect.fork(collect(store, "/pods/", r0, 4))
          yield* Effect.yieldNow()
          const a2 = yield* store.update("/pods/a", { n: 2 }, a.modRevision)
          const b = yield* store.create("/pods/b", { n: 1 })
          const a3 = yield* store.update("/pods/a", { n: 3 }, a2.modRevision)
          const events = yield* Fiber.join(watching)
          expect(events.map((e) => e.revision)).toEqual([r0 + 1, r0 + 2, r0 + 3, r0 + 4])
          expect(events.map((e) => e.entry)).toEqual([a, a2, b, a3])
        })
      )

      test(
        "starts after the given revision",
        Effect.gen(function* () {
          const store = yield* Store
          const a = yield* store.create("/pods/a", { n: 1 })
          const b = yield* store.create("/pods/b", { n: 1 })
          const a2 = yield* store.update("/pods/a", { n: 2 }, a.modRevision)
          const events = yield* collect(store, "/pods/", b.modRevision - 1, 2)
          expect(events).toEqual([
            { type: "ADDED", entry: b, revision: b.modRevision },
            { type: "MODIFIED", entry: a2, previous: a, revision: a2.modRevision }
          ])
        })
      )

      test(
        "sees only changes under its prefix",
        Effect.gen(function* () {
          const store = yield* Store
          const r0 = yield* store.revision
          const expected: Array<Revision> = []
          for (let i = 0; i < 5; i++) {
            yield* store.create(`/podsx/${i}`, { i })
            yield* store.create(`/pod${i}`, { i })
            expected.push((yield* store.create(`/pods/${i}`, { i })).modRevision)
            yield* store.create(`/nodes/${i}`, { i })
          }
          const events = yield* collect(store, "/pods/", r0, 5)
          expect(events.map((e) => [e.entry.key, e.revision])).toEqual(expected.map((r, i) => [`/pods/${i}`, r]))
        })
      )

      test(
        "delivers every change in revision order, to every watcher",
        Effect.gen(function* () {
          const store = yield* Store
          const r0 = yield* store.revision
          const first = yield* Effect.fork(collect(store, "/", r0, 150))
          const second = yield* Effect.fork(collect(store, "/", r0, 150))
          yield* Effect.yieldNow()
          const current = new Map<string, Revision>()
          for (let i = 0; i < 150; i++) {
            const key = `/pods/${i % 7}`
            const modRevision = current.get(key)
            const written =
              modRevision === undefined
                ? yield* store.create(key, { i })
                : i % 5 === 0
                  ? yield* store.delete(key, modRevision)
                  : yield* store.update(key, { i }, modRevision)
            if (i % 5 === 0 && modRevision !== undefined) current.delete(key)
            else current.set(key, written.modRevision)
          }
          const revisions = Array.from({ length: 150 }, (_, i) => r0 + 1 + i)
          const seen: ReadonlyArray<ReadonlyArray<WatchEvent>> = [yield* Fiber.join(first), yield* Fiber.join(second)]
          for (const events of seen) expect(events.map((e) => e.revision)).toEqual(revisions)
          expect(seen[0]).toEqual(seen[1])
        })
      )
    })

    describe("compaction", () => {
      test(
        "watch and list from below the compacted revision fail with TooOld; from it on they work",
        Effect.gen(function* () {
          const store = yield* Store
          const r0 = yield* store.revision
          const a = yield* store.create("/pods/a", { n: 1 })
          yield* store.create("/pods/b", { n: 1 })
          const a2 = yield* store.update("/pods/a", { n: 2 }, a.modRevision)
          const c = yield* store.create("/pods/c", { n: 1 })
          yield* store.compact(r0 + 3)
          expect(yield* Effect.flip(Stream.runCollect(store.watch("/pods/", r0 + 1)))).toMatchObject({
            _tag: "TooOld",
            requested: r0 + 1
          })
          expect(yield* Effect.flip(store.list("/pods/", { revision: r0 + 2 }))).toMatchObject({
            _tag: "TooOld",
            requested: r0 + 2
          })
          expect(yield* collect(store, "/pods/", r0 + 3, 1)).toEqual([
            { type: "ADDED", entry: c, revision: c.modRevision }
          ])
          const atCompacted = yield* store.list("/pods/", { revision: r0 + 3 })
          expect(atCompacted.entries.map((e) => e.key)).toEqual(["/pods/a", "/pods/b"])
          expect(atCompacted.entries[0]).toEqual(a2)
          expect((yield* store.list("/pods/")).entries.length).toBe(3)
          expect(yield* store.get("/pods/a")).toEqual(a2)
        })
      )

      test(
        "an open watch keeps running across a compaction",
        Effect.gen(function* () {
          const store = yield* Store
          const r0 = yield* store.revision
          const opened = yield* Deferred.make<void>()
          const watching = yield* Effect.fork(
            Stream.runCollect(
              store.watch("/pods/", r0).pipe(
                Stream.tap(() => Deferred.succeed(opened, undefined)),
                Stream.take(4)
              )
            )
          )
          yield* store.create("/pods/a", { n: 1 })
          // The first event proves the watch is open before the compaction.
          yield* Deferred.await(opened)
          yield* store.create("/pods/b", { n: 1 })
          yield* store.compact(r0 + 2)
          yield* store.create("/pods/c", { n: 1 })
          yield* store.create("/pods/d", { n: 1 })
          const events = Chunk.toReadonlyArray(yield* Fiber.join(watching))
          expect(events.map((e) => e.entry.key)).toEqual(["/pods/a", "/pods/b", "/pods/c", "/pods/d"])
        })
      )
    })
  })
}
