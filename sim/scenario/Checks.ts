/**
 * The checks of a scenario's `expect` steps (SCENARIOS.md "Checks"), evaluated against the world
 * view. A failing check's message names the difference in a few words (`readyReplicas 2, want 3`),
 * so a timeline line or a summary entry is enough to see what went wrong.
 */
import * as Either from "effect/Either"
import * as LabelSelector from "../../core/api/LabelSelector.js"
import type { KubeObject } from "../../core/api/meta.js"
import type { Node } from "../../core/api/Node.js"
import type { Pod } from "../../core/api/Pod.js"
import { byName } from "../../core/api/registry.js"
import { isPodReady, isPodTerminal } from "../../core/controllers/PodConditions.js"
import type { Check, Fields, ObjectRef } from "./Scenario.js"
import type { World } from "./World.js"

export interface CheckResult {
  readonly ok: boolean
  /** What differs (or, when ok, what was seen). */
  readonly message: string
}

/** How many of the listed pods a message names before it says "…". */
const shownPods = 3

const result = (ok: boolean, message: string): CheckResult => ({ ok, message })

const show = (value: unknown): string => (value === undefined || value === "" ? "<none>" : String(value))

/** `web` in `default` (and for cluster-scoped kinds), `team/web` elsewhere. */
const refName = (ref: ObjectRef): string => {
  const namespaced = byName(ref.kind)?.namespaced ?? true
  return !namespaced || ref.namespace === "default" ? ref.name : `${ref.namespace}/${ref.name}`
}

const podName = (pod: Pod): string => {
  const namespace = pod.metadata.namespace ?? "default"
  return namespace === "default" ? (pod.metadata.name ?? "") : `${namespace}/${pod.metadata.name ?? ""}`
}

/** The phase as the API server reports it: a pod it accepted and nobody updated yet is Pending. */
const phaseOf = (pod: Pod): string => pod.status?.phase ?? "Pending"

/** Sum of the containers' restartCount. */
const restartsOf = (pod: Pod): number =>
  (pod.status?.containerStatuses ?? []).reduce((sum, c) => sum + (c.restartCount ?? 0), 0)

const nodeReady = (node: Node): boolean => node.status?.conditions?.find((c) => c.type === "Ready")?.status === "True"

/** Pods bound to the node that have not terminated (Succeeded/Failed); terminating ones still hold their place. */
const podsOnNode = (world: World, node: string): number =>
  world.pods().filter((p) => p.spec?.nodeName === node && !isPodTerminal(p)).length

/** The value a check field reads from an object of the given kind; undefined: the field does not apply. */
const fieldOf = (world: World, kind: string, obj: KubeObject, field: string): unknown => {
  switch (kind) {
    case "Deployment":
    case "ReplicaSet": {
      const o = obj as { spec?: { replicas?: number }; status?: Record<string, unknown> }
      if (field === "specReplicas") return o.spec?.replicas ?? 1
      // Kubernetes omits zero counts from status: missing means 0.
      return o.status?.[field] ?? 0
    }
    case "Pod": {
      const pod = obj as Pod
      switch (field) {
        case "phase":
          return phaseOf(pod)
        case "node":
          return pod.spec?.nodeName ?? ""
        case "ready":
          return isPodReady(pod)
        case "restarts":
          return restartsOf(pod)
      }
      return undefined
    }
    case "Node": {
      const node = obj as Node
      switch (field) {
        case "ready":
          return nodeReady(node)
        case "unschedulable":
          return node.spec?.unschedulable === true
        case "pods":
          return podsOnNode(world, node.metadata.name ?? "")
      }
      return undefined
    }
  }
  return undefined
}

const objectCheck = (world: World, ref: ObjectRef, fields: Fields): CheckResult => {
  const obj = world.get(ref.kind, ref.namespace, ref.name)
  if (obj === undefined) return result(false, `${ref.kind} ${refName(ref)} not found`)
  const differences: Array<string> = []
  const seen: Array<string> = []
  for (const field of Object.keys(fields).sort()) {
    const want = fields[field]
    const actual = fieldOf(world, obj.kind, obj, field)
    if (actual === undefined) differences.push(`${field} is not a ${ref.kind} check field`)
    else if (String(actual) !== String(want)) differences.push(`${field} ${show(actual)}, want ${show(want)}`)
    else seen.push(`${field} ${show(actual)}`)
  }
  // Nodes are named in the message (a node check reads like a sentence about that node).
  const subject = obj.kind === "Node" ? `node ${ref.name} ` : ""
  return differences.length === 0
    ? result(true, `${subject}${seen.join(", ")}`)
    : result(false, `${subject}${differences.join("; ")}`)
}

// Selectors repeat on every evaluation of a `within` step: parse each string once.
const selectors = new Map<string, Either.Either<LabelSelector.Selector, string>>()
const selectorOf = (s: string) => {
  let parsed = selectors.get(s)
  if (parsed === undefined) {
    parsed = LabelSelector.parse(s)
    selectors.set(s, parsed)
  }
  return parsed
}

/** `web-1 on node-1, web-2 unbound …` */
const describePods = (pods: ReadonlyArray<Pod>): string => {
  const named = pods
    .slice(0, shownPods)
    .map((p) => `${podName(p)} ${p.spec?.nodeName === undefined ? "unbound" : `on ${p.spec.nodeName}`}`)
  return pods.length > shownPods ? `${named.join(", ")} …` : named.join(", ")
}

const podsCheck = (world: World, check: Extract<Check, { _tag: "pods" }>): CheckResult => {
  let selector: LabelSelector.Selector | undefined
  if (check.selector !== undefined) {
    const parsed = selectorOf(check.selector)
    if (Either.isLeft(parsed)) return result(false, `invalid selector "${check.selector}": ${parsed.left}`)
    selector = parsed.right
  }
  // Terminating pods count (kubectl lists them, with their phase); a `phase` filter sees that phase like any other.
  const matching = world
    .pods()
    .filter(
      (p) =>
        (selector === undefined || LabelSelector.matches(selector, p.metadata.labels)) &&
        (check.phase === undefined || phaseOf(p) === check.phase) &&
        (check.ready === undefined || isPodReady(p) === check.ready) &&
        (check.onNode === undefined || p.spec?.nodeName === check.onNode) &&
        (check.notOnNode === undefined || p.spec?.nodeName !== check.notOnNode) &&
        (check.image === undefined || (p.spec?.containers ?? []).some((c) => c.image === check.image))
    )
  const n = matching.length
  const [ok, want] =
    check.count !== undefined
      ? [n === check.count, `${check.count}`]
      : check.min !== undefined && check.max !== undefined
        ? [n >= check.min && n <= check.max, `${check.min} to ${check.max}`]
        : check.min !== undefined
          ? [n >= check.min, `at least ${check.min}`]
          : check.max !== undefined
            ? [n <= check.max, `at most ${check.max}`]
            : [n >= 1, "at least 1"]
  const seen = `${n} ${n === 1 ? "pod matches" : "pods match"}`
  const listed = n === 0 ? "" : ` (${describePods(matching)})`
  return ok ? result(true, seen) : result(false, `${seen}, want ${want}${listed}`)
}

/** Pending with PodScheduled False / Unschedulable and no node: what `kubectl describe` shows as FailedScheduling. */
export const isUnschedulable = (pod: Pod): boolean =>
  pod.spec?.nodeName === undefined &&
  (pod.status?.conditions ?? []).some(
    (c) => c.type === "PodScheduled" && c.status === "False" && c.reason === "Unschedulable"
  )

const unschedulableCheck = (world: World, count: number): CheckResult => {
  const pending = world.pods().filter(isUnschedulable)
  const seen = `${pending.length} ${pending.length === 1 ? "pod" : "pods"} unschedulable`
  if (pending.length === count) return result(true, seen)
  const named = pending.slice(0, shownPods).map(podName).join(", ")
  const listed = pending.length === 0 ? "" : ` (${named}${pending.length > shownPods ? " …" : ""})`
  return result(false, `${seen}, want ${count}${listed}`)
}

/**
 * Evaluates one check against the world as it is now (call `world.settled` first for an exact
 * state). Pods and unschedulable pods are counted in every namespace.
 */
export const evaluate = (check: Check, world: World): CheckResult => {
  switch (check._tag) {
    case "object":
      return objectCheck(world, check.ref, check.fields)
    case "pods":
      return podsCheck(world, check)
    case "unschedulable":
      return unschedulableCheck(world, check.count)
    case "exists": {
      const obj = world.get(check.ref.kind, check.ref.namespace, check.ref.name)
      return obj === undefined
        ? result(false, `${check.ref.kind} ${refName(check.ref)} not found`)
        : result(true, `${check.ref.kind} ${refName(check.ref)} exists`)
    }
    case "absent": {
      // A terminating object is still there (its finalizers or its grace period hold it).
      const obj = world.get(check.ref.kind, check.ref.namespace, check.ref.name)
      if (obj === undefined) return result(true, `${check.ref.kind} ${refName(check.ref)} absent`)
      const terminating = obj.metadata.deletionTimestamp === undefined ? "" : " (terminating)"
      return result(false, `${check.ref.kind} ${refName(check.ref)} exists${terminating}`)
    }
  }
}
