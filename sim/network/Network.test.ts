import { describe, expect, it } from "vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { KubeObject } from "../../core/api/meta.js"
import { type Pod, Pods } from "../../core/api/Pod.js"
import { type Service, Services } from "../../core/api/Service.js"
import type { WatchLine } from "../../core/apiserver/ApiRequest.js"
import * as ApiServer from "../../core/apiserver/ApiServer.js"
import * as Client from "../../core/client/Client.js"
import { Transport } from "../../core/client/Transport.js"
import * as Informer from "../../core/informer/Informer.js"
import * as MemoryStore from "../../core/store/MemoryStore.js"
import { Store } from "../../core/store/Store.js"
import { Simulation } from "../clock/Simulation.js"
import type { Range } from "../scenario/Scenario.js"
import * as Network from "./Network.js"

const pod = (name: string): Pod =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name },
    spec: { containers: [{ name: "main", image: "nginx:1.27" }] }
  }) as unknown as Pod

const service = (name: string): Service =>
  ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name },
    spec: { ports: [{ port: 80 }] }
  }) as unknown as Service

/** A MemoryStore, the API server over the network's store, and a Client per component over the network. */
const world = (
  latency: Range = { min: 1, max: 5 },
  onWatch?: Network.NetworkOptions["onWatch"],
  onResponse?: Network.NetworkOptions["onResponse"],
  onLostReply?: Network.NetworkOptions["onLostReply"]
) =>
  Effect.gen(function* () {
    const memory = yield* MemoryStore.make
    const net = yield* Network.make({
      latency,
      ...(onWatch === undefined ? {} : { onWatch }),
      ...(onResponse === undefined ? {} : { onResponse }),
      ...(onLostReply === undefined ? {} : { onLostReply })
    })
    const server = yield* Effect.provideService(ApiServer.make(), Store, net.store(memory))
    const clientOf = (component: string) =>
      Effect.provideService(Client.make, Transport, net.transport(component, server))
    return { memory, net, clientOf, scenario: yield* clientOf("scenario") }
  })

// Quiet: informers warn of every failed attempt while cut off, on purpose here. Bounded: a watch that never ends fails the test.
const run = <A, E>(program: Effect.Effect<A, E, Scope.Scope>, seed = 1): A => {
  const exit = new Simulation({ seed }).run(
    Effect.scoped(program).pipe(Effect.timeout("1 hour"), Logger.withMinimumLogLevel(LogLevel.None))
  )
  if (Exit.isSuccess(exit)) return exit.value
  throw new Error(`the simulated run failed: ${String(exit.cause)}`)
}

const millisOf = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const start = yield* Clock.currentTimeMillis
    yield* effect
    return (yield* Clock.currentTimeMillis) - start
  })

/** Retries `check` once a virtual second until it holds, for at most `seconds`. */
const eventually = (check: () => boolean, seconds = 300) =>
  Effect.gen(function* () {
    for (let i = 0; i < seconds && !check(); i++) yield* Effect.sleep("1 second")
    return check()
  })

const names = (items: ReadonlyArray<KubeObject>) => items.map((item) => item.metadata.name).sort()

const errorTag = <A, E extends { readonly _tag: string }>(effect: Effect.Effect<A, E>) =>
  Effect.map(Effect.flip(effect), (e) => e._tag)

describe("Network", () => {
  it("delays each call by two one-way latencies drawn from the range, the same for the same seed", () => {
    const timings = (seed: number) =>
      run(
        Effect.gen(function* () {
          const { clientOf } = yield* world({ min: 5, max: 50 })
          const client = yield* clientOf("scheduler")
          return yield* Effect.forEach(Array.from({ length: 20 }), () => millisOf(client.list(Pods)))
        }),
        seed
      )
    const first = timings(1)
    expect(timings(1)).toEqual(first)
    expect(timings(2)).not.toEqual(first)
    for (const t of first) {
      expect(Number.isInteger(t)).toBe(true)
      expect(t).toBeGreaterThanOrEqual(10)
      expect(t).toBeLessThanOrEqual(100)
    }
    expect(new Set(first).size).toBeGreaterThan(5)
  })

  it("a slow period replaces the range until it ends", () => {
    const [slow, back] = run(
      Effect.gen(function* () {
        const { net, clientOf } = yield* world({ min: 2, max: 2 })
        const client = yield* clientOf("controller-manager")
        const end = yield* net.slow({ min: 1000, max: 1000 })
        const slow = yield* millisOf(client.get(Pods, "missing").pipe(Effect.ignore))
        yield* end
        return [slow, yield* millisOf(client.list(Pods))]
      })
    )
    expect([slow, back]).toEqual([2000, 4])
  })

  it("overlapping slow periods: the latest still in force applies; each end undoes only its own", () => {
    const timings = run(
      Effect.gen(function* () {
        const { net, clientOf } = yield* world({ min: 2, max: 2 })
        const client = yield* clientOf("controller-manager")
        const call = millisOf(client.list(Pods))
        const endFirst = yield* net.slow({ min: 100, max: 100 })
        const endSecond = yield* net.slow({ min: 300, max: 300 })
        const both = yield* call
        yield* endSecond
        yield* endSecond
        const firstOnly = yield* call
        const endThird = yield* net.slow({ min: 50, max: 50 })
        yield* endFirst
        const thirdOnly = yield* call
        yield* endThird
        return [both, firstOnly, thirdOnly, yield* call]
      })
    )
    expect(timings).toEqual([600, 200, 100, 4])
  })

  it("a component cut off from the API server gets Unreachable; others, and the scenario, do not", () => {
    const result = run(
      Effect.gen(function* () {
        const { net, clientOf, scenario } = yield* world()
        const scheduler = yield* clientOf("scheduler")
        const node = yield* clientOf("node-1")
        yield* net.partition("node-1", "scheduler")
        const unrelated = yield* Effect.either(scheduler.list(Pods))
        const heal = yield* net.partition("apiserver", "scheduler")
        yield* net.partition("scenario", "apiserver")
        const cut = yield* errorTag(scheduler.list(Pods))
        const other = yield* Effect.either(node.create(Pods, pod("a")))
        const fromScenario = yield* Effect.either(scenario.get(Pods, "a"))
        const flags = [net.isPartitioned("scheduler", "apiserver"), net.isPartitioned("node-1", "apiserver")]
        yield* heal
        const healed = yield* Effect.either(scheduler.get(Pods, "a"))
        return {
          unrelated: unrelated._tag,
          cut,
          other: other._tag,
          fromScenario: fromScenario._tag,
          flags,
          healed: healed._tag
        }
      })
    )
    expect(result).toEqual({
      unrelated: "Right",
      cut: "Unreachable",
      other: "Right",
      fromScenario: "Right",
      flags: [true, false],
      healed: "Right"
    })
  })

  it("a cut while the answer is on its way fails the call, though the write happened", () => {
    const result = run(
      Effect.gen(function* () {
        const { net, clientOf, scenario } = yield* world({ min: 100, max: 100 })
        const scheduler = yield* clientOf("scheduler")
        const create = yield* Effect.fork(errorTag(scheduler.create(Pods, pod("a"))))
        yield* Effect.sleep(150)
        const heal = yield* net.partition("scheduler", "apiserver")
        const partitioned = yield* Fiber.join(create)
        yield* heal
        // An API-server restart resets the connections of requests in flight too.
        const get = yield* Effect.fork(errorTag(scheduler.get(Pods, "a")))
        yield* Effect.sleep(150)
        yield* net.cutWatches()
        const restarted = yield* Fiber.join(get)
        return { partitioned, restarted, written: (yield* scenario.get(Pods, "a")).metadata.name }
      })
    )
    expect(result).toEqual({ partitioned: "Unreachable", restarted: "Unreachable", written: "a" })
  })

  it("an open watch ends (completes) at a partition; the store watch behind it is closed", () => {
    const result = run(
      Effect.gen(function* () {
        const { memory, net, clientOf, scenario } = yield* world()
        const scheduler = yield* clientOf("scheduler")
        const watch = yield* Effect.fork(Stream.runCollect(scheduler.watch(Pods)))
        yield* scenario.create(Pods, pod("a"))
        yield* Effect.sleep(100)
        const open = yield* memory.watcherCount
        yield* net.partition("apiserver", "scheduler")
        const seen = yield* Fiber.join(watch)
        yield* Effect.sleep(10)
        return {
          open,
          seen: [...seen].map((e) => `${e.type} ${e.object.metadata.name}`),
          after: yield* memory.watcherCount
        }
      })
    )
    // Two store watches: the pods' behind the open watch, and the API server's view of the namespaces, which stays.
    expect(result).toEqual({ open: 2, seen: ["ADDED a"], after: 1 })
  })

  it("an informer cut off goes stale, then converges after the heal", () => {
    const result = run(
      Effect.gen(function* () {
        const { net, clientOf, scenario } = yield* world()
        const scheduler = yield* clientOf("scheduler")
        const informer = yield* Effect.provideService(Informer.make(Pods), Client.Client, scheduler)
        yield* scenario.create(Pods, pod("a"))
        yield* scenario.create(Pods, pod("b"))
        const synced = yield* eventually(() => names(informer.list()).join() === "a,b")
        const heal = yield* net.partition("scheduler", "apiserver")
        yield* scenario.create(Pods, pod("c"))
        yield* scenario.delete(Pods, "a")
        yield* Effect.sleep("2 minutes")
        const stale = names(informer.list()).join()
        yield* heal
        const converged = yield* eventually(() => names(informer.list()).join() === "b,c")
        return { synced, stale, converged }
      })
    )
    expect(result).toEqual({ synced: true, stale: "a,b", converged: true })
  })

  it("an unavailable store answers 503 and ends open watches with it; all recovers after", () => {
    const result = run(
      Effect.gen(function* () {
        const { memory, net, clientOf, scenario } = yield* world()
        const scheduler = yield* clientOf("scheduler")
        const informer = yield* Effect.provideService(Informer.make(Pods), Client.Client, scheduler)
        yield* scenario.create(Pods, pod("a"))
        const synced = yield* eventually(() => names(informer.list()).join() === "a")
        const watch = yield* Effect.fork(errorTag(Stream.runDrain(scheduler.watch(Pods))))
        yield* Effect.sleep(100)
        const endOutage = yield* net.storeOutage
        const watchError = yield* Fiber.join(watch)
        const down = yield* errorTag(scheduler.list(Pods))
        const create = yield* errorTag(scenario.create(Pods, pod("b")))
        yield* Effect.sleep(10)
        const watchersWhileDown = yield* memory.watcherCount
        yield* endOutage
        yield* scenario.create(Pods, pod("c"))
        const converged = yield* eventually(() => names(informer.list()).join() === "a,c")
        // The same through a partition between the API server and the store.
        const heal = yield* net.partition("store", "apiserver")
        const partitioned = yield* errorTag(scheduler.get(Pods, "a"))
        yield* heal
        const healed = (yield* scheduler.get(Pods, "a")).metadata.name
        return { synced, watchError, down, create, watchersWhileDown, converged, partitioned, healed }
      })
    )
    expect(result).toEqual({
      synced: true,
      watchError: "ServiceUnavailable",
      down: "ServiceUnavailable",
      create: "ServiceUnavailable",
      // Only the API server's view of the namespaces: the network ends an observer at its next event.
      watchersWhileDown: 1,
      converged: true,
      partitioned: "ServiceUnavailable",
      healed: "a"
    })
  })

  it("a store watch opened outside the network fails at its first event after an outage", () => {
    const result = run(
      Effect.gen(function* () {
        const { memory, net } = yield* world()
        const store = net.store(memory)
        const watch = yield* Effect.fork(errorTag(Stream.runDrain(store.watch("/probe/", 0))))
        yield* store.create("/probe/a", { n: 1 })
        yield* Effect.sleep(1)
        const endOutage = yield* net.storeOutage
        const down = yield* Effect.all([
          errorTag(store.get("/probe/a")),
          errorTag(store.revision),
          errorTag(Stream.runDrain(store.watch("/probe/", 0)))
        ])
        yield* endOutage
        yield* Effect.sleep(10)
        const idle = watch.unsafePoll() === null
        yield* store.update("/probe/a", { n: 2 }, (yield* store.get("/probe/a")).modRevision)
        return { down, idle, failed: yield* Fiber.join(watch) }
      })
    )
    expect(result).toEqual({
      down: ["StoreUnavailable", "StoreUnavailable", "StoreUnavailable"],
      idle: true,
      failed: "StoreUnavailable"
    })
  })

  it("overlapping partitions of a pair: the first heal leaves it cut until the last", () => {
    const result = run(
      Effect.gen(function* () {
        const { net, clientOf } = yield* world()
        const node = yield* clientOf("node-1")
        const reach = Effect.map(Effect.either(node.list(Pods)), (e) => e._tag)
        const healFirst = yield* net.partition("node-1", "apiserver")
        const healSecond = yield* net.partition("apiserver", "node-1")
        yield* healFirst
        yield* healFirst
        const afterFirst = [net.isPartitioned("node-1", "apiserver"), yield* reach]
        yield* healSecond
        return { afterFirst, afterSecond: [net.isPartitioned("node-1", "apiserver"), yield* reach] }
      })
    )
    expect(result).toEqual({ afterFirst: [true, "Left"], afterSecond: [false, "Right"] })
  })

  it("overlapping store outages, and an outage with a store partition: down until the last ends", () => {
    const result = run(
      Effect.gen(function* () {
        const { memory, net } = yield* world()
        const store = net.store(memory)
        const probe = Effect.map(Effect.either(store.revision), (e) => (e._tag === "Left" ? "down" : "up"))
        const endFirst = yield* net.storeOutage
        const endSecond = yield* net.storeOutage
        yield* endFirst
        yield* endFirst
        const oneLeft = yield* probe
        const heal = yield* net.partition("store", "apiserver")
        yield* endSecond
        const partitionLeft = yield* probe
        yield* heal
        return [oneLeft, partitionLeft, yield* probe]
      })
    )
    expect(result).toEqual(["down", "down", "up"])
  })

  it("onWatch sees every line of each watch, in order, as the component receives it", () => {
    const { log, starts } = run(
      Effect.gen(function* () {
        const log: Array<string> = []
        const starts: Array<string> = []
        const onWatch = (component: string) => {
          starts.push(component)
          return (line: WatchLine) => {
            const meta = (line.object as KubeObject).metadata
            log.push(`${component} ${line.type} ${meta.name} ${meta.resourceVersion}`)
          }
        }
        const { clientOf, scenario } = yield* world({ min: 1, max: 20 }, onWatch)
        const node = yield* clientOf("node-1")
        const watch = yield* Effect.fork(Stream.runDrain(Stream.take(node.watch(Pods), 4)))
        yield* Effect.sleep(50)
        yield* scenario.create(Pods, pod("a"))
        yield* scenario.create(Pods, pod("b"))
        yield* scenario.patch(Pods, "a", { metadata: { labels: { x: "1" } } }, { type: "merge" })
        yield* scenario.delete(Pods, "b")
        yield* Fiber.join(watch)
        return { log, starts }
      })
    )
    expect(starts).toEqual(["node-1"])
    expect(log.map((line) => line.split(" ").slice(0, 3).join(" "))).toEqual([
      "node-1 ADDED a",
      "node-1 ADDED b",
      "node-1 MODIFIED a",
      "node-1 DELETED b"
    ])
    const versions = log.map((line) => Number(line.split(" ")[3]))
    expect(versions).toEqual([...versions].sort((x, y) => x - y))
  })

  it("delayWatches: lines arrive late by the largest lag in force, in order; held lines still come after its end", () => {
    const arrivals = run(
      Effect.gen(function* () {
        const clock = yield* Effect.clock
        const arrivals: Record<string, Array<readonly [string, number]>> = {}
        const onWatch = (component: string) => (line: WatchLine) => {
          const seen = (arrivals[component] ??= [])
          seen.push([`${line.type} ${(line.object as KubeObject).metadata.name}`, clock.unsafeCurrentTimeMillis()])
        }
        const { net, clientOf, scenario } = yield* world({ min: 1, max: 1 }, onWatch)
        for (const component of ["node-1", "node-2"]) {
          const client = yield* clientOf(component)
          yield* Effect.forkScoped(Stream.runDrain(client.watch(Pods)))
        }
        // Each line is in by 10 ms after its create.
        const create = (name: string) => Effect.zipRight(scenario.create(Pods, pod(name)), Effect.sleep(10))
        yield* Effect.sleep(100)
        yield* create("a")
        const endShort = yield* net.delayWatches("node-1", 1_000)
        yield* create("b")
        const endLong = yield* net.delayWatches("node-1", 3_000)
        yield* create("c")
        yield* endLong
        yield* endLong
        yield* create("d")
        yield* endShort
        yield* create("e")
        yield* Effect.sleep(5_000)
        yield* scenario.delete(Pods, "a")
        yield* Effect.sleep(100)
        return arrivals
      })
    )
    const delayed = arrivals["node-1"]!
    const onTime = arrivals["node-2"]!
    expect(delayed.map(([line]) => line)).toEqual(["ADDED a", "ADDED b", "ADDED c", "ADDED d", "ADDED e", "DELETED a"])
    expect(onTime.map(([line]) => line)).toEqual(delayed.map(([line]) => line))
    const lateBy = delayed.map(([, at], i) => at - onTime[i]![1])
    // a before any lag; b by the first; c by the larger; d and e come behind c (d's own lag would be 1 s); the delete on time.
    expect([lateBy[0], lateBy[1], lateBy[2], lateBy[5]]).toEqual([0, 1_000, 3_000, 0])
    expect(delayed[3]![1]).toBe(delayed[2]![1])
    expect(delayed[4]![1]).toBe(delayed[2]![1])
    expect(lateBy[3]).toBeGreaterThan(1_000)
  })

  it("delayWatches: a cut drops the held lines and ends the watch at once; the informer re-lists and catches up", () => {
    const result = run(
      Effect.gen(function* () {
        const { net, clientOf, scenario } = yield* world({ min: 1, max: 1 })
        const node = yield* clientOf("node-1")
        const watch = yield* Effect.fork(Stream.runCollect(node.watch(Pods)))
        yield* Effect.sleep(100)
        const end = yield* net.delayWatches("node-1", 10_000)
        yield* scenario.create(Pods, pod("a"))
        yield* Effect.sleep(100)
        const startedAt = yield* Clock.currentTimeMillis
        yield* net.cutWatches("node-1")
        const seen = yield* Fiber.join(watch)
        const endedAfter = (yield* Clock.currentTimeMillis) - startedAt
        // An informer lags too while the delay lasts, and converges once it ends.
        const informer = yield* Effect.provideService(Informer.make(Pods), Client.Client, node)
        const listed = yield* eventually(() => names(informer.list()).join() === "a", 5)
        yield* scenario.create(Pods, pod("b"))
        yield* Effect.sleep(5_000)
        const stale = names(informer.list()).join()
        yield* end
        const converged = yield* eventually(() => names(informer.list()).join() === "a,b", 30)
        return { seen: seen.length, endedAfter, listed, stale, converged }
      })
    )
    expect(result).toEqual({ seen: 0, endedAfter: 0, listed: true, stale: "a", converged: true })
  })

  it("armWrite: the nth matching write is applied, its reply lost after the usual delay; other writes do not count", () => {
    const result = run(
      Effect.gen(function* () {
        const answered: Array<string> = []
        const onResponse = (component: string, request: { readonly method: string }, response: { status: number }) => {
          answered.push(`${component} ${request.method} ${response.status}`)
        }
        const lostReplies: Array<string> = []
        const onLostReply = (component: string, request: { readonly method: string }, response: { status: number }) => {
          lostReplies.push(`${component} ${request.method} ${response.status}`)
        }
        const { net, clientOf, scenario } = yield* world({ min: 5, max: 5 }, undefined, onResponse, onLostReply)
        const manager = yield* clientOf("controller-manager")
        let onWrites = 0
        const armed = yield* net.armWrite("controller-manager", { kind: "pod", nth: 3 }, () => onWrites++)
        const other = yield* net.armWrite("scheduler", { nth: 1 }, () => onWrites++)
        // Another component's writes, writes of other kinds, failed writes and reads do not count.
        yield* scenario.create(Pods, pod("x"))
        yield* manager.create(Services, service("s"))
        yield* manager.create(Pods, pod("a"))
        const conflict = yield* errorTag(manager.create(Pods, pod("a")))
        yield* manager.get(Pods, "a")
        yield* manager.patch(Pods, "a", { metadata: { labels: { x: "1" } } }, { type: "merge" })
        const before = { fired: armed.fired(), onWrites }
        const start = yield* Clock.currentTimeMillis
        const lost = yield* errorTag(manager.create(Pods, pod("b")))
        const millis = (yield* Clock.currentTimeMillis) - start
        const written = (yield* scenario.get(Pods, "b")).metadata.name
        // It fires once: the next write is answered.
        yield* manager.delete(Pods, "b")
        const scheduler = yield* clientOf("scheduler")
        yield* other.disarm
        yield* scheduler.create(Pods, pod("c"))
        return {
          answered,
          lostReplies,
          conflict,
          before,
          lost,
          millis,
          written,
          fired: [armed.fired(), other.fired()],
          onWrites
        }
      })
    )
    expect(result).toEqual({
      answered: [
        "scenario POST 201",
        "controller-manager POST 201",
        "controller-manager POST 201",
        "controller-manager POST 409",
        "controller-manager GET 200",
        "controller-manager PATCH 200",
        // The lost reply is not seen; the write is in the store.
        "scenario GET 200",
        "controller-manager DELETE 200",
        "scheduler POST 201"
      ],
      // The lost reply goes to onLostReply instead.
      lostReplies: ["controller-manager POST 201"],
      conflict: "AlreadyExists",
      before: { fired: false, onWrites: 0 },
      lost: "Unreachable",
      millis: 10,
      written: "b",
      fired: [true, false],
      onWrites: 1
    })
  })

  it("armWrite that crashes the writer: it never acts after its nth write, even at 0 ms latency", () => {
    // The crash is forked from onWrite: started at once, or queued behind the writer.
    const outcome = (latency: Range, immediate: boolean) =>
      run(
        Effect.gen(function* () {
          const { net, clientOf, scenario } = yield* world(latency)
          const client = yield* clientOf("controller-manager")
          const runtime = yield* Effect.runtime<never>()
          const scope = yield* Scope.make()
          const log: Array<string> = []
          yield* net.armWrite("controller-manager", { nth: 3 }, () => {
            log.push("crash")
            Runtime.runFork(runtime)(Scope.close(scope, Exit.void), { immediate })
          })
          // A reconcile writing pod after pod, acting on every answer, failures included.
          const reconcile = Effect.forEach(
            [1, 2, 3, 4, 5],
            (i) =>
              Effect.gen(function* () {
                log.push(`write ${i}`)
                const written = yield* Effect.either(client.create(Pods, pod(`p${i}`)))
                log.push(`${written._tag === "Right" ? "written" : "failed"} ${i}`)
              }),
            { discard: true }
          )
          yield* Effect.forkIn(reconcile, scope)
          yield* Effect.sleep(1_000)
          return { log, stored: names((yield* scenario.list(Pods)).items) }
        })
      )
    for (const [latency, immediate] of [
      [{ min: 0, max: 0 }, false],
      [{ min: 0, max: 0 }, true],
      [{ min: 1, max: 5 }, false]
    ] as const) {
      expect(outcome(latency, immediate)).toEqual({
        log: ["write 1", "written 1", "write 2", "written 2", "write 3", "crash"],
        stored: ["p1", "p2", "p3"]
      })
    }
  })

  it("cutWatches ends one component's watches, or everyone's", () => {
    const result = run(
      Effect.gen(function* () {
        const { net, clientOf } = yield* world()
        const watchOf = (component: string) =>
          Effect.flatMap(clientOf(component), (client) => Effect.fork(Stream.runDrain(client.watch(Pods))))
        const [scheduler, manager, scenario] = yield* Effect.all([
          watchOf("scheduler"),
          watchOf("controller-manager"),
          watchOf("scenario")
        ])
        yield* Effect.sleep(100)
        yield* net.cutWatches("scheduler")
        yield* Effect.sleep(1)
        const afterOne = [scheduler, manager, scenario].map((f) => f.unsafePoll() !== null)
        yield* net.cutWatches()
        yield* Effect.sleep(1)
        const afterAll = [scheduler, manager, scenario].map((f) => f.unsafePoll() !== null)
        const exits = yield* Effect.all([scheduler, manager, scenario].map(Fiber.await))
        return { afterOne, afterAll, succeeded: exits.every(Exit.isSuccess) }
      })
    )
    expect(result).toEqual({ afterOne: [true, false, false], afterAll: [true, true, true], succeeded: true })
  })
})
