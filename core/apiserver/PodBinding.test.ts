import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { harness, pod, send } from "./Harness.js"

const pods = "/api/v1/namespaces/default/pods"

describe("pods/binding validation", () => {
  it.effect("answers 422 with every ValidatePodBinding error", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* send(h, "POST", pods, { json: pod("a") })
      const refused = yield* send(h, "POST", `${pods}/a/binding`, {
        json: { apiVersion: "v1", kind: "Binding", metadata: { name: "a" }, target: { kind: "Pod" } }
      })
      expect(refused.status).toBe(422)
      expect(refused.body.details.causes).toEqual([
        {
          reason: "FieldValueNotSupported",
          field: "target.kind",
          message: 'Unsupported value: "Pod": supported values: "Node", "<empty>"'
        },
        { reason: "FieldValueRequired", field: "target.name", message: "Required value" }
      ])
      expect((yield* send(h, "GET", `${pods}/a`)).body.spec.nodeName).toBeUndefined()
    })
  )
})
