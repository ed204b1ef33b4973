/**
 * How the API server reaches a node's kubelet (Kubernetes' `ConnectionInfoGetter` and the
 * transport behind the `pods/log` proxy): a request to the kubelet's `/containerLogs` endpoint at
 * the node's address and port, answered with the log as text. The HTTP layer is in `runtimes/http`;
 * an API server without this service (in process, simulated) answers `pods/log` with a Status.
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"

/** Where a kubelet listens: the node's preferred address and its `daemonEndpoints.kubeletEndpoint.Port`. */
export interface KubeletEndpoint {
  readonly host: string
  readonly port: number
}

/** `PodLogOptions` as the kubelet reads them from the query (the container is in the path). */
export interface ContainerLogOptions {
  readonly follow: boolean
  readonly previous: boolean
  readonly timestamps: boolean
  readonly tailLines?: number
  readonly limitBytes?: number
  readonly sinceSeconds?: number
  readonly sinceTime?: string
}

/** The kubelet answered with an error status; `message` is its plain-text body. */
export class KubeletRefused extends Data.TaggedError("KubeletRefused")<{
  readonly status: number
  readonly message: string
}> {}

/** The kubelet could not be reached or its answer broke off; `message` names the URL and why. */
export class KubeletUnreachable extends Data.TaggedError("KubeletUnreachable")<{ readonly message: string }> {}

export class KubeletConnection extends Context.Tag("minik8s/KubeletConnection")<
  KubeletConnection,
  {
    /**
     * GET `/containerLogs/{namespace}/{pod}/{container}`: succeeds once the kubelet has accepted
     * the request, with the log's text as it arrives (to the container's end when following).
     */
    readonly containerLogs: (
      endpoint: KubeletEndpoint,
      namespace: string,
      pod: string,
      container: string,
      options: ContainerLogOptions
    ) => Effect.Effect<Stream.Stream<string, KubeletUnreachable>, KubeletRefused | KubeletUnreachable>
  }
>() {}

/** The kubelet's query string for `options`, in the order Kubernetes' `url.Values.Encode` writes it. */
export const containerLogsQuery = (options: ContainerLogOptions): URLSearchParams => {
  const query = new URLSearchParams()
  if (options.follow) query.set("follow", "true")
  if (options.limitBytes !== undefined) query.set("limitBytes", String(options.limitBytes))
  if (options.previous) query.set("previous", "true")
  if (options.sinceSeconds !== undefined) query.set("sinceSeconds", String(options.sinceSeconds))
  if (options.sinceTime !== undefined) query.set("sinceTime", options.sinceTime)
  if (options.tailLines !== undefined) query.set("tailLines", String(options.tailLines))
  if (options.timestamps) query.set("timestamps", "true")
  return query
}
