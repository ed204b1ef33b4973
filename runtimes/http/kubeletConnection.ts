/**
 * The HTTP `KubeletConnection`: how the API server reaches a kubelet's server (`kubeletServer.ts`)
 * for `pods/log`, with `@effect/platform`'s HttpClient over undici. Plain HTTP: the kubelet's TLS
 * and its authentication of the API server are a later issue.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import {
  containerLogsQuery,
  KubeletConnection,
  type KubeletEndpoint,
  KubeletRefused,
  KubeletUnreachable
} from "../../core/apiserver/KubeletConnection.js"

export interface Options {
  /** How long the kubelet may take to begin its answer (default 30 s, the kubelet client's dial timeout). */
  readonly timeout?: Duration.DurationInput
}

/** The most of an error body kept (`maxReadLength`). */
const maxErrorBytes = 50_000

const hostForUrl = (host: string) => (host.includes(":") ? `[${host}]` : host)

/** `http://host:port/containerLogs/{namespace}/{pod}/{container}?…` */
export const containerLogsUrl = (
  endpoint: KubeletEndpoint,
  namespace: string,
  pod: string,
  container: string,
  query: URLSearchParams
): string => {
  const path = [namespace, pod, container].map(encodeURIComponent).join("/")
  const search = query.toString()
  return `http://${hostForUrl(endpoint.host)}:${endpoint.port}/containerLogs/${path}${search === "" ? "" : `?${search}`}`
}

/** Go's wording of a failed request: `Get "http://…": connect ECONNREFUSED 127.0.0.1:10250`. */
const unreachable = (url: string, error: HttpClientError.HttpClientError): KubeletUnreachable => {
  const cause = error.cause as { code?: string; message?: string; cause?: { message?: string } } | undefined
  const why = cause?.cause?.message ?? cause?.message ?? cause?.code ?? error.message
  return new KubeletUnreachable({ message: `Get ${JSON.stringify(url)}: ${why}` })
}

/** The KubeletConnection over an already-provided HttpClient. */
export const make = (options: Options = {}): Effect.Effect<KubeletConnection["Type"], never, HttpClient.HttpClient> =>
  Effect.map(HttpClient.HttpClient, (httpClient) => {
    const client = HttpClient.withTracerPropagation(httpClient, false)
    const timeout = Duration.decode(options.timeout ?? "30 seconds")
    return KubeletConnection.of({
      containerLogs: (endpoint, namespace, pod, container, logOptions) => {
        const url = containerLogsUrl(endpoint, namespace, pod, container, containerLogsQuery(logOptions))
        return client.execute(HttpClientRequest.get(url)).pipe(
          Effect.timeoutFail({
            duration: timeout,
            onTimeout: () =>
              new KubeletUnreachable({
                message: `Get ${JSON.stringify(url)}: no answer within ${Duration.format(timeout)}`
              })
          }),
          Effect.catchTags({
            RequestError: (error) => Effect.fail(unreachable(url, error)),
            ResponseError: (error) => Effect.fail(unreachable(url, error))
          }),
          Effect.flatMap((response) =>
            response.status >= 200 && response.status < 300
              ? Effect.succeed(
                  response.stream.pipe(
                    Stream.decodeText(),
                    Stream.mapError((error) => unreachable(url, error))
                  )
                )
              : response.text.pipe(
                  Effect.mapError((error) => unreachable(url, error)),
                  Effect.flatMap((body) =>
                    Effect.fail(new KubeletRefused({ status: response.status, message: body.slice(0, maxErrorBytes) }))
                  )
                )
          )
        )
      }
    })
  })

/** The HTTP KubeletConnection with its own connection pool, closed when the layer's scope closes. */
export const layer = (options: Options = {}): Layer.Layer<KubeletConnection> =>
  Layer.effect(KubeletConnection, make(options)).pipe(Layer.provide(NodeHttpClient.layerUndici))
