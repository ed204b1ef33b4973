/**
 * Store and in-process API server throughput: what one write costs in MemoryStore and through the
 * API server's create path, against a bare `Map.set`; and what delivering one write to N watchers
 * (N = 1, 10, 100) costs, against a loop over N callbacks.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { Pods } from "../core/api/Pod.js"
import type { ApiRequest, ApiResponse } from "../core/apiserver/ApiRequest.js"
import * as ApiServer from "../core/apiserver/ApiServer.js"
import { collectionPrefix, objectKey } from "../core/apiserver/StorageKey.js"
import * as MemoryStore from "../core/store/MemoryStore.js"
import { type Entry, Store } from "../core/store/Store.js"
import type { BenchSuite } from "./harness.js"
import { podManifest } from "./podManifest.js"

/** Every create case starts a fresh map/store after this many keys, so all measure a store of the same size. */
export const objectsPerStore = 16_384

/** Watchers in the fan-out suites, one suite per count. */
export const watcherCounts: ReadonlyArray<number> = [1, 10, 100]

const pod = podManifest("web")
// The keys the API server itself uses, so store and API cases write alike.
const podKey = (n: number) => objectKey(Pods, "default", `web-${n}`)

/** An API server over a fresh MemoryStore, built synchronously; `close` releases its scope. */
export const inProcessApiServer = () => {
  const scope = Effect.runSync(Scope.make())
  const context = Effect.runSync(
    Layer.buildWithScope(ApiServer.layer({}).pipe(Layer.provideMerge(MemoryStore.layer)), scope)
  )
  return {
    api: Context.get(context, ApiServer.ApiServer),
    store: Context.get(context, Store),
    close: () => Effect.runSync(Scope.close(scope, Exit.void))
  }
}

/** POST of a pod to `default`, with the body already parsed (as the in-process transport sends it). */
export const postPod = (name: string): ApiRequest => ({
  method: "POST",
  path: "/api/v1/namespaces/default/pods",
  query: new URLSearchParams(),
  headers: { accept: "application/json", "content-type": "application/json" },
  body: { _tag: "Parsed", value: podManifest(name) }
})

const expectStatus = (response: ApiResponse, status: number): void => {
  if (response.status !== status) {
    throw new Error(
      `expected ${status}, got ${response.status}: ${JSON.stringify(response._tag === "Watch" ? "" : response.body)}`
    )
  }
}

const storeWrites = (): BenchSuite => {
  let map = new Map<string, unknown>()
  let mapKeys = 0
  let store = Effect.runSync(MemoryStore.make)
  let storeKeys = 0
  const casStore = Effect.runSync(MemoryStore.make)
  let updated: Entry
  let server: ReturnType<typeof inProcessApiServer>
  let pods = 0
  return {
    name: "store writes",
    setup: async () => {
      updated = Effect.runSync(casStore.create(podKey(0), pod))
      server = inProcessApiServer()
    },
    teardown: async () => {
      Effect.runSync(casStore.delete(podKey(0)))
      server.close()
    },
    cases: [
      {
        name: "Map.set of a pod under a fresh key",
        fn: () => {
          if (mapKeys === objectsPerStore) {
            map = new Map()
            mapKeys = 0
          }
          map.set(podKey(mapKeys++), pod)
        }
      },
      {
        name: "MemoryStore.create",
        fn: () => {
          if (storeKeys === objectsPerStore) {
            store = Effect.runSync(MemoryStore.make)
            storeKeys = 0
          }
          Effect.runSync(store.create(podKey(storeKeys++), pod))
        }
      },
      {
        name: "MemoryStore.update (compare-and-swap)",
        fn: () => {
          updated = Effect.runSync(casStore.update(updated.key, pod, updated.modRevision))
        }
      },
      {
        name: "ApiServer.handle POST pod (in-process, parsed body)",
        fn: () => {
          if (pods === objectsPerStore) {
            server.close()
            server = inProcessApiServer()
            pods = 0
          }
          expectStatus(Effect.runSync(server.api.handle(postPod(`web-${pods++}`))), 201)
        }
      }
    ]
  }
}

/** `GET /api/v1/namespaces/default/pods?watch=1&resourceVersion=N`. */
const watchPods = (from: number): ApiRequest => ({
  method: "GET",
  path: "/api/v1/namespaces/default/pods",
  query: new URLSearchParams({ watch: "1", resourceVersion: String(from) }),
  headers: { accept: "application/json" }
})

/** Calls `onEvent` for every event of `events` in a fiber of `scope`. */
const consume = <A, E>(scope: Scope.Scope, events: Stream.Stream<A, E>, onEvent: () => void) =>
  Effect.runSync(
    Effect.forkIn(
      Stream.runForEach(events, () => Effect.sync(onEvent)),
      scope
    )
  )

/** Waits until `count()` reaches `target`, letting the forked watchers subscribe. */
const settle = async (count: () => number, target: number) => {
  for (let spins = 0; count() < target; spins++) {
    if (spins > 10_000) throw new Error(`only ${count()} of ${target} watchers started`)
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
}

const watchFanOut = (watchers: number): BenchSuite => {
  const callbacks: Array<(event: unknown) => void> = []
  let calls = 0
  for (let i = 0; i < watchers; i++) callbacks.push(() => void calls++)

  // One write at a time: its promise resolves when the last watcher has taken it.
  let pending = 0
  let delivered = () => {}
  const onEvent = () => {
    if (--pending === 0) delivered()
  }
  const writeAndWait = (write: () => void) =>
    new Promise<void>((resolve) => {
      pending = watchers
      delivered = resolve
      write()
    })

  let scope: Scope.CloseableScope
  let store: MemoryStore.MemoryStore
  let storeEntry: Entry
  let server: ReturnType<typeof inProcessApiServer>
  let apiEntry: Entry

  return {
    name: `watch fan-out (${watchers} watcher${watchers === 1 ? "" : "s"})`,
    setup: async () => {
      scope = Effect.runSync(Scope.make())
      store = Effect.runSync(MemoryStore.make)
      storeEntry = Effect.runSync(store.create(podKey(0), pod))
      for (let i = 0; i < watchers; i++)
        consume(scope, store.watch(collectionPrefix(Pods, "default"), storeEntry.modRevision), onEvent)
      await settle(() => Effect.runSync(store.watcherCount), watchers)

      server = inProcessApiServer()
      expectStatus(Effect.runSync(server.api.handle(postPod("web-0"))), 201)
      apiEntry = Effect.runSync(server.store.get(podKey(0)))
      for (let i = 0; i < watchers; i++) {
        const response = Effect.runSync(server.api.handle(watchPods(apiEntry.modRevision)))
        if (response._tag !== "Watch") throw new Error(`expected a watch, got ${response.status}`)
        consume(scope, response.events, onEvent)
      }
      // Every API watch has started once all have taken a first write.
      await writeAndWait(() => {
        apiEntry = Effect.runSync(server.store.update(apiEntry.key, apiEntry.value, apiEntry.modRevision))
      })
    },
    teardown: async () => {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      server.close()
    },
    cases: [
      {
        name: `loop calling ${watchers} callback${watchers === 1 ? "" : "s"}`,
        fn: () => {
          for (const callback of callbacks) callback(pod)
        }
      },
      {
        name: "MemoryStore.update to store watchers",
        async: true,
        fn: () =>
          writeAndWait(() => {
            storeEntry = Effect.runSync(store.update(storeEntry.key, pod, storeEntry.modRevision))
          })
      },
      {
        name: "MemoryStore.update to API server watches (in-process)",
        async: true,
        fn: () =>
          writeAndWait(() => {
            apiEntry = Effect.runSync(server.store.update(apiEntry.key, apiEntry.value, apiEntry.modRevision))
          })
      }
    ]
  }
}

/** The suites of this file; servers and watchers start in `setup` and stop in `teardown`. */
export const suites: Array<BenchSuite> = [storeWrites(), ...watcherCounts.map(watchFanOut)]
