/**
 * `PodLogOptions` from a query string, as Kubernetes' parameter codec reads them (a boolean is
 * true unless absent, "false" or "0"; integers as Go's ParseInt), and `ValidatePodLogOptions`.
 * Both the API server's `pods/log` and the kubelet's `/containerLogs` read them.
 */
import * as Either from "effect/Either"
import type { FieldError } from "../api/errors.js"
import { timeMillis } from "../api/time.js"
import type { ContainerLogOptions } from "./KubeletConnection.js"

export interface PodLogOptions extends ContainerLogOptions {
  /** Empty or absent: the pod's only container. */
  readonly container?: string
}

const flag = (query: URLSearchParams, name: string): boolean => {
  const value = query.get(name)
  return value !== null && value !== "0" && value.toLowerCase() !== "false"
}

const integer = (query: URLSearchParams, name: string): Either.Either<number | undefined, string> => {
  const value = query.get(name)
  if (value === null) return Either.right(undefined)
  return /^[+-]?\d+$/.test(value)
    ? Either.right(Number(value))
    : Either.left(`strconv.ParseInt: parsing ${JSON.stringify(value)}: invalid syntax`)
}

/** The options a query names, or why it cannot be read. */
export const decodePodLogOptions = (query: URLSearchParams): Either.Either<PodLogOptions, string> =>
  Either.gen(function* () {
    const tailLines = yield* integer(query, "tailLines")
    const limitBytes = yield* integer(query, "limitBytes")
    const sinceSeconds = yield* integer(query, "sinceSeconds")
    const sinceTime = query.get("sinceTime") ?? undefined
    if (sinceTime !== undefined && timeMillis(sinceTime) === undefined) {
      return yield* Either.left(`sinceTime: ${JSON.stringify(sinceTime)} is not an RFC 3339 time`)
    }
    const container = query.get("container") ?? undefined
    return {
      ...(container === undefined ? {} : { container }),
      follow: flag(query, "follow"),
      previous: flag(query, "previous"),
      timestamps: flag(query, "timestamps"),
      ...(tailLines === undefined ? {} : { tailLines }),
      ...(limitBytes === undefined ? {} : { limitBytes }),
      ...(sinceSeconds === undefined ? {} : { sinceSeconds }),
      ...(sinceTime === undefined ? {} : { sinceTime })
    }
  })

/** `ValidatePodLogOptions`. */
export const validatePodLogOptions = (options: ContainerLogOptions): ReadonlyArray<FieldError> => {
  const errors: Array<FieldError> = []
  if (options.tailLines !== undefined && options.tailLines < 0) {
    errors.push({
      type: "FieldValueInvalid",
      field: "tailLines",
      message: `Invalid value: ${options.tailLines}: must be greater than or equal to 0`
    })
  }
  if (options.limitBytes !== undefined && options.limitBytes < 1) {
    errors.push({
      type: "FieldValueInvalid",
      field: "limitBytes",
      message: `Invalid value: ${options.limitBytes}: must be greater than 0`
    })
  }
  if (options.sinceSeconds !== undefined && options.sinceTime !== undefined) {
    errors.push({
      type: "FieldValueForbidden",
      field: "",
      message: "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified"
    })
  } else if (options.sinceSeconds !== undefined && options.sinceSeconds < 1) {
    errors.push({
      type: "FieldValueInvalid",
      field: "sinceSeconds",
      message: `Invalid value: ${options.sinceSeconds}: must be greater than 0`
    })
  }
  return errors
}
