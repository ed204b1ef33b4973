/**
 * `--store`: where the API server keeps objects. `memory` (lost when the process ends) or
 * `etcd://HOST:PORT[,HOST:PORT…][/PREFIX]` (keys under PREFIX, default `/registry` as in Kubernetes).
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as MemoryStore from "../core/store/MemoryStore.js"
import type { Store, StoreUnavailable } from "../core/store/Store.js"
import * as EtcdStore from "../runtimes/etcd/EtcdStore.js"
import { CliError } from "./errors.js"

export type StoreSpec =
  | { readonly _tag: "memory" }
  | { readonly _tag: "etcd"; readonly endpoints: ReadonlyArray<string>; readonly prefix: string }

export const parse = (text: string): Effect.Effect<StoreSpec, CliError> => {
  if (text === "memory") return Effect.succeed({ _tag: "memory" })
  const match = /^etcd:\/\/([^/]+)(\/.*)?$/.exec(text)
  const endpoints = match?.[1]?.split(",") ?? []
  if (match === null || endpoints.some((e) => !/^[\w.-]+:\d+$/.test(e)))
    return Effect.fail(
      new CliError({ message: `--store ${text}: want memory or etcd://HOST:PORT[,HOST:PORT…][/PREFIX]` })
    )
  const prefix = match[2] === undefined || match[2] === "/" ? "/registry" : match[2].replace(/\/$/, "")
  return Effect.succeed({ _tag: "etcd", endpoints, prefix })
}

export const format = (spec: StoreSpec): string =>
  spec._tag === "memory" ? "memory" : `etcd://${spec.endpoints.join(",")}${spec.prefix}`

export const layer = (spec: StoreSpec): Layer.Layer<Store, StoreUnavailable> =>
  spec._tag === "memory"
    ? MemoryStore.layer
    : EtcdStore.layer({ endpoints: spec.endpoints.map((e) => `http://${e}`), prefix: spec.prefix })
