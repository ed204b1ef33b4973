/**
 * `minik8s get KIND [NAME]`: server-side printed tables as kubectl shows them (`-o wide`), or the
 * objects as JSON, YAML or names; `-w` keeps printing changes as they happen.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { ResourceType } from "../core/api/resource.js"
import type { ApiRequest } from "../core/apiserver/ApiRequest.js"
import { Client, collectionPath, objectPath } from "../core/client/Client.js"
import { CliError } from "./errors.js"
import { formatObject, tableLines } from "./print.js"
import type { OutputFormat, Table } from "./print.js"
import { qualifiedName, resolveKind } from "./resolveKind.js"

export interface GetOptions {
  readonly kind: string
  readonly name: string | undefined
  readonly namespace: string | undefined
  readonly allNamespaces: boolean
  readonly selector: string | undefined
  readonly output: OutputFormat
  readonly watch: boolean
}

const tableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"

const request = (path: string, query: Record<string, string | undefined>, accept: string): ApiRequest => {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, v)
  return { method: "GET", path, query: q, headers: { accept } }
}

/** Table lines, with a NAMESPACE column when listing across namespaces. */
const printTable = (table: Table, options: GetOptions, header: boolean) => {
  if (!options.allNamespaces) return tableLines(table, { wide: options.output === "wide", header })
  const withNamespace: Table = {
    columnDefinitions: [{ name: "Namespace", priority: 0 }, ...table.columnDefinitions],
    rows: table.rows.map((row) => ({ cells: [row.object?.metadata?.namespace ?? "", ...row.cells] }))
  }
  return tableLines(withNamespace, { wide: options.output === "wide", header })
}

const printObjects = (rt: ResourceType<any>, body: any, options: GetOptions): string => {
  const single = options.name !== undefined
  if (options.output === "name") {
    const items: any[] = single ? [body] : body.items
    return items.map((o) => qualifiedName(rt, o.metadata.name)).join("\n")
  }
  const shown = single
    ? body
    : {
        apiVersion: "v1",
        kind: "List",
        metadata: { resourceVersion: "" },
        items: body.items.map((o: any) => ({ apiVersion: body.apiVersion, kind: rt.kind, ...o }))
      }
  return formatObject(shown, options.output === "json" ? "json" : "yaml")
}

const noResources = (namespace: string | undefined) =>
  namespace === undefined ? "No resources found" : `No resources found in ${namespace} namespace.`

export const get = (options: GetOptions) =>
  Effect.gen(function* () {
    const client = yield* Client
    const rt = yield* resolveKind(options.kind)
    const namespace = rt.namespaced && !options.allNamespaces ? (options.namespace ?? "default") : undefined
    const table = options.output === "table" || options.output === "wide"
    const accept = table ? tableAccept : "application/json"
    if (options.name !== undefined && options.allNamespaces) {
      return yield* Effect.fail(
        new CliError({ message: "a resource cannot be retrieved by name across all namespaces" })
      )
    }
    const path = options.name === undefined ? collectionPath(rt, namespace) : objectPath(rt, namespace, options.name)
    const fieldSelector = options.name === undefined ? undefined : `metadata.name=${options.name}`
    const first = yield* client.raw(request(path, { labelSelector: options.selector }, accept))
    const body = first._tag === "Json" ? (first.body as any) : undefined
    if (body === undefined)
      return yield* Effect.fail(new CliError({ message: "the server answered without a JSON body" }))
    if (table) {
      if (body.rows?.length === 0 && !options.watch) {
        yield* Console.error(noResources(namespace))
      } else yield* Console.log(printTable(body, options, true).join("\n"))
    } else {
      const text = printObjects(rt, body, options)
      if (text !== "") yield* Console.log(text)
      else if (!options.watch) yield* Console.error(noResources(namespace))
    }
    if (!options.watch) return
    const resourceVersion: string | undefined = body.metadata?.resourceVersion
    const watchPath = collectionPath(rt, namespace)
    const response = yield* client.raw(
      request(watchPath, { watch: "true", resourceVersion, labelSelector: options.selector, fieldSelector }, accept)
    )
    if (response._tag !== "Watch")
      return yield* Effect.fail(new CliError({ message: "the server did not start a watch" }))
    yield* response.events.pipe(
      Stream.filter((line) => line.type !== "BOOKMARK"),
      Stream.runForEach((line) => {
        if (line.type === "ERROR")
          return Effect.fail(new CliError({ message: `watch ended: ${(line.object as any)?.message ?? "error"}` }))
        const object = line.object as any
        const text = table
          ? printTable(object, options, false).join("\n")
          : printObjects(rt, object, { ...options, name: "x" })
        return text === "" ? Effect.void : Console.log(text)
      })
    )
  })
