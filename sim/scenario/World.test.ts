import { describe, expect, it } from "vitest"
import * as Effect from "effect/Effect"
import * as MemoryStore from "../../core/store/MemoryStore.js"
import type { WorldEvent } from "./World.js"
import { deployment, node, pod, setup, simulate } from "./WorldFixtures.js"

const summary = (e: WorldEvent) =>
  `${e.type} ${e.kind} ${e.object.metadata.name}@${e.object.metadata.resourceVersion}` +
  (e.old === undefined ? "" : ` (was @${e.old.metadata.resourceVersion})`)

describe("World", () => {
  it("lists what is there, then follows every write; settled gives the exact state", () => {
    const seen = simulate(
      Effect.gen(function* () {
        const { store, put, remove } = yield* setup()
        yield* put(node("node-1"))
        const { world } = yield* setup(store)
        expect(world.nodes().map((n) => n.metadata.name)).toEqual(["node-1"])
        expect(world.get("node", "default", "node-1")?.metadata.resourceVersion).toBe("1")

        const events: Array<string> = []
        world.onEvent((e) => events.push(summary(e)))
        yield* put(pod("web-1"))
        yield* put(pod("web-1", { node: "node-1" }))
        yield* put(deployment("web", { replicas: 2 }))
        yield* remove(pod("web-1"))
        yield* world.settled
        expect(world.revision()).toBe(5)
        expect(world.get("pod", "default", "web-1")).toBeUndefined()
        expect(world.getByUid("uid-default-web-1")).toBeUndefined()
        expect(world.get("Deployment", "default", "web")?.metadata.resourceVersion).toBe("4")
        expect(world.get("deployments", "default", "web")).toBe(world.getByUid("uid-deployment-web"))
        return events
      })
    )
    expect(seen).toEqual([
      "ADDED Pod web-1@2",
      "MODIFIED Pod web-1@3 (was @2)",
      "ADDED Deployment web@4",
      "DELETED Pod web-1@5 (was @3)"
    ])
  })

  it("lists by namespace, then name, and keeps the list current as objects change", () => {
    const names = simulate(
      Effect.gen(function* () {
        const { world, put } = yield* setup()
        for (const [namespace, name] of [
          ["a", "x"],
          ["a-b", "x"],
          ["default", "b"],
          ["default", "a"]
        ])
          yield* put(pod(name, { namespace }))
        yield* world.settled
        const first = world.pods().map((p) => `${p.metadata.namespace}/${p.metadata.name}`)
        yield* put(pod("a", { node: "node-1" }))
        yield* world.settled
        const updated = world.pods().find((p) => p.metadata.name === "a" && p.metadata.namespace === "default")
        const seen = [...world.unsorted("pods")].map((p) => `${p.metadata.namespace}/${p.metadata.name}`)
        return { first, node: updated?.spec?.nodeName, again: world.pods().length, seen }
      })
    )
    expect(names).toEqual({
      first: ["a/x", "a-b/x", "default/a", "default/b"],
      node: "node-1",
      again: 4,
      seen: ["a/x", "a-b/x", "default/b", "default/a"]
    })
  })

  it("keeps going when its watch is dropped: it lists again and reports what changed meanwhile", () => {
    const result = simulate(
      Effect.gen(function* () {
        // A backlog of one event: a burst of writes drops the world's watch with TooOld (a store
        // followed by its watch; an observer is handed each write as it is made and is never dropped).
        const store = yield* MemoryStore.makeWith({ watchBacklog: 1 })
        const { world, put, remove } = yield* setup(store, { streaming: true })
        yield* put(pod("keep"))
        yield* put(pod("gone"))
        yield* put(pod("later"))
        yield* put(pod("again"))
        yield* world.settled
        const events: Array<string> = []
        world.onEvent((e) => events.push(summary(e)))
        yield* put(pod("keep", { node: "node-1" }))
        yield* remove(pod("gone"))
        yield* put(pod("new"))
        yield* put(pod("new", { node: "node-2" }))
        yield* remove(pod("later"))
        yield* remove(pod("again"))
        yield* put({ ...pod("again"), metadata: { ...pod("again").metadata, uid: "uid-again-2" } })
        yield* world.settled
        return {
          events,
          pods: world.pods().map((p) => `${p.metadata.name}:${p.spec?.nodeName}`),
          again: world.get("pod", "default", "again")?.metadata.uid
        }
      })
    )
    expect(result.pods).toEqual(["again:undefined", "keep:node-1", "new:node-2"])
    expect(result.again).toBe("uid-again-2")
    // Two events came through the watch before it was dropped; `new` was learned from the re-list
    // (one ADDED at its latest version, where the watch would have shown an ADDED and a MODIFIED).
    expect(result.events).toEqual([
      "MODIFIED Pod keep@5 (was @1)",
      "DELETED Pod gone@6 (was @2)",
      // Deleted and created again: two objects, told apart by uid.
      "DELETED Pod again@11 (was @4)",
      "ADDED Pod again@11",
      "ADDED Pod new@8",
      "DELETED Pod later@11 (was @3)"
    ])
  })
})
