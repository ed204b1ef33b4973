/** `minik8s scale KIND/NAME --replicas N`: the scale subresource, as `kubectl scale` uses it. */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { Client } from "../core/client/Client.js"
import { CliError } from "./errors.js"
import { qualifiedName, resolveKind, splitKindName } from "./resolveKind.js"

export const scale = (args: {
  readonly first: string
  readonly second: string | undefined
  readonly replicas: number
  readonly namespace: string | undefined
}) =>
  Effect.gen(function* () {
    const client = yield* Client
    const { kind, name } = yield* splitKindName(args.first, args.second)
    const rt = yield* resolveKind(kind)
    if (rt.scale === undefined) return yield* Effect.fail(new CliError({ message: `${rt.plural} cannot be scaled` }))
    if (!Number.isInteger(args.replicas) || args.replicas < 0) {
      return yield* Effect.fail(new CliError({ message: "--replicas must be a whole number ≥ 0" }))
    }
    yield* client.scale(rt, name, args.replicas, { namespace: args.namespace ?? "default" })
    yield* Console.log(`${qualifiedName(rt, name)} scaled`)
  })
