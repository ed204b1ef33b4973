/**
 * Authorization: every authenticated user may do everything, except members of the `readonly`
 * group, who may only read — enough to exercise 403 with Kubernetes' wording.
 */
import * as Either from "effect/Either"
import { Forbidden } from "../api/errors.js"
import type { UserInfo } from "./Authentication.js"
import type { Route, Verb } from "./Route.js"

/** The group whose members may not write. */
export const readonlyGroup = "readonly"

const writes: ReadonlySet<Verb> = new Set(["create", "update", "patch", "delete", "deletecollection"])

/** Allows the request or answers 403 `pods is forbidden: User "x" cannot create resource "pods" …`. */
export const authorize = (user: UserInfo, route: Route, verb: Verb): Either.Either<void, Forbidden> => {
  if (!writes.has(verb) || !user.groups.includes(readonlyGroup)) return Either.void
  if (route._tag !== "Resource") {
    return Either.left(new Forbidden({ message: `forbidden: User "${user.user}" cannot ${verb} this path` }))
  }
  const rt = route.resource
  const resource = route.subresource === undefined ? rt.plural : `${rt.plural}/${route.subresource}`
  const qualified = rt.group === "" ? rt.plural : `${rt.plural}.${rt.group}`
  const scope = route.namespace === undefined ? "at the cluster scope" : `in the namespace "${route.namespace}"`
  const subject = route.name === undefined ? qualified : `${qualified} "${route.name}"`
  return Either.left(
    new Forbidden({
      message: `${subject} is forbidden: User "${user.user}" cannot ${verb} resource "${resource}" in API group "${rt.group}" ${scope}`,
      details: { group: rt.group, kind: rt.plural, ...(route.name === undefined ? {} : { name: route.name }) }
    })
  )
}
