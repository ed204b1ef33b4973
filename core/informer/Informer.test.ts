import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as TestContext from "effect/TestContext"
import * as fc from "fast-check"
import type { KubeObject } from "../api/meta.js"
import { type Namespace, Namespaces } from "../api/Namespace.js"
import { type Pod, Pods } from "../api/Pod.js"
import * as ApiServer from "../apiserver/ApiServer.js"
import * as Client from "../client/Client.js"
import { Transport, Unreachable } from "../client/Transport.js"
import * as MemoryStore from "../store/MemoryStore.js"
import { Store } from "../store/Store.js"
import * as TestCluster from "../testing/TestCluster.js"
import * as Informer from "./Informer.js"

const pod = (name: string, labels: Record<string, string> = {}, extra: Partial<Pod["metadata"]> = {}): Pod =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels, ...extra },
    spec: { containers: [{ name: "main", image: "nginx:1.27" }] }
  }) as unknown as Pod

const namespace = (name: string): Namespace =>
  ({ apiVersion: "v1", kind: "Namespace", metadata: { name } }) as unknown as Namespace

const relabel = (name: string, labels: Record<string, string>) =>
  Effect.flatMap(Client.Client, (client) => client.patch(Pods, name, { metadata: { labels } }, { type: "merge" }))

const names = (items: ReadonlyArray<KubeObject>) => items.map((item) => item.metadata.name)

/** A handler that writes what it is told as lines: "add a initial", "update a", "delete a unknown". */
const recorder = (log: Array<string>): Informer.EventHandler<Pod> => ({
  onAdd: (obj, initial) => Effect.sync(() => log.push(`add ${obj.metadata.name}${initial ? " initial" : ""}`)),
  onUpdate: (old, obj) =>
    Effect.sync(() => log.push(old === obj ? `resync ${obj.metadata.name}` : `update ${obj.metadata.name}`)),
  onDelete: (obj, unknown) => Effect.sync(() => log.push(`delete ${obj.metadata.name}${unknown ? " unknown" : ""}`))
})

/**
 * A handler that rebuilds the state from what it is told (key → resourceVersion) and notes every
 * event that could not follow from the previous ones: a duplicate add, an update or delete of an
 * unknown key, an update that does not move forward.
 */
const mirror = () => {
  const state = new Map<string, string>()
  const violations: Array<string> = []
  const handler: Informer.EventHandler<KubeObject> = {
    onAdd: (obj) =>
      Effect.sync(() => {
        const key = Informer.keyOf(obj)
        if (state.has(key)) violations.push(`duplicate add ${key}`)
        state.set(key, obj.metadata.resourceVersion ?? "")
      }),
    onUpdate: (old, obj) =>
      Effect.sync(() => {
        const key = Informer.keyOf(obj)
        if (state.get(key) !== old.metadata.resourceVersion) violations.push(`update of ${key} from an unseen state`)
        if (old !== obj && Number(obj.metadata.resourceVersion) <= Number(old.metadata.resourceVersion))
          violations.push(`update of ${key} not forward`)
        state.set(key, obj.metadata.resourceVersion ?? "")
      }),
    onDelete: (obj) =>
      Effect.sync(() => {
        const key = Informer.keyOf(obj)
        if (!state.delete(key)) violations.push(`delete of unknown ${key}`)
      })
  }
  return { state, violations, handler }
}

const versions = (items: ReadonlyArray<KubeObject>) =>
  new Map(items.map((item) => [Informer.keyOf(item), item.metadata.resourceVersion ?? ""]))

/**
 * The link between the informer's Client and the API server, which a test can cut: open watches
 * end and requests fail with Unreachable until it heals. `writer` reaches the server directly.
 */
class Link extends Context.Tag("test/Link")<
  Link,
  {
    readonly client: Client.Client["Type"]
    readonly writer: Client.Client["Type"]
    readonly cut: Effect.Effect<void>
    readonly heal: Effect.Effect<void>
    /** Requests sent over the link so far (failed ones included). */
    readonly requests: () => number
    readonly watchers: Effect.Effect<number>
  }
>() {}

const linked = (memory: MemoryStore.MemoryStore) =>
  Effect.gen(function* () {
    const server = yield* ApiServer.ApiServer
    let down = false
    let requests = 0
    // Each cut ends a generation: a watch delivers nothing once its generation is over, and ends even when idle.
    let generation = 0
    let severed = yield* Deferred.make<void>()
    const transport: Transport["Type"] = {
      request: (request) =>
        Effect.suspend(() => {
          requests++
          if (down) return Effect.fail(new Unreachable({ message: "link is down" }))
          const [open, current] = [severed, generation]
          return Effect.map(server.handle(request), (response) =>
            response._tag === "Watch"
              ? {
                  ...response,
                  events: response.events.pipe(
                    Stream.takeWhile(() => generation === current),
                    Stream.interruptWhenDeferred(open)
                  )
                }
              : response
          )
        })
    }
    const client = yield* Effect.provideService(Client.make, Transport, transport)
    const writer = yield* Effect.provideService(Client.make, Transport, { request: server.handle })
    return Link.of({
      client,
      writer,
      cut: Effect.suspend(() => {
        down = true
        generation++
        return Deferred.succeed(severed, undefined)
      }),
      heal: Effect.map(Deferred.make<void>(), (fresh) => {
        severed = fresh
        down = false
      }),
      requests: () => requests,
      watchers: memory.watcherCount
    })
  })

/** A MemoryStore and API server; the Client (the informers') goes over a `Link`. */
const linkedCluster = (): Layer.Layer<Client.Client | Store | Link> =>
  Layer.unwrapEffect(
    Effect.map(MemoryStore.make, (memory) => {
      const store = Layer.succeed(Store, memory)
      const link = Layer.effect(Link, linked(memory)).pipe(Layer.provide(ApiServer.layer()), Layer.provideMerge(store))
      return Layer.effect(
        Client.Client,
        Effect.map(Link, (l) => l.client)
      ).pipe(Layer.provideMerge(link))
    })
  )

const runCluster = <A, E>(effect: Effect.Effect<A, E, Client.Client | Store | Scope.Scope>) =>
  effect.pipe(Effect.scoped, Effect.provide(TestCluster.layer()), TestCluster.seeded())

// Quiet: these tests cut the link on purpose, and the informer warns of every failed attempt.
const runLinked = <A, E>(effect: Effect.Effect<A, E, Client.Client | Store | Link | Scope.Scope>) =>
  effect.pipe(
    Effect.scoped,
    Effect.provide(linkedCluster()),
    TestCluster.seeded(),
    Logger.withMinimumLogLevel(LogLevel.Error)
  )

// Steps of a second: the reflector's first backoffs are 0.8 to 3.2 s, and each TestClock step has a cost.
const expectLog = (log: ReadonlyArray<string>, expected: ReadonlyArray<string>) =>
  TestCluster.eventually(
    Effect.sync(() => expect(log).toEqual(expected)),
    { step: "1 second" }
  )

describe("Informer", () => {
  it.effect("lists, then delivers watch events in order", () =>
    runCluster(
      Effect.gen(function* () {
        const client = yield* Client.Client
        yield* client.create(Pods, pod("a"))
        yield* client.create(Pods, pod("b"))
        const informer = yield* Informer.make(Pods)
        const log: Array<string> = []
        yield* informer.addHandler(recorder(log))
        yield* informer.waitForSync
        expect(informer.hasSynced()).toBe(true)
        expect(log).toEqual(["add a initial", "add b initial"])
        yield* client.create(Pods, pod("c"))
        yield* relabel("a", { tier: "web" })
        yield* client.delete(Pods, "b")
        yield* expectLog(log, ["add a initial", "add b initial", "add c", "update a", "delete b"])
        expect(names(informer.list())).toEqual(["a", "c"])
        expect(informer.get("default/a")?.metadata.labels).toEqual({ tier: "web" })
        expect(informer.get("default/b")).toBeUndefined()
        const rv = (yield* client.get(Pods, "a")).metadata.resourceVersion
        expect(Number(informer.lastSyncResourceVersion())).toBeGreaterThanOrEqual(Number(rv))
      })
    )
  )

  it.effect("a handler added late gets the cache first, then live events, with nothing doubled or missed", () =>
    runCluster(
      Effect.gen(function* () {
        const client = yield* Client.Client
        for (const name of ["a", "b", "c"]) yield* client.create(Pods, pod(name))
        const informer = yield* Informer.make(Pods)
        yield* informer.waitForSync
        const log: Array<string> = []
        yield* informer.addHandler(recorder(log))
        expect(log).toEqual(["add a initial", "add b initial", "add c initial"])
        yield* client.create(Pods, pod("d"))
        yield* expectLog(log, ["add a initial", "add b initial", "add c initial", "add d"])

        // Registered while writes stream in, amid their events: the replay and the live events meet exactly once.
        for (let i = 0; i < 50; i++) yield* client.create(Pods, pod(`bulk${i}`))
        yield* TestCluster.eventually(Effect.sync(() => expect(informer.list().length).toBe(54)))
        const writes = yield* Effect.fork(
          Effect.forEach(
            Array.from({ length: 50 }, (_, i) => i),
            (i) =>
              Effect.all([
                relabel(`bulk${(i * 17) % 50}`, { round: String(i) }),
                client.create(Pods, pod(`w${i}`)),
                i >= 3 ? client.delete(Pods, `w${i - 3}`) : Effect.void,
                Effect.yieldNow()
              ])
          )
        )
        const before = Number(informer.lastSyncResourceVersion())
        while (Number(informer.lastSyncResourceVersion()) < before + 20) yield* Effect.yieldNow()
        const late = mirror()
        yield* informer.addHandler(late.handler)
        yield* writes.await
        yield* TestCluster.eventually(
          Effect.gen(function* () {
            const listed = yield* client.list(Pods)
            expect(late.state).toEqual(versions(listed.items))
          })
        )
        expect(late.violations).toEqual([])
      })
    )
  )

  it.effect("honours namespace, label and field selections", () =>
    runCluster(
      Effect.gen(function* () {
        const client = yield* Client.Client
        yield* client.create(Namespaces, namespace("other"))
        yield* client.create(Pods, pod("a1", { app: "a" }))
        yield* client.create(Pods, pod("b1", { app: "b" }))
        yield* client.create(Pods, pod("a2", { app: "a" }, { namespace: "other" }))
        const inOther = yield* Informer.make(Pods, { namespace: "other" })
        const appA = yield* Informer.make(Pods, { labelSelector: "app=a" })
        const onNode = yield* Informer.make(Pods, { fieldSelector: "spec.nodeName=n1" })
        const nodeLog: Array<string> = []
        yield* onNode.addHandler(recorder(nodeLog))
        yield* Effect.all([inOther.waitForSync, appA.waitForSync, onNode.waitForSync])
        expect(names(inOther.list())).toEqual(["a2"])
        expect(names(appA.list()).sort()).toEqual(["a1", "a2"])
        expect(onNode.list()).toEqual([])

        yield* client.bind("b1", "default", "n1")
        yield* relabel("b1", { app: "a" })
        yield* relabel("a1", { app: "x" })
        yield* TestCluster.eventually(
          Effect.sync(() => {
            expect(names(onNode.list())).toEqual(["b1"])
            expect(names(appA.list()).sort()).toEqual(["a2", "b1"])
          })
        )
        expect(nodeLog).toEqual(["add b1", "update b1"])
        expect(names(inOther.list())).toEqual(["a2"])
      })
    )
  )

  it.effect("keeps the namespace, owner uid, node name and added indexes up to date", () =>
    runCluster(
      Effect.gen(function* () {
        const client = yield* Client.Client
        yield* client.create(Namespaces, namespace("other"))
        const owner = { apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "rs-uid", controller: true }
        yield* client.create(Pods, pod("a", { app: "web" }, { ownerReferences: [owner] }))
        yield* client.create(Pods, pod("b", { app: "web" }))
        yield* client.create(Pods, pod("c", { app: "db" }, { namespace: "other", ownerReferences: [owner] }))
        const informer = yield* Informer.make(Pods)
        yield* informer.waitForSync
        informer.addIndexer("app", (p) => (p.metadata.labels?.app === undefined ? [] : [p.metadata.labels.app]))
        const byIndex = (index: string, value: string) => names(informer.byIndex(index, value)).sort()

        expect(byIndex(Informer.byNamespace, "default")).toEqual(["a", "b"])
        expect(byIndex(Informer.byNamespace, "other")).toEqual(["c"])
        expect(byIndex(Informer.byOwnerUid, "rs-uid")).toEqual(["a", "c"])
        expect(byIndex(Informer.byNodeName, "n1")).toEqual([])
        expect(byIndex("app", "web")).toEqual(["a", "b"])
        expect(byIndex("missing-index", "x")).toEqual([])

        yield* client.bind("a", "default", "n1")
        yield* client.bind("c", "other", "n1")
        yield* relabel("b", { app: "db" })
        yield* client.delete(Pods, "c", { namespace: "other", gracePeriodSeconds: 0 })
        yield* TestCluster.eventually(
          Effect.sync(() => {
            expect(byIndex(Informer.byNodeName, "n1")).toEqual(["a"])
            expect(byIndex("app", "web")).toEqual(["a"])
            expect(byIndex("app", "db")).toEqual(["b"])
            expect(byIndex(Informer.byOwnerUid, "rs-uid")).toEqual(["a"])
            expect(byIndex(Informer.byNamespace, "other")).toEqual([])
          })
        )
      })
    )
  )

  it.effect("resumes a cut watch from its last resourceVersion: the missed events once, none twice", () =>
    runLinked(
      Effect.gen(function* () {
        const link = yield* Link
        yield* link.writer.create(Pods, pod("a"))
        yield* link.writer.create(Pods, pod("b"))
        const informer = yield* Informer.make(Pods)
        const log: Array<string> = []
        yield* informer.addHandler(recorder(log))
        yield* informer.waitForSync
        yield* link.writer.create(Pods, pod("c"))
        yield* expectLog(log, ["add a initial", "add b initial", "add c"])

        yield* link.cut
        yield* link.writer.create(Pods, pod("d"))
        yield* link.writer.patch(Pods, "a", { metadata: { labels: { v: "2" } } }, { type: "merge" })
        yield* link.writer.delete(Pods, "b")
        yield* TestClock.adjust("10 seconds")
        yield* TestCluster.settle
        expect(log.length).toBe(3)
        yield* link.heal
        yield* expectLog(log, ["add a initial", "add b initial", "add c", "add d", "update a", "delete b"])
        yield* TestClock.adjust("5 minutes")
        yield* TestCluster.settle
        expect(log.length).toBe(6)
        expect(names(informer.list())).toEqual(["a", "c", "d"])
      })
    )
  )

  it.effect("re-lists after compaction and tells only the difference (deletions as final state unknown)", () =>
    runLinked(
      Effect.gen(function* () {
        const link = yield* Link
        const store = yield* Store
        for (const name of ["a", "b", "c"]) yield* link.writer.create(Pods, pod(name))
        const informer = yield* Informer.make(Pods)
        const log: Array<string> = []
        yield* informer.addHandler(recorder(log))
        yield* informer.waitForSync

        yield* link.cut
        yield* link.writer.create(Pods, pod("d"))
        yield* link.writer.patch(Pods, "a", { metadata: { labels: { v: "2" } } }, { type: "merge" })
        yield* link.writer.delete(Pods, "b")
        yield* link.writer.create(Pods, pod("e"))
        yield* link.writer.delete(Pods, "e")
        yield* store.compact(yield* store.revision)
        yield* link.heal
        yield* expectLog(log, [
          "add a initial",
          "add b initial",
          "add c initial",
          "update a",
          "add d",
          "delete b unknown"
        ])
        expect(names(informer.list())).toEqual(["a", "c", "d"])
        expect(informer.get("default/a")?.metadata.labels).toEqual({ v: "2" })

        // Live again: later events arrive by watch.
        yield* link.writer.create(Pods, pod("f"))
        yield* expectLog(log, [
          "add a initial",
          "add b initial",
          "add c initial",
          "update a",
          "add d",
          "delete b unknown",
          "add f"
        ])
      })
    )
  )

  it.effect("an object deleted and created again while the watch was down is a delete and an add, not an update", () =>
    runLinked(
      Effect.gen(function* () {
        const link = yield* Link
        const store = yield* Store
        yield* link.writer.create(Pods, pod("a"))
        const informer = yield* Informer.make(Pods)
        const log: Array<string> = []
        const uids: Array<string | undefined> = []
        yield* informer.addHandler({
          ...recorder(log),
          onDelete: (obj, unknown) =>
            Effect.sync(() => {
              uids.push(obj.metadata.uid)
              log.push(`delete ${obj.metadata.name}${unknown ? " unknown" : ""}`)
            })
        })
        yield* informer.waitForSync
        const first = informer.get("default/a")!.metadata.uid

        yield* link.cut
        yield* link.writer.delete(Pods, "a")
        const second = yield* link.writer.create(Pods, pod("a"))
        yield* store.compact(yield* store.revision)
        yield* link.heal
        yield* expectLog(log, ["add a initial", "delete a unknown", "add a"])
        expect(uids).toEqual([first])
        expect(informer.get("default/a")?.metadata.uid).toBe(second.metadata.uid)
      })
    )
  )

  it.effect("a handler is removed when the scope that added it closes", () =>
    runCluster(
      Effect.gen(function* () {
        const client = yield* Client.Client
        const informer = yield* Informer.make(Pods)
        yield* informer.waitForSync
        const [term1, term2]: [Array<string>, Array<string>] = [[], []]
        yield* Effect.scoped(
          Effect.gen(function* () {
            yield* informer.addHandler(recorder(term1))
            yield* client.create(Pods, pod("a"))
            yield* expectLog(term1, ["add a"])
          })
        )
        yield* informer.addHandler(recorder(term2))
        yield* client.create(Pods, pod("b"))
        yield* expectLog(term2, ["add a initial", "add b"])
        expect(term1).toEqual(["add a"])
      })
    )
  )

  it.effect("renews its watch after minWatchTimeout to twice that", () =>
    runLinked(
      Effect.gen(function* () {
        const link = yield* Link
        const informer = yield* Informer.make(Pods, { minWatchTimeout: "1 hour" })
        yield* informer.waitForSync
        const before = link.requests()
        yield* TestClock.adjust("59 minutes")
        expect(link.requests()).toBe(before)
        // One watch request every 1 to 2 hours: 10 hours hold 5 to 10 renewals.
        yield* TestClock.adjust("10 hours")
        expect(link.requests() - before).toBeGreaterThanOrEqual(5)
        expect(link.requests() - before).toBeLessThanOrEqual(10)
        yield* link.writer.create(Pods, pod("a"))
        yield* TestCluster.eventually(Effect.sync(() => expect(names(informer.list())).toEqual(["a"])))
      })
    )
  )

  it.effect("backs off while the server is unreachable instead of looping", () =>
    runLinked(
      Effect.gen(function* () {
        const link = yield* Link
        const informer = yield* Informer.make(Pods)
        yield* informer.waitForSync
        yield* link.cut
        const before = link.requests()
        // 800 ms doubling to 30 s, jittered up to twice: 10 minutes hold between 10 and 30 attempts
        // (the TestClock wakes each sleeper in turn and lets it run before the next).
        yield* TestClock.adjust("10 minutes")
        const attempts = link.requests() - before
        expect(attempts).toBeGreaterThanOrEqual(10)
        expect(attempts).toBeLessThanOrEqual(30)
        yield* link.heal
        yield* link.writer.create(Pods, pod("back"))
        yield* TestCluster.eventually(
          Effect.sync(() => expect(names(informer.list())).toEqual(["back"])),
          { timeout: "2 minutes", step: "10 seconds" }
        )
      })
    )
  )

  it.effect("a failing or dying handler is logged and skipped; the others and the cache go on", () => {
    const warnings: Array<unknown> = []
    const capture = Logger.make(({ logLevel, message }) => {
      if (logLevel._tag === "Warning") warnings.push(message)
    })
    return runCluster(
      Effect.gen(function* () {
        const client = yield* Client.Client
        const informer = yield* Informer.make(Pods)
        yield* informer.addHandler({
          onAdd: (obj) =>
            obj.metadata.name === "boom"
              ? Effect.die(new Error("handler bug"))
              : Effect.fail("not typed, still caught" as never)
        })
        const log: Array<string> = []
        yield* informer.addHandler(recorder(log))
        yield* informer.waitForSync
        yield* client.create(Pods, pod("boom"))
        yield* client.create(Pods, pod("after"))
        yield* expectLog(log, ["add boom", "add after"])
        expect(names(informer.list())).toEqual(["boom", "after"])
        expect(warnings.length).toBe(2)
      }).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, capture)))
    )
  })

  it.effect("resyncs every cached object to every handler each period", () =>
    runCluster(
      Effect.gen(function* () {
        const client = yield* Client.Client
        yield* client.create(Pods, pod("a"))
        yield* client.create(Pods, pod("b"))
        const informer = yield* Informer.make(Pods, { resyncPeriod: "30 seconds" })
        const log: Array<string> = []
        yield* informer.addHandler(recorder(log))
        yield* informer.waitForSync
        yield* TestClock.adjust("29 seconds")
        yield* TestCluster.settle
        expect(log).toEqual(["add a initial", "add b initial"])
        yield* TestClock.adjust("1 second")
        yield* TestCluster.settle
        expect(log).toEqual(["add a initial", "add b initial", "resync a", "resync b"])
        yield* TestClock.adjust("30 seconds")
        yield* TestCluster.settle
        expect(log.length).toBe(6)
      })
    )
  )

  it.effect("stops watching when its scope closes", () =>
    runLinked(
      Effect.gen(function* () {
        const link = yield* Link
        expect(yield* link.watchers).toBe(0)
        const log: Array<string> = []
        const informer = yield* Effect.scoped(
          Effect.gen(function* () {
            const informer = yield* Informer.make(Pods)
            yield* informer.addHandler(recorder(log))
            yield* informer.waitForSync
            yield* TestCluster.settle
            expect(yield* link.watchers).toBe(1)
            return informer
          })
        )
        yield* TestCluster.settle
        expect(yield* link.watchers).toBe(0)
        yield* link.writer.create(Pods, pod("late"))
        yield* TestClock.adjust("10 minutes")
        yield* TestCluster.settle
        expect(log).toEqual([])
        expect(informer.list()).toEqual([])
      })
    )
  )

  describe("property", () => {
    type Write = { readonly _tag: "create" | "update" | "delete"; readonly pod: number; readonly value: number }
    type Op =
      | Write
      | { readonly _tag: "compact" | "cut" | "heal" | "subscribe" }
      | { readonly _tag: "tick"; readonly millis: number }
      /** Cut, write while cut (compacting or not), wait, heal: the gaps a re-watch or a re-list must fill. */
      | {
          readonly _tag: "outage"
          readonly writes: ReadonlyArray<Write>
          readonly compact: boolean
          readonly millis: number
        }

    const write: fc.Arbitrary<Write> = fc.record({
      _tag: fc.constantFrom("create" as const, "create" as const, "update" as const, "delete" as const),
      pod: fc.nat(5),
      value: fc.nat(9)
    })
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 8, arbitrary: write },
      {
        weight: 1,
        arbitrary: fc.record({ _tag: fc.constantFrom("compact" as const, "cut" as const, "heal" as const) })
      },
      { weight: 1, arbitrary: fc.record({ _tag: fc.constant("subscribe" as const) }) },
      {
        weight: 2,
        arbitrary: fc.record({ _tag: fc.constant("tick" as const), millis: fc.integer({ min: 1, max: 20_000 }) })
      },
      {
        weight: 2,
        arbitrary: fc.record({
          _tag: fc.constant("outage" as const),
          writes: fc.array(write, { maxLength: 8 }),
          compact: fc.boolean(),
          millis: fc.integer({ min: 0, max: 60_000 })
        })
      }
    )

    const scenario = (ops: ReadonlyArray<Op>) =>
      runLinked(
        Effect.gen(function* () {
          const link = yield* Link
          const store = yield* Store
          const name = (i: number) => `p${i}`
          const apply = (w: Write) =>
            Effect.ignore(
              w._tag === "create"
                ? link.writer.create(Pods, pod(name(w.pod), { v: String(w.value) }))
                : w._tag === "update"
                  ? link.writer.patch(
                      Pods,
                      name(w.pod),
                      { metadata: { labels: { v: String(w.value) } } },
                      { type: "merge" }
                    )
                  : link.writer.delete(Pods, name(w.pod))
            )
          const compact = Effect.flatMap(store.revision, store.compact)
          const informer = yield* Informer.make(Pods)
          const mirrors = [mirror()]
          yield* informer.addHandler(mirrors[0].handler)
          for (const step of ops) {
            switch (step._tag) {
              case "create":
              case "update":
              case "delete":
                yield* apply(step)
                break
              case "compact":
                yield* compact
                break
              case "cut":
                yield* link.cut
                break
              case "heal":
                yield* link.heal
                break
              case "subscribe": {
                const added = mirror()
                mirrors.push(added)
                yield* informer.addHandler(added.handler)
                break
              }
              case "tick":
                yield* TestClock.adjust(step.millis)
                break
              case "outage":
                yield* link.cut
                yield* TestCluster.settle
                yield* Effect.forEach(step.writes, apply)
                if (step.compact) yield* compact
                yield* TestClock.adjust(step.millis)
                yield* link.heal
                break
            }
            yield* Effect.yieldNow()
          }
          yield* link.heal
          // Past any backoff (at most 60 s): the TestClock wakes each sleeper in turn.
          yield* TestClock.adjust("2 minutes")
          const late = mirror()
          mirrors.push(late)
          yield* informer.addHandler(late.handler)
          yield* TestCluster.eventually(
            Effect.gen(function* () {
              const expected = versions((yield* link.writer.list(Pods)).items)
              expect(versions(informer.list())).toEqual(expected)
              for (const m of mirrors) expect(m.state).toEqual(expected)
            }),
            { timeout: "5 minutes", step: "10 seconds" }
          )
          for (const m of mirrors) expect(m.violations).toEqual([])
        })
      )

    it("after any writes, compactions and cuts, the cache and every handler's view equal the store", () =>
      fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 40 }), (ops) =>
          Effect.runPromise(Effect.provide(scenario(ops), TestContext.TestContext))
        ),
        { seed: 42, numRuns: 50 }
      ))
  })
})
