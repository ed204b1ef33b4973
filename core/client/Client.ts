/**
 * The Client service: typed Kubernetes verbs over a `Transport`, the only way controllers, the
 * scheduler and the kubelet talk to the API server (client-go's typed clientsets in one service).
 */
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { BadRequest, InternalError, fromStatus } from "../api/errors.js"
import type { ApiError, Status } from "../api/errors.js"
import type { KubeList, KubeObject } from "../api/meta.js"
import type { ResourceType } from "../api/resource.js"
import type { Scale } from "../api/Scale.js"
import type { ApiRequest, ApiResponse, Method, WatchLine } from "../apiserver/ApiRequest.js"
import * as PullStream from "../apiserver/PullStream.js"
import { Transport } from "./Transport.js"
import type { Unreachable } from "./Transport.js"

export interface GetOptions {
  readonly namespace?: string
}

export interface ListOptions {
  /** Omitted for a namespaced kind: every namespace (as `kubectl get -A`). */
  readonly namespace?: string
  readonly labelSelector?: string
  readonly fieldSelector?: string
  readonly limit?: number
  readonly continue?: string
  readonly resourceVersion?: string
}

export interface CreateOptions {
  readonly namespace?: string
  readonly fieldValidation?: "Strict" | "Warn" | "Ignore"
  readonly dryRun?: boolean
}

export interface PatchOptions {
  readonly type: "merge" | "json" | "strategic"
  readonly namespace?: string
  readonly subresource?: string
  readonly fieldValidation?: "Strict" | "Warn" | "Ignore"
}

export interface DeleteOptions {
  readonly namespace?: string
  readonly propagationPolicy?: "Foreground" | "Background" | "Orphan"
  readonly gracePeriodSeconds?: number
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string }
}

export interface WatchOptions {
  /** Omitted for a namespaced kind: every namespace. */
  readonly namespace?: string
  readonly labelSelector?: string
  readonly fieldSelector?: string
  readonly resourceVersion?: string
  readonly allowWatchBookmarks?: boolean
  readonly timeoutSeconds?: number
}

/** `PodLogOptions` (kubectl logs' flags). */
export interface LogOptions {
  readonly namespace?: string
  /** Omitted: the pod's only container (a pod with several answers 400 naming them). */
  readonly container?: string
  readonly follow?: boolean
  /** The log of the container's previous instance (before its last restart). */
  readonly previous?: boolean
  readonly timestamps?: boolean
  readonly tailLines?: number
  readonly limitBytes?: number
  readonly sinceSeconds?: number
}

/** One watch event; a BOOKMARK's object carries only `metadata.resourceVersion`. */
export interface WatchEvent<A> {
  readonly type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK"
  readonly object: A
}

export class Client extends Context.Tag("minik8s/Client")<
  Client,
  {
    readonly get: <A extends KubeObject>(
      rt: ResourceType<A>,
      name: string,
      options?: GetOptions
    ) => Effect.Effect<A, ApiError | Unreachable>
    readonly list: <A extends KubeObject>(
      rt: ResourceType<A>,
      options?: ListOptions
    ) => Effect.Effect<KubeList<A>, ApiError | Unreachable>
    readonly create: <A extends KubeObject>(
      rt: ResourceType<A>,
      obj: A,
      options?: CreateOptions
    ) => Effect.Effect<A, ApiError | Unreachable>
    /** PUT: a compare-and-swap when `obj.metadata.resourceVersion` is set. */
    readonly update: <A extends KubeObject>(rt: ResourceType<A>, obj: A) => Effect.Effect<A, ApiError | Unreachable>
    /** PUT to the `status` subresource. */
    readonly updateStatus: <A extends KubeObject>(
      rt: ResourceType<A>,
      obj: A
    ) => Effect.Effect<A, ApiError | Unreachable>
    readonly patch: <A extends KubeObject>(
      rt: ResourceType<A>,
      name: string,
      patch: unknown,
      options: PatchOptions
    ) => Effect.Effect<A, ApiError | Unreachable>
    /** The object while it lingers (finalizers, graceful deletion), or a success Status once it is gone. */
    readonly delete: <A extends KubeObject>(
      rt: ResourceType<A>,
      name: string,
      options?: DeleteOptions
    ) => Effect.Effect<A | Status, ApiError | Unreachable>
    /** Changes as they happen; an ERROR line fails the stream with its typed error (`Expired` → re-list). */
    readonly watch: <A extends KubeObject>(
      rt: ResourceType<A>,
      options?: WatchOptions
    ) => Stream.Stream<WatchEvent<A>, ApiError | Unreachable>
    /** POST `pods/{name}/binding`: what the scheduler does to place a pod. */
    readonly bind: (name: string, namespace: string, nodeName: string) => Effect.Effect<void, ApiError | Unreachable>
    readonly getScale: <A extends KubeObject>(
      rt: ResourceType<A>,
      name: string,
      namespace?: string
    ) => Effect.Effect<Scale, ApiError | Unreachable>
    readonly scale: <A extends KubeObject>(
      rt: ResourceType<A>,
      name: string,
      replicas: number,
      options?: GetOptions
    ) => Effect.Effect<Scale, ApiError | Unreachable>
    /** GET `pods/{name}/log`: the container's log line by line (line ends removed), to its end when following. */
    readonly logs: (name: string, options?: LogOptions) => Stream.Stream<string, ApiError | Unreachable>
    /** Any request (discovery, OpenAPI, logs); a non-2xx answer fails with its typed error. */
    readonly raw: (request: ApiRequest) => Effect.Effect<ApiResponse, ApiError | Unreachable>
  }
>() {}

const patchContentTypes: Record<PatchOptions["type"], string> = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  strategic: "application/strategic-merge-patch+json"
}

/** `/api/v1` for the core group, `/apis/{group}/{version}` otherwise. */
export const groupVersionPath = (rt: { readonly group: string; readonly version: string }): string =>
  rt.group === "" ? `/api/${rt.version}` : `/apis/${rt.group}/${rt.version}`

/** What a URL needs of a resource type. */
type Addressed = Pick<ResourceType, "group" | "version" | "plural" | "namespaced">

/** The collection URL; `namespace` is ignored for cluster-scoped kinds, and omitted means all namespaces. */
export const collectionPath = (rt: Addressed, namespace: string | undefined): string =>
  rt.namespaced && namespace !== undefined
    ? `${groupVersionPath(rt)}/namespaces/${encodeURIComponent(namespace)}/${rt.plural}`
    : `${groupVersionPath(rt)}/${rt.plural}`

/** The URL of one object (and optionally one of its subresources). */
export const objectPath = (rt: Addressed, namespace: string | undefined, name: string, subresource?: string): string =>
  `${collectionPath(rt, rt.namespaced ? (namespace ?? "default") : undefined)}/${encodeURIComponent(name)}` +
  (subresource === undefined ? "" : `/${subresource}`)

const podsResource: Addressed = { group: "", version: "v1", plural: "pods", namespaced: true }

const query = (params: Record<string, string | number | boolean | undefined>): URLSearchParams => {
  const q = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) if (value !== undefined) q.set(key, String(value))
  return q
}

const request = (
  method: Method,
  path: string,
  q: URLSearchParams,
  body?: unknown,
  contentType?: string
): ApiRequest => ({
  method,
  path,
  query: q,
  headers:
    body === undefined
      ? { accept: "application/json" }
      : { accept: "application/json", "content-type": contentType ?? "application/json" },
  ...(body === undefined ? {} : { body: { _tag: "Parsed", value: body } })
})

const isSuccess = (status: number) => status >= 200 && status < 300

/** The typed error for a non-2xx answer (Kubernetes sends a Status; anything else still maps by code). */
const failure = (response: ApiResponse): ApiError =>
  response._tag === "Text"
    ? fromStatus(response.status, { message: response.body })
    : response._tag === "Json"
      ? fromStatus(response.status, response.body)
      : new InternalError({ message: `unexpected ${response._tag} answer` })

/** Succeeds with the JSON body of a 2xx answer. */
const jsonBody = (response: ApiResponse): Effect.Effect<unknown, ApiError> =>
  response._tag === "Json" && isSuccess(response.status)
    ? Effect.succeed(response.body)
    : isSuccess(response.status)
      ? Effect.fail(new InternalError({ message: `expected a JSON answer, got ${response._tag}` }))
      : Effect.fail(failure(response))

const errorOf = (line: WatchLine): ApiError => {
  const status = line.object as Partial<Status> | undefined
  return fromStatus(typeof status?.code === "number" ? status.code : 500, status)
}

/**
 * The watch lines as typed events, mapped a chunk at a time with no Effect per line: an ERROR line
 * ends them with its typed error, after the events before it (the lines after it are not read).
 */
const watchEvents = <A>(read: PullStream.Next<WatchLine>): PullStream.Next<WatchEvent<A>, ApiError> => {
  let error: ApiError | undefined
  const events = (chunk: Chunk.Chunk<WatchLine>): PullStream.Pull<WatchEvent<A>, ApiError> => {
    const at = Chunk.findFirstIndex(chunk, (line) => line.type === "ERROR")
    if (Option.isNone(at)) return Effect.succeed(chunk as unknown as Chunk.Chunk<WatchEvent<A>>)
    error = errorOf(Chunk.unsafeGet(chunk, at.value))
    return at.value === 0
      ? Effect.fail(Option.some(error))
      : Effect.succeed(Chunk.take(chunk, at.value) as unknown as Chunk.Chunk<WatchEvent<A>>)
  }
  return () => (error === undefined ? Effect.flatMap(read(), events) : Effect.fail(Option.some(error)))
}

/** The Client over whatever `Transport` is in context. */
export const make: Effect.Effect<Client["Type"], never, Transport> = Effect.map(Transport, (transport) => {
  type Answer<A> = Effect.Effect<A, ApiError | Unreachable>
  // The server has validated what it answers, so bodies are cast, not decoded.
  const send = <A>(req: ApiRequest): Answer<A> => Effect.flatMap(transport.request(req), jsonBody) as Answer<A>

  const get = <A extends KubeObject>(rt: ResourceType<A>, name: string, options: GetOptions = {}): Answer<A> =>
    send(request("GET", objectPath(rt, options.namespace, name), query({})))

  const list = <A extends KubeObject>(rt: ResourceType<A>, options: ListOptions = {}): Answer<KubeList<A>> =>
    send(
      request(
        "GET",
        collectionPath(rt, options.namespace),
        query({
          labelSelector: options.labelSelector,
          fieldSelector: options.fieldSelector,
          limit: options.limit,
          continue: options.continue,
          resourceVersion: options.resourceVersion
        })
      )
    )

  const create = <A extends KubeObject>(rt: ResourceType<A>, obj: A, options: CreateOptions = {}): Answer<A> =>
    send(
      request(
        "POST",
        collectionPath(rt, rt.namespaced ? (options.namespace ?? obj.metadata.namespace ?? "default") : undefined),
        query({ fieldValidation: options.fieldValidation, dryRun: options.dryRun === true ? "All" : undefined }),
        obj
      )
    )

  const put = <A extends KubeObject>(rt: ResourceType<A>, obj: A, subresource?: string): Answer<A> => {
    const name = obj.metadata.name
    return name === undefined || name === ""
      ? Effect.fail(new BadRequest({ message: "resource name may not be empty" }))
      : send<A>(request("PUT", objectPath(rt, obj.metadata.namespace, name, subresource), query({}), obj))
  }

  const patch = <A extends KubeObject>(
    rt: ResourceType<A>,
    name: string,
    body: unknown,
    options: PatchOptions
  ): Answer<A> =>
    send(
      request(
        "PATCH",
        objectPath(rt, options.namespace, name, options.subresource),
        query({ fieldValidation: options.fieldValidation }),
        body,
        patchContentTypes[options.type]
      )
    )

  const del = <A extends KubeObject>(
    rt: ResourceType<A>,
    name: string,
    options: DeleteOptions = {}
  ): Answer<A | Status> => {
    const { namespace, ...rest } = options
    const body = Object.keys(rest).length === 0 ? undefined : { apiVersion: "v1", kind: "DeleteOptions", ...rest }
    return send(request("DELETE", objectPath(rt, namespace, name), query({}), body))
  }

  // One pull around the transport's (see PullStream): the informer reads every watch event through it.
  const watch = <A extends KubeObject>(
    rt: ResourceType<A>,
    options: WatchOptions = {}
  ): Stream.Stream<WatchEvent<A>, ApiError | Unreachable> =>
    PullStream.fromNext(
      Effect.flatMap(
        Effect.either(
          transport.request(
            request(
              "GET",
              collectionPath(rt, options.namespace),
              query({
                watch: "true",
                labelSelector: options.labelSelector,
                fieldSelector: options.fieldSelector,
                resourceVersion: options.resourceVersion,
                allowWatchBookmarks: options.allowWatchBookmarks,
                timeoutSeconds: options.timeoutSeconds
              })
            )
          )
        ),
        (answer): PullStream.OpenNext<WatchEvent<A>, ApiError | Unreachable> => {
          if (Either.isLeft(answer)) return Effect.succeed(() => Effect.fail(Option.some(answer.left)))
          const response = answer.right
          if (response._tag === "Watch") return Effect.map(PullStream.toNext(response.events), watchEvents<A>)
          const error = isSuccess(response.status)
            ? new InternalError({ message: "expected a watch stream, got a single answer" })
            : failure(response)
          return Effect.succeed(() => Effect.fail(Option.some(error)))
        }
      )
    )

  const bind = (name: string, namespace: string, nodeName: string): Answer<void> =>
    Effect.asVoid(
      send(
        request(
          "POST",
          `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/binding`,
          query({}),
          {
            apiVersion: "v1",
            kind: "Binding",
            metadata: { name, namespace },
            target: { apiVersion: "v1", kind: "Node", name: nodeName }
          }
        )
      )
    )

  const getScale = <A extends KubeObject>(rt: ResourceType<A>, name: string, namespace?: string): Answer<Scale> =>
    send(request("GET", objectPath(rt, namespace, name, "scale"), query({})))

  // kubectl scale sends this same merge patch to the scale subresource.
  const scale = <A extends KubeObject>(
    rt: ResourceType<A>,
    name: string,
    replicas: number,
    options: GetOptions = {}
  ): Answer<Scale> =>
    send(
      request(
        "PATCH",
        objectPath(rt, options.namespace, name, "scale"),
        query({}),
        { spec: { replicas } },
        patchContentTypes.merge
      )
    )

  const raw = (req: ApiRequest): Answer<ApiResponse> =>
    Effect.flatMap(transport.request(req), (response) =>
      isSuccess(response.status) ? Effect.succeed(response) : Effect.fail(failure(response))
    )

  const logs = (name: string, options: LogOptions = {}): Stream.Stream<string, ApiError | Unreachable> => {
    const flag = (on: boolean | undefined) => (on === true ? "true" : undefined)
    const path = objectPath(podsResource, options.namespace, name, "log")
    const q = query({
      container: options.container,
      follow: flag(options.follow),
      previous: flag(options.previous),
      timestamps: flag(options.timestamps),
      tailLines: options.tailLines,
      limitBytes: options.limitBytes,
      sinceSeconds: options.sinceSeconds
    })
    return Stream.unwrap(
      Effect.flatMap(raw(request("GET", path, q)), (response) =>
        response._tag === "TextStream"
          ? Effect.succeed(response.body)
          : response._tag === "Text"
            ? Effect.succeed(Stream.succeed(response.body))
            : Effect.fail(new InternalError({ message: `expected the log as text, got a ${response._tag} answer` }))
      )
    ).pipe(Stream.splitLines)
  }

  return Client.of({
    get,
    list,
    create,
    update: (rt, obj) => put(rt, obj),
    updateStatus: (rt, obj) => put(rt, obj, "status"),
    patch,
    delete: del,
    watch,
    bind,
    getScale,
    scale,
    logs,
    raw
  })
})

/** The Client, given a `Transport` (in-process, simulated network or HTTP). */
export const layer: Layer.Layer<Client, never, Transport> = Layer.effect(Client, make)
