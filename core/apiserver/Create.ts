/**
 * create (POST to a collection): decode under `fieldValidation`, place the object in the URL's
 * namespace (which must exist), pick a name for `generateName`, admit it (defaults, server-owned
 * fields, validation) and store it, or with `dryRun=All` only answer what would be stored.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { type ApiError, alreadyExists, BadRequest } from "../api/errors.js"
import type { KubeObject } from "../api/meta.js"
import { withIntsBetween } from "../api/random.js"
import type { Value } from "../store/Store.js"
import { admitCreate } from "./Admission.js"
import type { ApiResponse } from "./ApiRequest.js"
import { namespaceMismatch } from "./ObjectIdentity.js"
import { type RequestScope, respondObject, writeBodyOf, writeOptionsOf } from "./RequestScope.js"
import { warningHeaders } from "./Responses.js"
import * as ResourceVersion from "./ResourceVersion.js"
import { withClusterIP } from "./ServiceIPs.js"
import { objectKey } from "./StorageKey.js"
import { interpret } from "./StoreErrors.js"
import { now } from "../api/time.js"

/** A version 4 UUID from Effect's Random, so simulated runs stay reproducible. */
export const newUid: Effect.Effect<string> = withIntsBetween(4, 0, 0x1_0000_0000, ([a, b, c, d]) => {
  // Version 4 in the 13th hex digit, variant 10 in the 17th.
  const words = [a!, ((b! & 0xffff0fff) | 0x4000) >>> 0, ((c! & 0x3fffffff) | 0x80000000) >>> 0, d!]
  const hex = words.map((w) => w.toString(16).padStart(8, "0")).join("")
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
})

// Kubernetes' name generator: no vowels (no words) and no look-alike characters.
const alphabet = "bcdfghjklmnpqrstvwxz2456789"
const suffixLength = 5
const maxNameLength = 63
/** How often a generated name is retried when taken, as Kubernetes does. */
const generateNameAttempts = 8

/** `generateName` plus five random characters, the base cut so the name stays within 63 characters. */
export const generateName = (base: string): Effect.Effect<string> =>
  withIntsBetween(
    suffixLength,
    0,
    alphabet.length,
    (ints) => base.slice(0, maxNameLength - suffixLength) + ints.map((i) => alphabet[i]).join("")
  )

const withName = (obj: KubeObject, name: string): KubeObject => ({ ...obj, metadata: { ...obj.metadata, name } })

/** The object a POST body asks for, placed in the URL's namespace: decoding and checks are plain work. */
const placedOf = (
  scope: RequestScope
): Either.Either<
  { readonly placed: KubeObject; readonly warnings: ReadonlyArray<string>; readonly dryRun: boolean },
  ApiError
> => {
  const decoded = writeBodyOf(scope)
  if (Either.isLeft(decoded)) return Either.left(decoded.left)
  const { object, warnings, dryRun } = decoded.right
  const namespace = placeInNamespace(scope, object)
  if (Either.isLeft(namespace)) return Either.left(namespace.left)
  const { namespace: _ns, ...meta } = object.metadata
  const metadata = namespace.right === undefined ? meta : { ...meta, namespace: namespace.right }
  return Either.right({ placed: { ...object, metadata }, warnings, dryRun })
}

/** Handles POST to a collection. */
export const create = (scope: RequestScope): Effect.Effect<ApiResponse, ApiError> => {
  const given = placedOf(scope)
  if (Either.isLeft(given)) return Effect.fail(given.left)
  const { placed, warnings, dryRun } = given.right
  const rt = scope.resource
  return Effect.gen(function* () {
    const namespace = placed.metadata.namespace
    if (namespace !== undefined) yield* scope.config.namespaces.admit(namespace)
    const generate = (placed.metadata.name ?? "") === "" && (placed.metadata.generateName ?? "") !== ""
    const named = generate ? withName(placed, yield* generateName(placed.metadata.generateName!)) : placed
    const system = { uid: yield* newUid, creationTimestamp: yield* now }
    const admitted = admitCreate(rt, named, system, {
      defaultTolerationSeconds: scope.config.defaultTolerationSeconds
    })
    if (Either.isLeft(admitted)) return yield* Effect.fail(admitted.left)
    const stored = yield* withClusterIP(scope.store, scope.config.serviceIPRange, rt, admitted.right, dryRun, (obj) =>
      dryRun ? checkFree(scope, obj) : store(scope, obj, generate ? generateNameAttempts : 1)
    )
    return yield* respondObject(scope, 201, stored, warningHeaders(warnings))
  })
}

/** The namespace the object goes to: the URL's (the body may repeat it, not contradict it); none for cluster-scoped kinds. */
const placeInNamespace = (scope: RequestScope, obj: KubeObject): Either.Either<string | undefined, BadRequest> => {
  if (!scope.resource.namespaced) return Either.right(undefined)
  const given = obj.metadata.namespace ?? ""
  return given === "" || given === scope.namespace ? Either.right(scope.namespace) : Either.left(namespaceMismatch())
}

const keyOf = (scope: RequestScope, obj: KubeObject) =>
  objectKey(scope.resource, obj.metadata.namespace, obj.metadata.name!)

/** A dry run still answers 409 for a taken name. */
const checkFree = (scope: RequestScope, obj: KubeObject): Effect.Effect<KubeObject, ApiError> =>
  scope.store.get(keyOf(scope, obj)).pipe(
    Effect.matchEffect({
      onSuccess: () => Effect.fail(alreadyExists(scope.resource, obj.metadata.name!)),
      onFailure: (e) => (e._tag === "KeyNotFound" ? Effect.succeed(obj) : Effect.fail(interpret(scope.resource, "", e)))
    })
  )

/** Stores the object; a generated name that is taken is drawn again. */
const store = (scope: RequestScope, obj: KubeObject, attempts: number): Effect.Effect<KubeObject, ApiError> =>
  Effect.matchEffect(scope.store.create(keyOf(scope, obj), obj as unknown as Value, writeOptionsOf(scope)), {
    onSuccess: (entry) => Effect.succeed(ResourceVersion.stamp(entry)),
    onFailure: (e) =>
      e._tag === "KeyExists" && attempts > 1
        ? Effect.flatMap(generateName(obj.metadata.generateName!), (name) =>
            store(scope, withName(obj, name), attempts - 1)
          )
        : Effect.fail(interpret(scope.resource, obj.metadata.name!, e))
  })
