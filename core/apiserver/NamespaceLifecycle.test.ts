import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as MemoryStore from "../store/MemoryStore.js"
import { Store } from "../store/Store.js"
import * as ApiServer from "./ApiServer.js"
import { pod, send } from "./Harness.js"

const namespace = (name: string) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } })
const podsIn = (ns: string) => `/api/v1/namespaces/${ns}/pods`

describe("NamespaceLifecycle", () => {
  it.effect("reads a namespace from the store only until its view of the namespaces has started", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryStore.make
      const reads: Array<string> = []
      const counting: Store["Type"] = {
        ...memory,
        get: (key) =>
          Effect.zipRight(
            Effect.sync(() => reads.push(key)),
            memory.get(key)
          )
      }
      const server = yield* Effect.provideService(ApiServer.make(), Store, counting)
      const h = { handle: server.handle, store: memory }
      for (const name of ["a", "b", "c"])
        expect((yield* send(h, "POST", podsIn("default"), { json: pod(name) })).status).toBe(201)
      expect(reads.filter((key) => key.includes("/namespaces/"))).toEqual(["/registry/core/namespaces/default"])
      // A namespace newer than the view is found (the view follows it), and one deleted since is gone.
      expect((yield* send(h, "POST", "/api/v1/namespaces", { json: namespace("team") })).status).toBe(201)
      expect((yield* send(h, "POST", podsIn("team"), { json: pod("d") })).status).toBe(201)
      expect((yield* send(h, "POST", podsIn("nowhere"), { json: pod("e") })).status).toBe(404)
    })
  )

  it.effect("refuses a create in a namespace being deleted (403) and in one that is gone (404)", () =>
    Effect.gen(function* () {
      const memory = yield* MemoryStore.make
      const server = yield* Effect.provideService(ApiServer.make(), Store, memory)
      const h = { handle: server.handle, store: memory }
      expect((yield* send(h, "POST", "/api/v1/namespaces", { json: namespace("team") })).status).toBe(201)
      expect((yield* send(h, "POST", podsIn("team"), { json: pod("a") })).status).toBe(201)
      // The namespace's finalizer keeps it, terminating, until the namespace controller empties it.
      expect((yield* send(h, "DELETE", "/api/v1/namespaces/team")).status).toBe(200)
      const terminating = yield* send(h, "POST", podsIn("team"), { json: pod("b") })
      expect(terminating.status).toBe(403)
      expect(terminating.body.message).toBe(
        "unable to create new content in namespace team because it is being terminated"
      )
      yield* memory.delete("/registry/core/namespaces/team")
      expect((yield* send(h, "POST", podsIn("team"), { json: pod("c") })).status).toBe(404)
    })
  )
})
