/**
 * Bearer-token authentication (Kubernetes' static token file): a token names a user and groups.
 * Without configured tokens every request is the cluster admin. Health checks and `/version`
 * stay open to anonymous callers, as Kubernetes' `system:public-info-viewer` role allows.
 */
import * as Either from "effect/Either"
import { Unauthorized } from "../api/errors.js"
import type { ApiRequest } from "./ApiRequest.js"
import type { Route } from "./Route.js"

/** Who made a request (`user.Info`). */
export interface UserInfo {
  readonly user: string
  readonly groups: ReadonlyArray<string>
}

/** Token → user, as in `--token-auth-file`. */
export type Tokens = Readonly<Record<string, UserInfo>>

/** The identity of every request when authentication is off. */
export const clusterAdmin: UserInfo = { user: "system:admin", groups: ["system:masters", "system:authenticated"] }

const anonymous: UserInfo = { user: "system:anonymous", groups: ["system:unauthenticated"] }

const isPublic = (route: Route | undefined) => route?._tag === "Health" || route?._tag === "Version"

const unauthorized = () => Either.left(new Unauthorized({ message: "Unauthorized" }))

/** The user of a request; 401 for a bad token, or for no token outside the public paths. */
export const authenticate = (
  tokens: Tokens | undefined,
  request: ApiRequest,
  route: Route | undefined
): Either.Either<UserInfo, Unauthorized> => {
  if (tokens === undefined) return Either.right(clusterAdmin)
  const header = request.headers["authorization"]
  if (header === undefined) return isPublic(route) ? Either.right(anonymous) : unauthorized()
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  if (match === null || !Object.prototype.hasOwnProperty.call(tokens, match[1])) return unauthorized()
  const user = tokens[match[1]]
  return Either.right({ user: user.user, groups: [...user.groups, "system:authenticated"] })
}
