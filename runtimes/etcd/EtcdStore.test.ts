import * as Net from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { Etcd3 } from "etcd3"
import { testStore } from "../../core/store/StoreSuite.js"
import { etcdEndpoint, etcdPresent } from "../e2e.js"
import * as EtcdStore from "./EtcdStore.js"
import { freshPrefix, holdEtcdTestLock, isolatedStore, isolatedStoreLayer } from "./EtcdTesting.js"

const present = await etcdPresent("EtcdStore tests")
const [etcdHost, etcdPort] = etcdEndpoint.replace(/^https?:\/\//, "").split(":")

/** A TCP server on 127.0.0.1 handing each connection to `serve`; `cut` destroys every connection so far. */
const tcpServer = (serve: (socket: Net.Socket, track: (socket: Net.Socket) => void) => void) =>
  Effect.gen(function* () {
    const sockets = new Set<Net.Socket>()
    const track = (socket: Net.Socket) => {
      sockets.add(socket)
      socket.on("error", () => socket.destroy())
      socket.on("close", () => sockets.delete(socket))
    }
    const cut = Effect.sync(() => sockets.forEach((socket) => socket.destroy()))
    const server = yield* Effect.acquireRelease(
      Effect.async<Net.Server>((resume) => {
        const server = Net.createServer((socket) => {
          track(socket)
          serve(socket, track)
        })
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
      }),
      (server) =>
        Effect.zipRight(
          cut,
          Effect.async<void>((resume) => {
            server.close(() => resume(Effect.void))
          })
        )
    )
    return { endpoint: `127.0.0.1:${(server.address() as Net.AddressInfo).port}`, cut }
  })

/** Forwards every connection to the test etcd. */
const etcdProxy = tcpServer((client, track) => {
  const upstream = Net.connect({ host: etcdHost, port: Number(etcdPort) })
  track(upstream)
  client.on("close", () => upstream.destroy())
  upstream.on("close", () => client.destroy())
  client.pipe(upstream).pipe(client)
})

/** Accepts connections and never answers. */
const silentServer = tcpServer(() => {})

const rawEtcd = Effect.acquireRelease(
  Effect.sync(() => new Etcd3({ hosts: etcdEndpoint })),
  (etcd) => Effect.sync(() => etcd.close())
)

/** How many watchers the test etcd has open (its `etcd_debugging_mvcc_watcher_total` gauge). */
const etcdWatchers = Effect.promise(async () => {
  const metrics = await (await fetch(`http://${etcdHost}:${etcdPort}/metrics`)).text()
  return Number(/^etcd_debugging_mvcc_watcher_total (\d+)$/m.exec(metrics)?.[1])
})

/** Polls the gauge (up to 5 s) until it reads `count`. */
const awaitWatchers = (count: number) =>
  Effect.gen(function* () {
    for (let i = 0; i < 50; i++) {
      if ((yield* etcdWatchers) === count) return
      yield* Effect.sleep("100 millis")
    }
    expect(yield* etcdWatchers).toBe(count)
  })

describe.skipIf(!present)("EtcdStore", () => {
  let release: (() => Promise<void>) | undefined
  beforeAll(async () => {
    release = await holdEtcdTestLock()
  })
  afterAll(() => release?.())

  testStore("EtcdStore", isolatedStoreLayer())

  it.scopedLive("keeps store key K at etcd key PREFIX + K as JSON text, with etcd's revisions", () =>
    Effect.gen(function* () {
      const prefix = freshPrefix()
      const store = yield* isolatedStore({ prefix })
      const created = yield* store.create("/pods/default/a", { metadata: { name: "a" } })
      const etcd = yield* rawEtcd
      const kv = yield* Effect.promise(() => etcd.get(`${prefix}/pods/default/a`).exec())
      expect(kv.kvs[0].value.toString()).toBe('{"metadata":{"name":"a"}}')
      expect(Number(kv.kvs[0].mod_revision)).toBe(created.modRevision)
      expect(Number(kv.header.revision)).toBe(yield* store.revision)
    })
  )

  it.scopedLive(
    "a key written with a ttl is deleted by etcd after it, with a DELETED event; a write without one keeps it",
    () =>
      Effect.gen(function* () {
        const store = yield* isolatedStore()
        const r0 = yield* store.revision
        yield* store.create("/events/a", { n: 1 }, { ttl: 1 })
        const b = yield* store.create("/events/b", { n: 1 }, { ttl: 1 })
        yield* store.update("/events/b", { n: 2 }, b.modRevision)
        const deleted = yield* Stream.runHead(
          Stream.filter(store.watch("/events/", r0), (event) => event.type === "DELETED")
        ).pipe(Effect.timeout("15 seconds"))
        expect(deleted.pipe(Option.map((event) => event.entry.key))).toEqual(Option.some("/events/a"))
        expect((yield* store.list("/events/")).entries.map((entry) => [entry.key, entry.value])).toEqual([
          ["/events/b", { n: 2 }]
        ])
      })
  )

  it.scopedLive("writes with a ttl close in time share one etcd lease, granted for the ttl plus 5%", () =>
    Effect.gen(function* () {
      const prefix = freshPrefix()
      const store = yield* isolatedStore({ prefix })
      const a = yield* store.create("/events/a", { n: 1 }, { ttl: 60 })
      yield* store.create("/events/b", { n: 1 }, { ttl: 60 })
      yield* store.update("/events/a", { n: 2 }, a.modRevision, { ttl: 60 })
      const etcd = yield* rawEtcd
      const kvs = (yield* Effect.promise(() => etcd.getAll().prefix(`${prefix}/events/`).exec())).kvs
      const leases = new Set(kvs.map((kv) => kv.lease))
      expect(kvs.length).toBe(2)
      expect(leases.size).toBe(1)
      const [lease] = leases
      const ttl = yield* Effect.promise(() => etcd.leaseClient.leaseTimeToLive({ ID: lease! }))
      expect(Number(ttl.grantedTTL)).toBe(63)
    })
  )

  it.scopedLive("every call to a closed port fails with StoreUnavailable naming the endpoint, within seconds", () =>
    Effect.gen(function* () {
      const store = yield* EtcdStore.make({ endpoints: "127.0.0.1:1" })
      const started = Date.now()
      const failures = [
        yield* Effect.flip(store.revision),
        yield* Effect.flip(store.get("/pods/a")),
        yield* Effect.flip(store.list("/pods/", { revision: 3, limit: 1 })),
        yield* Effect.flip(store.create("/pods/a", { n: 1 })),
        yield* Effect.flip(store.update("/pods/a", { n: 1 }, 2)),
        yield* Effect.flip(store.delete("/pods/a")),
        yield* Effect.flip(store.compact(5)),
        yield* Effect.flip(Stream.runDrain(store.watch("/pods/", 0)))
      ]
      for (const failure of failures) {
        expect(failure._tag).toBe("StoreUnavailable")
        expect(failure._tag === "StoreUnavailable" && failure.message).toContain("etcd at 127.0.0.1:1")
      }
      expect(Date.now() - started).toBeLessThan(5_000)
    })
  )

  it.scopedLive("a call to a server that never answers fails with StoreUnavailable after the timeout", () =>
    Effect.gen(function* () {
      const server = yield* silentServer
      const store = yield* EtcdStore.make({ endpoints: server.endpoint, timeout: "1 second" })
      const started = Date.now()
      const failure = yield* Effect.flip(store.create("/pods/a", { n: 1 }))
      const elapsed = Date.now() - started
      expect(failure).toMatchObject({ _tag: "StoreUnavailable" })
      expect(failure.message).toContain(`etcd at ${server.endpoint}: create /pods/a`)
      expect(elapsed).toBeGreaterThanOrEqual(900)
      expect(elapsed).toBeLessThan(4_000)
    })
  )

  it.scopedLive("a watch ends with StoreUnavailable when its connection is cut", () =>
    Effect.gen(function* () {
      const proxy = yield* etcdProxy
      const store = yield* isolatedStore({ endpoints: proxy.endpoint })
      const r0 = yield* store.revision
      const first = yield* Deferred.make<void>()
      const watching = yield* Effect.fork(
        Effect.either(
          Stream.runDrain(store.watch("/pods/", r0).pipe(Stream.tap(() => Deferred.succeed(first, undefined))))
        )
      )
      yield* store.create("/pods/a", { n: 1 })
      yield* Deferred.await(first)
      yield* proxy.cut
      const ended = yield* Fiber.join(watching).pipe(Effect.timeout("10 seconds"))
      expect(ended).toEqual(Either.left(expect.objectContaining({ _tag: "StoreUnavailable" })))
      expect(Either.isLeft(ended) && ended.left.message).toContain(`etcd at ${proxy.endpoint}: watch /pods/ from ${r0}`)
    })
  )

  it.scopedLive("watch and list below etcd's compacted revision fail with TooOld carrying it", () =>
    Effect.gen(function* () {
      const store = yield* isolatedStore()
      const a = yield* store.create("/pods/a", { n: 1 })
      const b = yield* store.create("/pods/b", { n: 1 })
      const c = yield* store.create("/pods/c", { n: 1 })
      yield* store.compact(b.modRevision)
      const tooOld = { _tag: "TooOld", requested: a.modRevision, compacted: b.modRevision }
      expect(yield* Effect.flip(Stream.runDrain(store.watch("/pods/", a.modRevision)))).toMatchObject(tooOld)
      expect(yield* Effect.flip(store.list("/pods/", { revision: a.modRevision }))).toMatchObject(tooOld)
      // Compacting again at or below the compacted revision changes nothing.
      yield* store.compact(a.modRevision)
      const events = yield* Stream.runCollect(Stream.take(store.watch("/pods/", b.modRevision), 1))
      expect(Chunk.toReadonlyArray(events)).toEqual([{ type: "ADDED", entry: c, revision: c.modRevision }])
    })
  )

  it.scopedLive("a watch that falls more than its backlog behind reads its backlog, then TooOld", () =>
    Effect.gen(function* () {
      const store = yield* isolatedStore({ watchBacklog: 5 })
      const r0 = yield* store.revision
      for (let i = 0; i < 20; i++) yield* store.create(`/pods/${i}`, { i })
      const seen: Array<number> = []
      const ended = yield* Effect.either(
        Stream.runForEach(store.watch("/pods/", r0), (event) => Effect.sync(() => seen.push(event.revision)))
      )
      expect(ended).toEqual(Either.left(expect.objectContaining({ _tag: "TooOld", requested: r0 })))
      expect(seen.length).toBeGreaterThanOrEqual(5)
      expect(seen.length).toBeLessThan(20)
      expect(seen).toEqual(seen.map((_, i) => r0 + 1 + i))
    })
  )

  it.scopedLive("the etcd watcher of a watch is closed when its consumer stops", () =>
    Effect.gen(function* () {
      const store = yield* isolatedStore()
      const before = yield* etcdWatchers
      const r0 = yield* store.revision
      yield* store.create("/pods/a", { n: 1 })
      for (let i = 0; i < 5; i++) yield* Stream.runDrain(Stream.take(store.watch("/pods/", r0), 1))
      const open = yield* Effect.forEach([1, 2, 3], () => Effect.fork(Stream.runDrain(store.watch("/pods/", r0))))
      yield* awaitWatchers(before + 3)
      yield* Effect.forEach(open, Fiber.interrupt)
      yield* awaitWatchers(before)
    })
  )

  it.scopedLive("a value that is not a JSON object fails reads and watches with StoreUnavailable naming its key", () =>
    Effect.gen(function* () {
      const prefix = freshPrefix()
      const store = yield* isolatedStore({ prefix })
      const r0 = yield* store.revision
      const etcd = yield* rawEtcd
      yield* Effect.promise(() => etcd.put(`${prefix}/pods/bad`).value("not json"))
      const message = "the value of /pods/bad is not a JSON object"
      expect((yield* Effect.flip(store.get("/pods/bad"))).message).toContain(message)
      expect((yield* Effect.flip(store.list("/pods/"))).message).toContain(message)
      expect((yield* Effect.flip(Stream.runDrain(store.watch("/pods/", r0)))).message).toContain(message)
    })
  )
})
