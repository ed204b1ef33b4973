/** The resource type a CLI word names (`deploy`, `deployments.apps`, `po`, `Pod`), or a readable error. */
import * as Effect from "effect/Effect"
import type { ResourceType } from "../core/api/resource.js"
import { byName } from "../core/api/registry.js"
import { CliError } from "./errors.js"

export const resolveKind = (word: string): Effect.Effect<ResourceType<any>, CliError> => {
  const rt = byName(word)
  return rt === undefined
    ? Effect.fail(new CliError({ message: `the server doesn't have a resource type "${word}"` }))
    : Effect.succeed(rt)
}

/** `KIND NAME` or `KIND/NAME` into the kind word and the name. */
export const splitKindName = (
  first: string,
  second: string | undefined
): Effect.Effect<{ kind: string; name: string }, CliError> => {
  if (first.includes("/")) {
    const [kind, name, ...rest] = first.split("/")
    if (kind && name && rest.length === 0 && second === undefined) return Effect.succeed({ kind, name })
    return Effect.fail(new CliError({ message: `"${first}" is not KIND/NAME` }))
  }
  if (second === undefined) return Effect.fail(new CliError({ message: `name a ${first}: KIND NAME or KIND/NAME` }))
  return Effect.succeed({ kind: first, name: second })
}

/** `deployment.apps/web`, as kubectl names an object in its messages. */
export const qualifiedName = (rt: ResourceType<any>, name: string): string =>
  `${rt.singular}${rt.group === "" ? "" : "." + rt.group}/${name}`
