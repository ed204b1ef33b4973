import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Plugin from "../framework/Plugin.js"
import * as DefaultBinder from "./DefaultBinder.js"
import { cycleState, plugin, pod } from "./Fixtures.js"

describe("DefaultBinder", () => {
  it.effect("binds through the handle", () =>
    Effect.gen(function* () {
      const bound: Array<string> = []
      const binder = plugin(
        DefaultBinder.make,
        {},
        {
          bind: (p, nodeName) => Effect.sync(() => (bound.push(`${p.metadata.name}→${nodeName}`), Plugin.success))
        }
      )
      expect(yield* binder.bind!(cycleState(), pod("p"), "n1")).toEqual(Plugin.success)
      expect(bound).toEqual(["p→n1"])
    })
  )
})
