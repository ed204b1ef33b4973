/**
 * The API server as a service: one `handle` for every request, whatever carried it.
 * It never fails: errors come back as `Status` bodies with their HTTP code.
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import { type ApiError, InternalError, NotFound } from "../api/errors.js"
import { Namespaces } from "../api/Namespace.js"
import { openApiV2, openApiV3, openApiV3Index } from "../api/openapi.js"
import { Store, type Value } from "../store/Store.js"
import { admitCreate } from "./Admission.js"
import * as Cacher from "./Cacher.js"
import type { ApiRequest, ApiResponse } from "./ApiRequest.js"
import { authenticate, type Tokens } from "./Authentication.js"
import { authorize } from "./Authorization.js"
import { create, newUid } from "./Create.js"
import { remove, removeCollection } from "./Delete.js"
import { apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from "./Discovery.js"
import { get } from "./Get.js"
import { health } from "./Health.js"
import { KubeletConnection } from "./KubeletConnection.js"
import { list } from "./List.js"
import { makeLister, systemNamespaces } from "./NamespaceLifecycle.js"
import { negotiate, type Output } from "./Negotiation.js"
import { patch } from "./Patcher.js"
import { bind } from "./PodBinding.js"
import { podLog } from "./PodLog.js"
import { defaultMaxRequestBytes } from "./RequestBody.js"
import { type RequestScope, type ServerConfig } from "./RequestScope.js"
import { failure, json } from "./Responses.js"
import { type Route, route, type Verb, verbOf } from "./Route.js"
import { getScale, writeScale } from "./ScaleSubresource.js"
import { defaultServiceClusterIPRange, parseRange } from "./ServiceIPs.js"
import { objectKey } from "./StorageKey.js"
import { type IncludeObject, includeObjectOf } from "./Table.js"
import { update } from "./Update.js"
import { watch } from "./Watch.js"
import { now } from "../api/time.js"
import { defaultTolerationSeconds } from "../api/Pod.js"

export class ApiServer extends Context.Tag("minik8s/ApiServer")<
  ApiServer,
  {
    readonly handle: (request: ApiRequest) => Effect.Effect<ApiResponse>
  }
>() {}

/** Settings of the API server; each defaults as Kubernetes does. */
export interface ApiServerOptions {
  /** Largest request body accepted (413 beyond); default 3 MiB. */
  readonly maxRequestBytes?: number
  /** How often a watch with `allowWatchBookmarks` gets a BOOKMARK, in Clock time; default 60 s. */
  readonly bookmarkInterval?: Duration.DurationInput
  /** Bearer tokens and who they name; when given, every request but health and version must carry one. */
  readonly tokens?: Tokens
  /** The range Services' cluster IPs come from (`--service-cluster-ip-range`); default 10.96.0.0/12. */
  readonly serviceClusterIPRange?: string
  /**
   * tolerationSeconds of the not-ready and unreachable NoExecute tolerations every pod gets
   * (`--default-not-ready-toleration-seconds`, `--default-unreachable-toleration-seconds`); default 300.
   */
  readonly defaultTolerationSeconds?: number
  /** How long an Event lives after its last write (`--event-ttl`); default 1 h. */
  readonly eventTTL?: Duration.DurationInput
}

/** Dispatches a resource request by verb and subresource. */
const serveResource = (scope: RequestScope, verb: Verb): Effect.Effect<ApiResponse, ApiError> => {
  const sub = scope.subresource
  switch (verb) {
    case "list":
      return list(scope)
    case "watch":
      return watch(scope)
    case "create":
      return sub === "binding" ? bind(scope) : create(scope)
    case "get":
      return sub === "scale" ? getScale(scope) : sub === "log" ? podLog(scope) : get(scope)
    case "update":
      if (sub === "scale") return writeScale(scope, "PUT")
      return update(scope, sub === "status" ? "status" : sub === "finalize" ? "finalize" : "object")
    case "patch":
      if (sub === "scale") return writeScale(scope, "PATCH")
      return patch(scope, sub === "status" ? "status" : "object")
    case "delete":
      return remove(scope)
    case "deletecollection":
      return removeCollection(scope)
  }
}

const dispatch = (
  store: Store["Type"],
  config: ServerConfig,
  request: ApiRequest,
  target: Route,
  verb: Verb
): Effect.Effect<ApiResponse, ApiError> => {
  switch (target._tag) {
    case "Health":
      return health(store, target.check, target.subcheck, request.query)
    case "Version":
      return Effect.succeed(json(200, versionInfo))
    case "OpenApiV2":
      return Effect.sync(() => json(200, openApiV2()))
    case "OpenApiV3Index":
      return Effect.sync(() => json(200, openApiV3Index()))
    case "OpenApiV3":
      return Effect.suspend(() => {
        const document = openApiV3(target.path)
        return document === undefined
          ? Effect.fail(new NotFound({ message: "the server could not find the requested resource", details: {} }))
          : Effect.succeed(json(200, document))
      })
    case "CoreVersions":
      return Effect.succeed(json(200, apiVersions()))
    case "Groups":
      return Effect.succeed(json(200, apiGroupList()))
    case "Group":
      return Effect.succeed(json(200, apiGroup(target.group)))
    case "Resources":
      return Effect.succeed(json(200, apiResourceList(target.group, target.version)))
    case "Resource": {
      // A log is text whatever the Accept header says, as Kubernetes streams it.
      const output =
        target.subresource === "log" ? Either.right<Output>({ _tag: "Object" }) : negotiate(request.headers["accept"])
      if (Either.isLeft(output)) return Effect.fail(output.left)
      const includeObject =
        output.right._tag === "Table" ? includeObjectOf(request.query) : Either.right<IncludeObject>("Metadata")
      if (Either.isLeft(includeObject)) return Effect.fail(includeObject.left)
      const scope: RequestScope = {
        store,
        config,
        request,
        resource: target.resource,
        namespace: target.namespace,
        name: target.name,
        subresource: target.subresource,
        output: output.right,
        includeObject: includeObject.right
      }
      return serveResource(scope, verb)
    }
  }
}

/** What a request asks for, once authenticated, routed and authorized. */
const admitted = (
  config: ServerConfig,
  request: ApiRequest
): Either.Either<{ readonly target: Route; readonly verb: Verb }, ApiError> => {
  // Plain early returns rather than Either.gen: this runs for every request.
  const routed = route(request.path)
  const user = authenticate(config.tokens, request, Either.getOrUndefined(routed))
  if (Either.isLeft(user)) return Either.left(user.left)
  if (Either.isLeft(routed)) return Either.left(routed.left)
  const target = routed.right
  const verb = verbOf(target, request.method, request.query)
  if (Either.isLeft(verb)) return Either.left(verb.left)
  const allowed = authorize(user.right, target, verb.right)
  return Either.isLeft(allowed) ? Either.left(allowed.left) : Either.right({ target, verb: verb.right })
}

/**
 * Authentication (before routing, as Kubernetes' filters run), routing, authorization, dispatch:
 * plain functions, so a request costs the fiber only its store calls (every heartbeat comes here).
 */
const serve = (
  store: Store["Type"],
  config: ServerConfig,
  request: ApiRequest
): Effect.Effect<ApiResponse, ApiError> => {
  const asked = admitted(config, request)
  return Either.isLeft(asked)
    ? Effect.fail(asked.left)
    : dispatch(store, config, request, asked.right.target, asked.right.verb)
}

/** Errors as `Status` answers; a bug is logged and answered 500 (it must not take the server down). */
const recover = (cause: Cause.Cause<ApiError>): Effect.Effect<ApiResponse> => {
  const error = Cause.failureOption(cause)
  if (Option.isSome(error)) return Effect.succeed(failure(error.value))
  const defect = Cause.dieOption(cause)
  if (Option.isSome(defect)) {
    return Effect.as(
      Effect.logError("API request failed", Cause.die(defect.value)),
      failure(new InternalError({ message: `Internal error occurred: ${String(defect.value)}` }))
    )
  }
  // Only interruption is left: it goes on.
  return Effect.failCause(cause as Cause.Cause<never>)
}

/** Creates the namespaces Kubernetes starts with, unless they exist; answers the ones it could not. */
const bootstrap = (store: Store["Type"], log: boolean): Effect.Effect<ReadonlyArray<string>> =>
  Effect.filter(systemNamespaces, (name) =>
    Effect.gen(function* () {
      const namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name } }
      const admitted = yield* admitCreate(Namespaces, namespace, {
        uid: yield* newUid,
        creationTimestamp: yield* now
      })
      yield* store.create(objectKey(Namespaces, undefined, name), admitted as unknown as Value)
      return false
    }).pipe(
      Effect.catchAll((e) =>
        e._tag === "KeyExists"
          ? Effect.succeed(false)
          : Effect.as(log ? Effect.logWarning(`cannot create namespace ${name}: ${e.message}`) : Effect.void, true)
      )
    )
  )

/**
 * The system namespaces, made at start; a store that cannot be reached then (etcd not up yet) is
 * tried again in the background, with backoff up to 30 s, until they exist (the bootstrap controller).
 */
const ensureSystemNamespaces = (store: Store["Type"]): Effect.Effect<void> =>
  Effect.flatMap(bootstrap(store, true), (missing) =>
    missing.length === 0
      ? Effect.void
      : Effect.asVoid(
          Effect.forkDaemon(
            Effect.sleep("1 second").pipe(
              Effect.zipRight(bootstrap(store, false)),
              Effect.filterOrFail((left) => left.length === 0),
              Effect.retry(Schedule.exponential("1 second").pipe(Schedule.union(Schedule.spaced("30 seconds")))),
              Effect.zipRight(Effect.logInfo("system namespaces created")),
              Effect.ignore
            )
          )
        )
  )

/**
 * The API server over the Store; creates the system namespaces at start. `pods/log` reaches
 * kubelets through the KubeletConnection in context when there is one.
 */
export const make = (options: ApiServerOptions = {}): Effect.Effect<ApiServer["Type"], never, Store> =>
  Effect.gen(function* () {
    const store = yield* Store
    const cacher = Cacher.make(store)
    const config: ServerConfig = {
      maxRequestBytes: options.maxRequestBytes ?? defaultMaxRequestBytes,
      bookmarkInterval: Duration.decode(options.bookmarkInterval ?? "60 seconds"),
      tokens: options.tokens,
      serviceIPRange: yield* Effect.orDie(parseRange(options.serviceClusterIPRange ?? defaultServiceClusterIPRange)),
      defaultTolerationSeconds: options.defaultTolerationSeconds ?? defaultTolerationSeconds,
      eventTTL: Math.max(1, Math.ceil(Duration.toSeconds(Duration.decode(options.eventTTL ?? "1 hour")))),
      cacher,
      namespaces: makeLister(store, cacher),
      kubelet: Option.getOrUndefined(yield* Effect.serviceOption(KubeletConnection))
    }
    yield* ensureSystemNamespaces(store)
    const handle = (request: ApiRequest): Effect.Effect<ApiResponse> =>
      Effect.catchAllCause(
        Effect.suspend(() => serve(store, config, request)),
        recover
      )
    return { handle }
  })

/** The API server as a layer over the Store (and a KubeletConnection, when one is provided). */
export const layer = (options: ApiServerOptions = {}): Layer.Layer<ApiServer, never, Store> =>
  Layer.effect(ApiServer, make(options))
