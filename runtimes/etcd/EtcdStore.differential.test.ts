import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as fc from "fast-check"
import * as MemoryStore from "../../core/store/MemoryStore.js"
import type { Revision, Store, WatchEvent } from "../../core/store/Store.js"
import { anyOp, type Op, outcome, prefixes } from "../../core/store/StoreOps.js"
import { etcdPresent } from "../e2e.js"
import { holdEtcdTestLock, isolatedStore } from "./EtcdTesting.js"

const present = await etcdPresent("EtcdStore differential test")

const revisionFields = new Set([
  "createRevision",
  "modRevision",
  "revision",
  "expected",
  "requested",
  "compacted",
  "current"
])

/** `answer` with every revision in it made relative to `base` (a store's revision before the first write). */
const relative = (answer: unknown, base: Revision): unknown => {
  if (Array.isArray(answer)) return answer.map((item) => relative(item, base))
  if (typeof answer !== "object" || answer === null) return answer
  return Object.fromEntries(
    Object.entries(answer).map(([field, value]) => [
      field,
      typeof value === "number" && revisionFields.has(field)
        ? value - base
        : field === "value"
          ? value
          : relative(value, base)
    ])
  )
}

/** Runs `op` on a store whose history starts at `base`; revisions in `op` are relative, `right` is `memory`'s. */
const run = (store: Store["Type"], base: Revision, memory: MemoryStore.MemoryStore, op: Op) =>
  Effect.gen(function* () {
    const memoryRevision = yield* memory.revision
    const right = Option.match(yield* Effect.option(memory.get("key" in op ? op.key : "")), {
      onNone: () => 0,
      onSome: (entry) => entry.modRevision
    })
    const absolute = (expected: "right" | number) => base + (expected === "right" ? right : expected)
    const value = { n: "n" in op ? op.n : 0, label: "é✓" }
    switch (op.op) {
      case "create":
        return yield* outcome(store.create(op.key, value))
      case "update":
        return yield* outcome(store.update(op.key, value, absolute(op.expected)))
      case "delete":
        return yield* outcome(store.delete(op.key, op.expected === "none" ? undefined : absolute(op.expected)))
      case "get":
        return yield* outcome(store.get(op.key))
      case "list":
        return yield* outcome(
          store.list(op.prefix, {
            // Any past revision, the current one, or one past it.
            ...(op.at === "current" ? {} : { revision: base + (op.at % (memoryRevision + 2)) }),
            ...(op.limit > 0 ? { limit: op.limit } : {}),
            ...(op.after === undefined ? {} : { after: op.after })
          })
        )
      case "compact":
        // Not drawn: compaction would reach every user of the shared etcd (the conformance suite covers it).
        return yield* Effect.dieMessage("compact is not drawn here")
    }
  })

/** Everything `store` delivers on a watch, appended to `into` as it comes. */
const record = (store: Store["Type"], prefix: string, from: Revision, into: Array<WatchEvent>) =>
  Effect.forkScoped(Stream.runForEach(store.watch(prefix, from), (event) => Effect.sync(() => into.push(event))))

/** Waits (up to 5 s) until `events` holds `count` events. */
const awaitCount = (events: ReadonlyArray<WatchEvent>, count: number) =>
  Effect.gen(function* () {
    for (let i = 0; i < 500 && events.length < count; i++) yield* Effect.sleep("10 millis")
  })

describe.skipIf(!present)("EtcdStore against MemoryStore", () => {
  let release: (() => Promise<void>) | undefined
  beforeAll(async () => {
    release = await holdEtcdTestLock()
  })
  afterAll(() => release?.())

  it("answers every operation and delivers every watch event as MemoryStore does", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(anyOp({ compact: false }), { minLength: 1, maxLength: 40 }),
        fc.constantFrom(...prefixes),
        fc.nat(),
        (ops, replayPrefix, replayAt) =>
          Effect.runPromise(
            Effect.scoped(
              Effect.gen(function* () {
                const memory = yield* MemoryStore.make
                const etcd = yield* isolatedStore()
                const base = yield* etcd.revision
                const watched = { memory: [] as Array<WatchEvent>, etcd: [] as Array<WatchEvent> }
                yield* record(memory, "/", 0, watched.memory)
                yield* record(etcd, "/", base, watched.etcd)
                for (const op of ops) {
                  const fromEtcd = yield* run(etcd, base, memory, op)
                  const fromMemory = yield* run(memory, 0, memory, op)
                  expect({ op, answer: relative(fromEtcd, base) }).toEqual({ op, answer: fromMemory })
                }
                const writes = yield* memory.revision
                expect((yield* etcd.revision) - base).toBe(writes)
                yield* awaitCount(watched.etcd, writes)
                expect(watched.memory.length).toBe(writes)
                expect(relative(watched.etcd, base)).toEqual(watched.memory)
                // A watch opened now replays the same past from any revision, under any prefix.
                const from = replayAt % (writes + 1)
                const replayed = watched.memory.filter((e) => e.revision > from && e.entry.key.startsWith(replayPrefix))
                const replay = (store: Store["Type"], base: Revision) =>
                  Stream.runCollect(Stream.take(store.watch(replayPrefix, base + from), replayed.length)).pipe(
                    Effect.map(Chunk.toReadonlyArray),
                    Effect.timeout("5 seconds")
                  )
                expect(yield* replay(memory, 0)).toEqual(replayed)
                expect(relative(yield* replay(etcd, base), base)).toEqual(replayed)
              })
            )
          )
      ),
      { seed: 42, numRuns: 50 }
    )
  }, 60_000)
})
