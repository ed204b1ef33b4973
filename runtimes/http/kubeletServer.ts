/**
 * The kubelet's own HTTP server (Kubernetes' `pkg/kubelet/server`), over the node's
 * ContainerRuntime: `/healthz`, and `/containerLogs/{namespace}/{pod}/{container}` with
 * `follow`, `tailLines` (or the legacy `tail`), `limitBytes` and `previous`, streamed as chunked
 * text/plain that ends with the container (when following) or when the reader goes away.
 *
 * The container is found among the runtime's containers by pod namespace, pod name and container
 * name: its latest instance, or with `previous` the one before it. Without a pod status to read,
 * a container whose last instance exited and waits for its restart counts as the current one
 * (Kubernetes takes it as the previous one), and `timestamps`, `sinceSeconds` and `sinceTime`
 * are refused (the runtime keeps no times per line). Plain HTTP; TLS is a later issue.
 */
import type { ServeError } from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Http from "node:http"
import { decodePodLogOptions, validatePodLogOptions } from "../../core/apiserver/PodLogOptions.js"
import {
  type ContainerInfo,
  ContainerRuntime,
  type PodRef,
  type RuntimeError
} from "../../core/runtime/ContainerRuntime.js"

export interface Options {
  /** 0 picks a free port (`serve` answers the one bound). */
  readonly port: number
  /** Default 127.0.0.1: the server has no TLS nor authentication yet. */
  readonly host?: string
}

type Runtime = ContainerRuntime["Type"]

const encoder = new TextEncoder()

const plain = (status: number, body: string) =>
  HttpServerResponse.text(body, { status, contentType: "text/plain; charset=utf-8" })

const notFoundPage = plain(404, "404 page not found\n")

/** The query as the kubelet reads it: the legacy `tail` stands for `tailLines` ("all" for none). */
const withLegacyTail = (query: URLSearchParams): URLSearchParams => {
  const tail = query.get("tail")
  if (tail === null || tail === "") return query
  const rewritten = new URLSearchParams(query)
  if (tail === "all") rewritten.delete("tailLines")
  else rewritten.set("tailLines", tail)
  return rewritten
}

/** At most `limit` bytes of `bytes`, then the end (a followed log too). */
const limited = (bytes: Stream.Stream<Uint8Array>, limit: number): Stream.Stream<Uint8Array> =>
  bytes.pipe(
    Stream.mapAccum(limit, (left, chunk) => {
      const kept = chunk.subarray(0, left)
      return [left - kept.length, { kept, left: left - kept.length }] as const
    }),
    Stream.takeUntil(({ left }) => left <= 0),
    Stream.map(({ kept }) => kept)
  )

/** The instance whose log is asked for, or the kubelet's words for why there is none. */
const instanceOf = (
  runtime: Runtime,
  ref: { readonly namespace: string; readonly pod: string; readonly container: string },
  previous: boolean
): Effect.Effect<Either.Either<ContainerInfo, HttpServerResponse.HttpServerResponse>, RuntimeError> =>
  Effect.gen(function* () {
    const [sandboxes, containers] = yield* Effect.all([runtime.listSandboxes, runtime.listContainers])
    const ofPod = (pod: PodRef) => pod.namespace === ref.namespace && pod.name === ref.pod
    const owned = [...sandboxes, ...containers].filter((thing) => ofPod(thing.pod))
    if (owned.length === 0) return Either.left(plain(404, `pod ${JSON.stringify(ref.pod)} does not exist`))
    // A pod deleted and made again under its name has a new uid: the newest is the pod.
    const uid = owned.reduce((newest, thing) => (thing.createdAt > newest.createdAt ? thing : newest)).pod.uid
    const instances = containers
      .filter((c) => c.pod.uid === uid && c.name === ref.container)
      .sort((a, b) => a.attempt - b.attempt || a.createdAt - b.createdAt)
    const wanted = instances.at(previous ? -2 : -1)
    if (wanted !== undefined) return Either.right(wanted)
    const named = `container ${JSON.stringify(ref.container)} in pod ${JSON.stringify(ref.pod)}`
    return Either.left(
      plain(
        400,
        previous ? `previous terminated ${named} not found` : `${named} is waiting to start: ContainerCreating`
      )
    )
  })

/** GET `/containerLogs/{namespace}/{pod}/{container}`. */
const containerLogs = (
  runtime: Runtime,
  ref: { readonly namespace: string; readonly pod: string; readonly container: string },
  query: URLSearchParams
): Effect.Effect<HttpServerResponse.HttpServerResponse, RuntimeError> =>
  Effect.gen(function* () {
    const decoded = decodePodLogOptions(withLegacyTail(query))
    if (Either.isLeft(decoded)) return plain(400, `{"message": "Unable to decode query."}`)
    const options = decoded.right
    if (validatePodLogOptions(options).length > 0) return plain(422, `{"message": "Invalid request."}`)
    if (options.timestamps || options.sinceSeconds !== undefined || options.sinceTime !== undefined) {
      return plain(400, "timestamps, sinceSeconds and sinceTime are not supported: this runtime keeps no log times")
    }
    const found = yield* instanceOf(runtime, ref, options.previous)
    if (Either.isLeft(found)) return found.left
    const lines = runtime
      .logs(found.right.id, {
        follow: options.follow,
        ...(options.tailLines === undefined ? {} : { tailLines: options.tailLines })
      })
      .pipe(
        // Runtimes hand out lines; one that already ends its own keeps it.
        Stream.map((line) => encoder.encode(line.endsWith("\n") ? line : `${line}\n`)),
        // The answer has begun: a runtime failure can only end it.
        Stream.catchAll((error) =>
          Stream.drain(Stream.fromEffect(Effect.logWarning(`log of ${found.right.id} broke off`, error)))
        )
      )
    const body = options.limitBytes === undefined ? lines : limited(lines, options.limitBytes)
    // The empty first write sends the headers before the first line (the kubelet's zero-byte write).
    return HttpServerResponse.stream(Stream.concat(Stream.succeed(new Uint8Array(0)), body), {
      contentType: "text/plain"
    })
  })

const decodePath = (pathname: string): ReadonlyArray<string> | undefined => {
  try {
    return pathname.split("/").slice(1).map(decodeURIComponent)
  } catch {
    return undefined
  }
}

const app = (runtime: Runtime) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const url = new URL(request.url, "http://localhost")
    const parts = decodePath(url.pathname)
    const read = request.method === "GET" || request.method === "HEAD"
    if (parts === undefined) return plain(400, `malformed path ${url.pathname}`)
    if (parts.length === 1 && parts[0] === "healthz") return read ? plain(200, "ok") : plain(405, "Method Not Allowed")
    if (parts[0] !== "containerLogs" || parts.length !== 4 || parts.slice(1).some((p) => p === "")) {
      return notFoundPage
    }
    if (request.method !== "GET") return plain(405, "Method Not Allowed")
    const [, namespace, pod, container] = parts as [string, string, string, string]
    return yield* containerLogs(runtime, { namespace, pod, container }, url.searchParams)
  }).pipe(Effect.catchAll((error) => Effect.succeed(plain(500, error.message))))

/**
 * Serves the kubelet's endpoints on `host:port` until the scope closes (open logs are cut then);
 * answers the port bound, to advertise as the Node's `daemonEndpoints.kubeletEndpoint.Port`.
 */
export const serve = (options: Options): Effect.Effect<number, ServeError, ContainerRuntime | Scope.Scope> =>
  Effect.gen(function* () {
    const runtime = yield* ContainerRuntime
    const node = Http.createServer()
    const server = yield* NodeHttpServer.make(() => node, { port: options.port, host: options.host ?? "127.0.0.1" })
    yield* Effect.addFinalizer(() => Effect.sync(() => node.closeAllConnections()))
    yield* server.serve(app(runtime))
    return server.address._tag === "TcpAddress" ? server.address.port : options.port
  })
