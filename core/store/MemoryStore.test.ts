import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as fc from "fast-check"
import * as MemoryStore from "./MemoryStore.js"
import type { Entry, ListResult, Revision, Value, WatchEvent } from "./Store.js"
import { anyOp, type Op, type Outcome, outcome, prefixes, writeOp } from "./StoreOps.js"
import { testStore } from "./StoreSuite.js"

testStore("MemoryStore", MemoryStore.layer)

/** The obviously correct store: a map, a counter and the full event log; past states are replayed from scratch. */
class Model {
  revision = 0
  compacted = 0
  readonly state = new Map<string, Entry>()
  readonly log: Array<WatchEvent> = []
  constructor(readonly historyLimit: number) {}

  floor(): Revision {
    return Math.max(this.compacted, this.revision - this.historyLimit)
  }

  // Revisions drawn as any number, folded into [0, revision + 1] so reads one past the end are tried too.
  pick(at: number): Revision {
    return at % (this.revision + 2)
  }

  write(type: WatchEvent["type"], entry: Entry, previous: Entry | undefined): Outcome {
    this.log.push(
      previous === undefined
        ? { type, entry, revision: entry.modRevision }
        : { type, entry, previous, revision: entry.modRevision }
    )
    return { ok: entry }
  }

  apply(op: Op): Outcome {
    const current = "key" in op ? this.state.get(op.key) : undefined
    switch (op.op) {
      case "create": {
        if (current !== undefined) return { error: { _tag: "KeyExists", key: op.key } }
        const entry = { key: op.key, value: { n: op.n }, createRevision: ++this.revision, modRevision: this.revision }
        this.state.set(op.key, entry)
        return this.write("ADDED", entry, undefined)
      }
      case "update": {
        if (current === undefined) return { error: { _tag: "KeyNotFound", key: op.key } }
        const expected = op.expected === "right" ? current.modRevision : op.expected
        if (expected !== current.modRevision)
          return { error: { _tag: "RevisionConflict", key: op.key, expected, current } }
        const entry = { ...current, value: { n: op.n }, modRevision: ++this.revision }
        this.state.set(op.key, entry)
        return this.write("MODIFIED", entry, current)
      }
      case "delete": {
        if (current === undefined) return { error: { _tag: "KeyNotFound", key: op.key } }
        const expected = op.expected === "right" ? current.modRevision : op.expected
        if (expected !== "none" && expected !== current.modRevision)
          return { error: { _tag: "RevisionConflict", key: op.key, expected, current } }
        const entry = { ...current, modRevision: ++this.revision }
        this.state.delete(op.key)
        return this.write("DELETED", entry, current)
      }
      case "get":
        return current === undefined ? { error: { _tag: "KeyNotFound", key: op.key } } : { ok: current }
      case "list": {
        const at = op.at === "current" ? this.revision : this.pick(op.at)
        if (at < this.floor()) return { error: { _tag: "TooOld", requested: at, compacted: this.floor() } }
        if (at > this.revision) return { error: { _tag: "FutureRevision", requested: at, current: this.revision } }
        const state = new Map<string, Entry>()
        for (const event of this.log.filter((e) => e.revision <= at)) {
          if (event.type === "DELETED") state.delete(event.entry.key)
          else state.set(event.entry.key, event.entry)
        }
        const matching = [...state.values()]
          .filter((e) => e.key.startsWith(op.prefix) && (op.after === undefined || e.key > op.after))
          .sort((a, b) => (a.key < b.key ? -1 : 1))
        const result: ListResult =
          op.limit > 0 && matching.length > op.limit
            ? {
                entries: matching.slice(0, op.limit),
                revision: at,
                continueAfter: matching[op.limit - 1].key,
                remaining: matching.length - op.limit
              }
            : { entries: matching, revision: at }
        return { ok: result }
      }
      case "compact":
        this.compacted = Math.max(this.compacted, Math.min(this.pick(op.at), this.revision))
        return { ok: undefined }
    }
  }

  eventsAfter(prefix: string, from: Revision): Array<WatchEvent> {
    return this.log.filter((e) => e.revision > from && e.entry.key.startsWith(prefix))
  }
}

const run = (store: MemoryStore.MemoryStore, model: Model, op: Op): Effect.Effect<Outcome> => {
  switch (op.op) {
    case "create":
      return outcome(store.create(op.key, { n: op.n }))
    case "update": {
      const current = model.state.get(op.key)?.modRevision ?? 0
      return outcome(store.update(op.key, { n: op.n }, op.expected === "right" ? current : op.expected))
    }
    case "delete": {
      const current = model.state.get(op.key)?.modRevision ?? 0
      return outcome(
        store.delete(op.key, op.expected === "none" ? undefined : op.expected === "right" ? current : op.expected)
      )
    }
    case "get":
      return outcome(store.get(op.key))
    case "list": {
      const options = {
        ...(op.at === "current" ? {} : { revision: model.pick(op.at) }),
        ...(op.limit > 0 ? { limit: op.limit } : {}),
        ...(op.after === undefined ? {} : { after: op.after })
      }
      return outcome(store.list(op.prefix, options))
    }
    case "compact":
      return outcome(store.compact(model.pick(op.at)))
  }
}

/** Yields to other fibers (never waits on a clock) until `done` holds; a stalled watch fails fast. */
const yieldUntil = (done: Effect.Effect<boolean>, what: string) =>
  Effect.gen(function* () {
    for (let i = 0; i < 1000; i++) {
      if (yield* done) return
      yield* Effect.yieldNow()
    }
    return yield* Effect.dieMessage(`never happened: ${what}`)
  })

const awaitWatchers = (store: MemoryStore.MemoryStore, count: number) =>
  yieldUntil(
    Effect.map(store.watcherCount, (n) => n === count),
    `${count} watchers`
  )

// Every event is queued by the time the writes return, so a watch that is still waiting missed one.
const joinSoon = <A, E>(fiber: Fiber.Fiber<A, E>) =>
  Effect.zipRight(
    yieldUntil(Effect.map(Fiber.poll(fiber), Option.isSome), "the watch received every event"),
    Fiber.join(fiber)
  )

describe("MemoryStore against a model", () => {
  for (const historyLimit of [MemoryStore.defaultHistoryLimit, 4]) {
    it(`answers every operation as the model does (historyLimit ${historyLimit})`, () => {
      fc.assert(
        fc.property(fc.array(anyOp({ compact: true }), { maxLength: 60 }), (ops) => {
          const store = Effect.runSync(MemoryStore.makeWith({ historyLimit }))
          const model = new Model(historyLimit)
          for (const op of ops) {
            // The store call is built before the model moves, since both read the model's current modRevision.
            const actual = Effect.runSync(run(store, model, op))
            expect(actual).toEqual(model.apply(op))
          }
          expect(Effect.runSync(store.revision)).toBe(model.revision)
        }),
        { seed: 42, numRuns: 300 }
      )
    })
  }

  it("a watch (streamed or observed) from any revision R replays exactly the model's changes after R, then live ones", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof({ arbitrary: writeOp, weight: 8 }, anyOp({ compact: true })), { maxLength: 40 }),
        fc.array(fc.oneof({ arbitrary: writeOp, weight: 8 }, anyOp({ compact: true })), { maxLength: 20 }),
        fc.constantFrom(...prefixes),
        fc.nat({ max: 1000 }),
        fc.constantFrom(MemoryStore.defaultHistoryLimit, 6),
        (before, after, prefix, at, historyLimit) =>
          Effect.runPromise(
            Effect.gen(function* () {
              const store = yield* MemoryStore.makeWith({ historyLimit })
              const model = new Model(historyLimit)
              for (const op of before) {
                yield* run(store, model, op)
                model.apply(op)
              }
              const from = at % (model.revision + 3)
              const observed: Array<WatchEvent> = []
              const observer = {
                events: (events: ReadonlyArray<WatchEvent>) => observed.push(...events),
                end: () => {}
              }
              if (from < model.floor()) {
                const error = yield* Effect.flip(Stream.runDrain(store.watch(prefix, from)))
                expect(error).toEqual(expect.objectContaining({ _tag: "TooOld", requested: from }))
                const refused = yield* Effect.flip(store.observe(prefix, from, observer))
                expect(refused).toEqual(expect.objectContaining({ _tag: "TooOld", requested: from }))
                return
              }
              const unobserve = yield* store.observe(prefix, from, observer)
              const afterAll = new Model(historyLimit)
              for (const op of [...before, ...after]) afterAll.apply(op)
              const wanted = afterAll.eventsAfter(prefix, from)
              const watching = yield* Effect.fork(
                Stream.runCollect(Stream.take(store.watch(prefix, from), wanted.length))
              )
              if (wanted.length > 0) yield* awaitWatchers(store, 2)
              for (const op of after) {
                yield* run(store, model, op)
                model.apply(op)
              }
              // The observer has every event the moment the writes return.
              expect(observed).toEqual(afterAll.eventsAfter(prefix, from))
              expect(Chunk.toReadonlyArray(yield* joinSoon(watching))).toEqual(wanted)
              yield* unobserve
              yield* unobserve
              expect(yield* store.watcherCount).toBe(0)
            })
          )
      ),
      { seed: 42, numRuns: 300 }
    )
  })
})

describe("MemoryStore", () => {
  it.effect("freezes values deeply on write and returns them as stored", () =>
    Effect.gen(function* () {
      const store = yield* MemoryStore.make
      const value = { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c" }] } }
      const created = yield* store.create("/pods/a", value)
      expect(created.value).toBe(value)
      expect((yield* store.get("/pods/a")).value).toBe(value)
      expect(() => {
        ;(value.metadata.labels as Record<string, string>).app = "db"
      }).toThrow(TypeError)
      expect(() => value.spec.containers.push({ name: "d" })).toThrow(TypeError)
      expect(() => {
        ;(created as { modRevision: number }).modRevision = 9
      }).toThrow(TypeError)
      // A copy-on-write update shares the frozen parts and freezes the new ones.
      const next: Value = { ...value, spec: { containers: [] } }
      yield* store.update("/pods/a", next, created.modRevision)
      expect(Object.isFrozen(next) && Object.isFrozen(next.spec)).toBe(true)
    })
  )

  it.effect("a watcher that never reads blocks neither writers nor other watchers", () =>
    Effect.gen(function* () {
      const store = yield* MemoryStore.make
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* store.create("/pods/first", { n: 0 })
          // Pulled once so that it is registered, then left unread.
          const stalled = yield* Stream.toPull(store.watch("/pods/", 0))
          expect(Chunk.size(yield* stalled)).toBe(1)
          const reader = yield* Effect.fork(Stream.runCollect(Stream.take(store.watch("/pods/", 1), 5_000)))
          yield* awaitWatchers(store, 2)
          for (let i = 0; i < 5_000; i++) yield* store.create(`/pods/${i}`, { i })
          expect(Chunk.size(yield* joinSoon(reader))).toBe(5_000)
          let pulled = 0
          while (pulled < 5_000) pulled += Chunk.size(yield* stalled)
          expect(pulled).toBe(5_000)
        })
      )
      expect(yield* store.watcherCount).toBe(0)
    })
  )

  it.effect("opening and closing 1,000 watches leaves no watcher behind", () =>
    Effect.gen(function* () {
      const store = yield* MemoryStore.make
      yield* store.create("/pods/a", { n: 1 })
      for (let i = 0; i < 1_000; i++) yield* Stream.runDrain(Stream.take(store.watch(`/pods/`, 0), 1))
      const open = yield* Effect.forEach(Array.from({ length: 1_000 }), (_, i) =>
        Effect.fork(Stream.runDrain(store.watch(i % 2 === 0 ? "/pods/" : "/nodes/", 1)))
      )
      yield* awaitWatchers(store, 1_000)
      yield* store.create("/pods/b", { n: 1 })
      yield* Effect.forEach(open, Fiber.interrupt)
      expect(yield* store.watcherCount).toBe(0)
    })
  )

  it.effect("a watcher that falls further behind than its backlog is dropped: it reads its backlog, then TooOld", () =>
    Effect.gen(function* () {
      const store = yield* MemoryStore.makeWith({ watchBacklog: 5 })
      const gate = yield* Deferred.make<void>()
      const seen: Array<Revision> = []
      const stalled = yield* Effect.fork(
        Effect.either(
          Stream.runForEach(store.watch("/pods/", 0), (event) =>
            Effect.zipRight(
              Deferred.await(gate),
              Effect.sync(() => seen.push(event.revision))
            )
          )
        )
      )
      yield* awaitWatchers(store, 1)
      for (let i = 0; i < 50; i++) yield* store.create(`/pods/${i}`, { i })
      // No longer fed: what it holds is bounded by the backlog.
      expect(yield* store.watcherCount).toBe(0)
      yield* Deferred.succeed(gate, undefined)
      expect(yield* Fiber.join(stalled)).toEqual(Either.left(expect.objectContaining({ _tag: "TooOld" })))
      expect(seen.length).toBeLessThanOrEqual(11)
      expect(seen).toEqual(seen.map((_, i) => i + 1))
    })
  )

  it.effect("trimmed history answers TooOld with the oldest readable revision", () =>
    Effect.gen(function* () {
      const store = yield* MemoryStore.makeWith({ historyLimit: 3 })
      for (let i = 0; i < 5; i++) yield* store.create(`/pods/${i}`, { i })
      const error = yield* Effect.flip(Stream.runDrain(store.watch("/pods/", 1)))
      expect(error).toEqual(expect.objectContaining({ _tag: "TooOld", requested: 1, compacted: 2 }))
      const events = yield* Stream.runCollect(Stream.take(store.watch("/pods/", 2), 3))
      expect(Chunk.toReadonlyArray(events).map((e) => e.revision)).toEqual([3, 4, 5])
      expect((yield* store.list("/pods/", { revision: 2 })).entries.map((e) => e.key)).toEqual(["/pods/0", "/pods/1"])
    })
  )

  it.effect("compaction beyond the current revision stops at the current revision", () =>
    Effect.gen(function* () {
      const store = yield* MemoryStore.make
      yield* store.create("/pods/a", { n: 1 })
      yield* store.compact(100)
      const created = yield* store.create("/pods/b", { n: 1 })
      const events = yield* Stream.runCollect(Stream.take(store.watch("/pods/", 1), 1))
      expect(Chunk.toReadonlyArray(events)).toEqual([{ type: "ADDED", entry: created, revision: 2 }])
    })
  )

  describe("ttl", () => {
    it.effect("a key written with a ttl is deleted once it passes, with a DELETED event at the next revision", () =>
      Effect.gen(function* () {
        const store = yield* MemoryStore.make
        const created = yield* store.create("/events/a", { n: 1 }, { ttl: 60 })
        yield* store.create("/pods/kept", { n: 1 })
        yield* TestClock.adjust("59999 millis")
        expect((yield* store.get("/events/a")).modRevision).toBe(created.modRevision)
        yield* TestClock.adjust("1 millis")
        expect(yield* Effect.flip(store.get("/events/a"))).toEqual(expect.objectContaining({ _tag: "KeyNotFound" }))
        expect(yield* store.revision).toBe(3)
        const events = yield* Stream.runCollect(Stream.take(store.watch("/events/", 0), 2))
        expect(Chunk.toReadonlyArray(events).map((e) => [e.type, e.revision, e.entry.modRevision])).toEqual([
          ["ADDED", 1, 1],
          ["DELETED", 3, 3]
        ])
        expect((yield* store.list("/")).entries.map((e) => e.key)).toEqual(["/pods/kept"])
      })
    )

    it.effect("an update restarts the ttl; an update without one keeps the key for good", () =>
      Effect.gen(function* () {
        const store = yield* MemoryStore.make
        const a = yield* store.create("/events/a", { n: 1 }, { ttl: 10 })
        const b = yield* store.create("/events/b", { n: 1 }, { ttl: 10 })
        yield* TestClock.adjust("8 seconds")
        yield* store.update("/events/a", { n: 2 }, a.modRevision, { ttl: 10 })
        yield* store.update("/events/b", { n: 2 }, b.modRevision)
        yield* TestClock.adjust("8 seconds")
        expect((yield* store.list("/events/")).entries.map((e) => e.key)).toEqual(["/events/a", "/events/b"])
        yield* TestClock.adjust("2 seconds")
        expect((yield* store.list("/events/")).entries.map((e) => e.key)).toEqual(["/events/b"])
        yield* TestClock.adjust("1 hours")
        expect((yield* store.get("/events/b")).value).toEqual({ n: 2 })
      })
    )

    it.effect(
      "keys due together expire earliest first, then in key order; a deleted or recreated key keeps no old ttl",
      () =>
        Effect.gen(function* () {
          const store = yield* MemoryStore.make
          yield* store.create("/e/c", { n: 1 }, { ttl: 5 })
          yield* store.create("/e/b", { n: 1 }, { ttl: 5 })
          yield* store.create("/e/a", { n: 1 }, { ttl: 6 })
          const d = yield* store.create("/e/d", { n: 1 }, { ttl: 1 })
          yield* store.delete("/e/d", d.modRevision)
          yield* store.create("/e/d", { n: 2 })
          yield* TestClock.adjust("10 seconds")
          const from = yield* store.revision
          const events = yield* Stream.runCollect(Stream.take(store.watch("/e/", 6), from - 6))
          expect(Chunk.toReadonlyArray(events).map((e) => `${e.type} ${e.entry.key}`)).toEqual([
            "DELETED /e/b",
            "DELETED /e/c",
            "DELETED /e/a"
          ])
          expect((yield* store.get("/e/d")).value).toEqual({ n: 2 })
        })
    )
  })
})
