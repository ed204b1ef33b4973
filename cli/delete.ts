/** `minik8s delete KIND NAME` (or `KIND/NAME`, or `-f FILE`), with kubectl's background propagation by default. */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { byKind } from "../core/api/registry.js"
import { Client } from "../core/client/Client.js"
import { readManifests } from "./apply.js"
import { CliError } from "./errors.js"
import { qualifiedName, resolveKind, splitKindName } from "./resolveKind.js"

export type Propagation = "Background" | "Foreground" | "Orphan"

export const deleteObject = (
  kindWord: string,
  name: string,
  namespace: string | undefined,
  propagationPolicy: Propagation
) =>
  Effect.gen(function* () {
    const client = yield* Client
    const rt = yield* resolveKind(kindWord)
    yield* client.delete(rt, name, {
      propagationPolicy,
      ...(rt.namespaced ? { namespace: namespace ?? "default" } : {})
    })
    yield* Console.log(`${qualifiedName(rt, name).replace(/\/(.*)$/, ' "$1"')} deleted`)
  })

export const deleteCommand = (args: {
  readonly first: string | undefined
  readonly second: string | undefined
  readonly file: string | undefined
  readonly namespace: string | undefined
  readonly propagation: Propagation
}) =>
  Effect.gen(function* () {
    if (args.file !== undefined) {
      for (const doc of yield* readManifests(args.file)) {
        const rt = byKind(String(doc.object["apiVersion"]), String(doc.object["kind"]))
        const metadata = (doc.object["metadata"] ?? {}) as { name?: string; namespace?: string }
        if (rt === undefined || metadata.name === undefined) {
          return yield* Effect.fail(
            new CliError({ message: `${doc.file}:${doc.lineOf("kind")}: not a named object of a known kind` })
          )
        }
        yield* deleteObject(
          rt.plural + (rt.group === "" ? "" : "." + rt.group),
          metadata.name,
          metadata.namespace ?? args.namespace,
          args.propagation
        )
      }
      return
    }
    if (args.first === undefined)
      return yield* Effect.fail(new CliError({ message: "name what to delete: KIND NAME, KIND/NAME or -f FILE" }))
    const { kind, name } = yield* splitKindName(args.first, args.second)
    yield* deleteObject(kind, name, args.namespace, args.propagation)
  })
