/**
 * The `log` subresource of pods (Kubernetes' `LogREST` and `LogLocation`): reads the
 * PodLogOptions, picks the container, finds the node's kubelet (its preferred address and
 * `daemonEndpoints.kubeletEndpoint.Port`) and streams the kubelet's `/containerLogs` answer as
 * text/plain. A pod not yet scheduled has an empty log; the kubelet's refusals become Status
 * errors worded as `GenericHttpResponseChecker` words them.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"
import {
  type ApiError,
  BadRequest,
  Conflict,
  Forbidden,
  InternalError,
  Invalid,
  invalid,
  MethodNotAllowed,
  NotFound,
  ServiceUnavailable,
  type StatusDetails,
  Timeout,
  TooManyRequests,
  Unauthorized
} from "../api/errors.js"
import { defaultKubeletPort, type Node, Nodes } from "../api/Node.js"
import type { Pod } from "../api/Pod.js"
import type { ApiResponse } from "./ApiRequest.js"
import { read } from "./Get.js"
import type { KubeletEndpoint, KubeletRefused } from "./KubeletConnection.js"
import { decodePodLogOptions, validatePodLogOptions } from "./PodLogOptions.js"
import type { RequestScope } from "./RequestScope.js"
import { textStream } from "./Responses.js"
import { objectKey } from "./StorageKey.js"
import { interpret } from "./StoreErrors.js"

/** The node address types tried in order (kubeadm's `--kubelet-preferred-address-types`). */
const preferredAddressTypes = ["InternalIP", "ExternalIP", "Hostname"]

/** Every container name of the pod, init containers first (`VisitContainers`). */
const containerNames = (pod: Pod): ReadonlyArray<string> => [
  ...(pod.spec?.initContainers ?? []).map((c) => c.name ?? ""),
  ...(pod.spec?.containers ?? []).map((c) => c.name ?? ""),
  ...(pod.spec?.ephemeralContainers ?? []).map((c) => String((c as { name?: unknown }).name ?? ""))
]

/** The container to read (`validateContainer`): the one asked for, else the pod's only one. */
const containerOf = (pod: Pod, requested: string): Either.Either<string, BadRequest> => {
  const name = pod.metadata.name ?? ""
  const names = containerNames(pod)
  if (requested !== "") {
    return names.includes(requested)
      ? Either.right(requested)
      : Either.left(new BadRequest({ message: `container ${requested} is not valid for pod ${name}` }))
  }
  const containers = pod.spec?.containers ?? []
  if (containers.length === 1) return Either.right(containers[0]!.name ?? "")
  const choices = containers.length === 0 ? "" : `, choose one of: [${names.join(" ")}]`
  return Either.left(new BadRequest({ message: `a container name must be specified for pod ${name}${choices}` }))
}

/** The node's kubelet endpoint (`NodeConnectionInfoGetter`). */
const endpointOf = (scope: RequestScope, nodeName: string): Effect.Effect<KubeletEndpoint, ApiError> =>
  scope.store.get(objectKey(Nodes, undefined, nodeName)).pipe(
    Effect.mapError((e) => interpret(Nodes, nodeName, e)),
    Effect.flatMap((entry) => {
      const status = (entry.value as unknown as Node).status
      const addresses = status?.addresses ?? []
      const address = preferredAddressTypes
        .map((type) => addresses.find((a) => a.type === type && (a.address ?? "") !== "")?.address)
        .find((a) => a !== undefined)
      if (address === undefined) {
        const known = addresses.map((a) => `{${a.type} ${a.address}}`).join(" ")
        return Effect.fail(new InternalError({ message: `no preferred addresses found; known addresses: [${known}]` }))
      }
      const port = status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0
      return Effect.succeed({ host: address, port: port > 0 ? port : defaultKubeletPort })
    })
  )

type ErrorClass = new (args: { message: string; details?: StatusDetails }) => ApiError

/** What a code means when the kubelet's body is no Status (`NewGenericServerResponse`). */
const genericResponse = (status: number, body: string): readonly [ErrorClass, string] => {
  switch (status) {
    case 401:
      return [Unauthorized, "the server has asked for the client to provide credentials"]
    case 403:
      return [Forbidden, body]
    case 404:
      return [NotFound, "the server could not find the requested resource"]
    case 405:
      return [MethodNotAllowed, "the server does not allow this method on the requested resource"]
    case 409:
      return [Conflict, "the server reported a conflict"]
    case 422:
      return [Invalid, "the server rejected our request due to an error in our request"]
    case 429:
      return [TooManyRequests, "the server has received too many requests and has asked us to try again later"]
    case 503:
      return [ServiceUnavailable, "the server is currently unable to handle the request"]
    case 504:
      return [
        Timeout,
        "the server was unable to return a response in the time allotted, but may still be processing the request"
      ]
    default:
      return [
        InternalError,
        status >= 500
          ? `an error on the server (${JSON.stringify(body)}) has prevented the request from succeeding`
          : `the server responded with the status code ${status} but did not return more information`
      ]
  }
}

/** The kubelet's refusal as the API error (`GenericHttpResponseChecker`): 400 and 500 keep its words. */
const refusal = (pod: string, error: KubeletRefused): ApiError => {
  const body = error.message
  if (error.status === 400) return new BadRequest({ message: body })
  if (error.status === 500) {
    return new InternalError({ message: `Internal error occurred: ${body}`, details: { causes: [{ message: body }] } })
  }
  const [Class, message] = genericResponse(error.status, body)
  return new Class({ message: `${message} ( pods/log ${pod})`, details: { name: pod, group: "", kind: "pods/log" } })
}

const noKubelets = (pod: string) =>
  new ServiceUnavailable({
    message: `the log of pod ${pod} cannot be read: this API server has no connection to kubelets (it runs in process or simulated)`
  })

/** Handles GET of `pods/{name}/log`. */
export const podLog = (scope: RequestScope): Effect.Effect<ApiResponse, ApiError> =>
  Effect.gen(function* () {
    const name = scope.name!
    const { container: requested, ...options } = yield* Either.mapLeft(
      decodePodLogOptions(scope.request.query),
      (message) => new BadRequest({ message })
    )
    const errors = validatePodLogOptions(options)
    if (errors.length > 0) return yield* Effect.fail(invalid("PodLogOptions", "", name, errors))
    const pod = (yield* read(scope)) as unknown as Pod
    const container = yield* containerOf(pod, requested ?? "")
    const nodeName = pod.spec?.nodeName ?? ""
    if (nodeName === "") return textStream(Stream.empty)
    const kubelet = scope.config.kubelet
    if (kubelet === undefined) return yield* Effect.fail(noKubelets(name))
    const endpoint = yield* endpointOf(scope, nodeName)
    const log = yield* kubelet
      .containerLogs(endpoint, pod.metadata.namespace ?? "", name, container, options)
      .pipe(
        Effect.mapError((e) =>
          e._tag === "KubeletRefused" ? refusal(name, e) : new InternalError({ message: e.message })
        )
      )
    // A connection to the kubelet that breaks off ends the log, as the proxied body would.
    return textStream(Stream.catchAll(log, () => Stream.empty))
  })
