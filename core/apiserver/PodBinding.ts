/**
 * The `binding` subresource of pods (what the scheduler posts): sets spec.nodeName once, merges
 * the binding's annotations and marks the pod PodScheduled; a pod already bound, or being
 * deleted, is a 409.
 */
import * as Effect from "effect/Effect"
import { type ApiError, BadRequest, conflict, invalid } from "../api/errors.js"
import type { KubeObject } from "../api/meta.js"
import { decode } from "../api/decode.js"
import { Binding, validateBinding } from "../api/Pod.js"
import { guaranteedUpdate } from "../store/guaranteedUpdate.js"
import type { Value } from "../store/Store.js"
import type { ApiResponse } from "./ApiRequest.js"
import { isObject, type JsonObject } from "./JsonValue.js"
import * as RequestBody from "./RequestBody.js"
import { dryRunOf, fieldValidationOf, type RequestScope } from "./RequestScope.js"
import { json, successStatus, warningHeaders } from "./Responses.js"
import { objectKey } from "./StorageKey.js"
import { interpret, isStoreError, type StoreError } from "./StoreErrors.js"
import { namespaceMismatch, uidPreconditionFailed } from "./ObjectIdentity.js"
import { now } from "../api/time.js"

const bindingType = { group: "", version: "v1", kind: "Binding", schema: Binding } as const
const bindingResource = { group: "", plural: "pods/binding" }

/** The pod bound to `node` (`setPodHostAndAnnotations`), or the reason it cannot be. */
const assign = (
  pod: KubeObject & JsonObject,
  node: string,
  annotations: Readonly<Record<string, string>>,
  at: string
): Effect.Effect<KubeObject, ApiError> => {
  const name = pod.metadata.name ?? ""
  const spec = isObject(pod.spec) ? pod.spec : {}
  if (pod.metadata.deletionTimestamp !== undefined) {
    return Effect.fail(conflict(bindingResource, name, `pod ${name} is being deleted, cannot be assigned to a host`))
  }
  const bound = typeof spec.nodeName === "string" ? spec.nodeName : ""
  if (bound !== "") {
    return Effect.fail(conflict(bindingResource, name, `pod ${name} is already assigned to node "${bound}"`))
  }
  const status = isObject(pod.status) ? pod.status : {}
  const conditions = (Array.isArray(status.conditions) ? status.conditions : []).filter(
    (c) => !(isObject(c) && c.type === "PodScheduled")
  )
  const previous = (Array.isArray(status.conditions) ? status.conditions : []).find(
    (c) => isObject(c) && c.type === "PodScheduled"
  )
  const scheduled =
    isObject(previous) && previous.status === "True"
      ? previous
      : { type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: at }
  return Effect.succeed({
    ...pod,
    metadata: {
      ...pod.metadata,
      ...(Object.keys(annotations).length === 0 ? {} : { annotations: { ...pod.metadata.annotations, ...annotations } })
    },
    spec: { ...spec, nodeName: node },
    status: { ...status, conditions: [...conditions, scheduled] }
  })
}

/** Handles POST of `pods/{name}/binding`. */
export const bind = (scope: RequestScope): Effect.Effect<ApiResponse, ApiError> =>
  Effect.gen(function* () {
    const name = scope.name!
    const mode = yield* fieldValidationOf(scope.request.query)
    const dryRun = yield* dryRunOf(scope.request.query)
    const body = yield* RequestBody.readObject(scope.request, scope.config.maxRequestBytes)
    const { object: binding, warnings } = yield* decode(bindingType, body, mode)
    if ((binding.metadata.name ?? "") !== name) {
      return yield* Effect.fail(new BadRequest({ message: "name in URL does not match name in Binding object" }))
    }
    const namespace = binding.metadata.namespace ?? ""
    if (namespace !== "" && namespace !== scope.namespace) {
      return yield* Effect.fail(namespaceMismatch())
    }
    const errors = validateBinding(binding)
    if (errors.length > 0) return yield* Effect.fail(invalid("Binding", "", name, errors))
    const node = binding.target?.name ?? ""
    const at = yield* now
    const uid = binding.metadata.uid ?? ""
    const key = objectKey(scope.resource, scope.namespace, name)
    const tryAssign = (value: Value) => {
      const pod = value as unknown as KubeObject & JsonObject
      if (uid !== "" && uid !== pod.metadata.uid) {
        return Effect.fail(uidPreconditionFailed(bindingResource, name, uid, pod.metadata.uid))
      }
      return assign(pod, node, binding.metadata.annotations ?? {}, at)
    }
    const assigned: Effect.Effect<unknown, ApiError | StoreError> = dryRun
      ? Effect.flatMap(scope.store.get(key), (current) => tryAssign(current.value))
      : guaranteedUpdate(scope.store, key, (current) =>
          Effect.map(tryAssign(current.value), (pod) => pod as unknown as Value)
        )
    yield* Effect.mapError(assigned, (e) => (isStoreError(e) ? interpret(scope.resource, name, e) : e))
    return json(201, successStatus(201), warningHeaders(warnings))
  })
