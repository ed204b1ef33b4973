/**
 * `/healthz`, `/readyz` and `/livez`: "ok" while the store answers, Kubernetes' verbose listing
 * with `?verbose`, and single checks at `/readyz/ping`, `/readyz/etcd` …
 */
import * as Effect from "effect/Effect"
import type { Store } from "../store/Store.js"
import type { ApiResponse } from "./ApiRequest.js"
import { text } from "./Responses.js"

const checks = ["ping", "etcd"] as const

/** Answers a health endpoint. */
export const health = (
  store: Store["Type"],
  endpoint: "healthz" | "readyz" | "livez",
  subcheck: string | undefined,
  query: URLSearchParams
): Effect.Effect<ApiResponse> =>
  Effect.gen(function* () {
    if (subcheck !== undefined && !(checks as ReadonlyArray<string>).includes(subcheck))
      return text(404, "404 page not found\n")
    const etcd = yield* Effect.match(store.revision, { onFailure: () => false, onSuccess: () => true })
    const passed = (check: string) => check === "ping" || etcd
    const selected = subcheck === undefined ? checks : [subcheck]
    const ok = selected.every(passed)
    if (!query.has("verbose")) {
      return ok
        ? text(200, "ok")
        : text(
            500,
            `${selected
              .filter((c) => !passed(c))
              .map((c) => `[-]${c} failed: reason withheld\n`)
              .join("")}${endpoint} check failed`
          )
    }
    const lines = selected.map((c) => (passed(c) ? `[+]${c} ok` : `[-]${c} failed: reason withheld`))
    return text(ok ? 200 : 500, `${lines.join("\n")}\n${endpoint} check ${ok ? "passed" : "failed"}\n`)
  })
