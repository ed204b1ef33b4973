/**
 * Scenario files (SCENARIOS.md) → the validated model of Scenario.ts. Every field is checked, unknown
 * fields are errors, and the first problem found becomes one `ScenarioError` naming the file, the
 * line and column (from the `yaml` package's source positions) and the field path.
 *
 * Defaults: `seed` 1, `steps` none, `invariants` `[default]` (every safety invariant: a scenario
 * checks safety unless it says `invariants: []`), `scheduler.profile` `default`, timing as
 * `defaultTiming`. Errors inside an `apply: {file: …}` manifest name that file and its line.
 */
import * as Data from "effect/Data"
import * as Either from "effect/Either"
import * as path from "node:path"
import * as YAML from "yaml"
import * as LabelSelector from "../../core/api/LabelSelector.js"
import * as Quantity from "../../core/api/Quantity.js"
import { formatDuration } from "../../core/api/duration.js"
import * as ApiResources from "../../core/api/registry.js"
import * as V from "../../core/api/validation.js"
import * as Profile from "../../core/scheduler/Profile.js"
import { defaultRegistry } from "../../core/scheduler/registry.js"
import { parseDuration, parseRange } from "./Duration.js"
import {
  type Action,
  type Check,
  type CheckAt,
  type ClusterSpec,
  type CustomProfile,
  defaultTiming,
  type Fault,
  type FaultName,
  faultNames,
  type Fields,
  type InvariantName,
  invariantNames,
  type NodeGroup,
  type ObjectRef,
  type Range,
  safetyInvariants,
  type Scenario,
  type ScheduledFault,
  type Step,
  type StepTiming,
  type Timing,
  type Trigger
} from "./Scenario.js"

/** A problem in a scenario file; `toString()` is the one line the CLI prints. */
export class ScenarioError extends Data.TaggedError("ScenarioError")<{
  readonly file: string
  readonly line: number
  readonly column: number
  /** The field path (`spec.steps[3].fault.crashNode`); empty for YAML syntax errors. */
  readonly field: string
  readonly message: string
}> {
  override toString(): string {
    return `${this.file}:${this.line}:${this.column}: ${this.field === "" ? "" : `${this.field}: `}${this.message}`
  }
}

/**
 * Parses and validates a scenario. `read` loads the files of `apply: {file: …}` (their paths are
 * relative to the scenario file's folder and are resolved before `read` sees them).
 */
export const parse = (
  text: string,
  file: string,
  read: (path: string) => string
): Either.Either<Scenario, ScenarioError> => {
  // Validation stops at the first problem: throwing it keeps each rule one line; only here is it caught.
  try {
    return Either.right(scenario(text, file, read))
  } catch (error) {
    if (error instanceof ScenarioError) return Either.left(error)
    // A bug or a limit of the yaml package: still an answer about this file, never a crash.
    const message = error instanceof Error ? error.message : String(error)
    return Either.left(new ScenarioError({ file, line: 1, column: 1, field: "", message }))
  }
}

// ---------------------------------------------------------------------------------------------
// Positions and field paths over the yaml package's nodes

interface Source {
  readonly file: string
  readonly doc: YAML.Document
  readonly lines: YAML.LineCounter
}

/** A value in a YAML document with its field path. */
interface At {
  readonly source: Source
  readonly path: string
  readonly node: YAML.Node
}

interface Entry {
  readonly key: string
  /** The key itself, for errors about the key. */
  readonly keyAt: At
  /** Undefined when the key has no value or `null`. */
  readonly value: At | undefined
}

interface Mapping {
  readonly at: At
  /** In file order. */
  readonly entries: ReadonlyArray<Entry>
  readonly has: (key: string) => boolean
  /** The value of `key`, or undefined when it is absent or null. */
  readonly get: (key: string) => At | undefined
  readonly require: (key: string) => At
}

const failAt = (source: Source, offset: number, field: string, message: string): never => {
  const { line, col } = source.lines.linePos(offset)
  throw new ScenarioError({ file: source.file, line: Math.max(line, 1), column: Math.max(col, 1), field, message })
}

const fail = (at: At, message: string): never => failAt(at.source, at.node.range?.[0] ?? 0, at.path, message)

const childPath = (parent: string, key: string): string =>
  !/^[A-Za-z0-9_-]+$/.test(key) ? `${parent}[${key}]` : parent === "" ? key : `${parent}.${key}`

const deref = (source: Source, node: unknown): YAML.Node | undefined => {
  const resolved = YAML.isAlias(node) ? node.resolve(source.doc) : node
  return YAML.isNode(resolved) ? resolved : undefined
}

const isNull = (node: YAML.Node): boolean => YAML.isScalar(node) && node.value === null

const describe = (node: YAML.Node): string =>
  YAML.isMap(node)
    ? "a mapping"
    : YAML.isSeq(node)
      ? "a list"
      : YAML.isScalar(node)
        ? typeof node.value === "string"
          ? JSON.stringify(node.value)
          : node.value === null
            ? "nothing"
            : String(node.value)
        : "an unknown node"

const mapping = (at: At, known?: ReadonlyArray<string>): Mapping => {
  const node = at.node
  if (!YAML.isMap(node)) return fail(at, `must be a mapping, got ${describe(at.node)}`)
  const entries = node.items.map((pair): Entry => {
    const keyNode = deref(at.source, pair.key)
    const keyValue = YAML.isScalar(keyNode) ? keyNode.value : undefined
    if (keyNode === undefined || (typeof keyValue !== "string" && typeof keyValue !== "number")) {
      return fail({ ...at, node: keyNode ?? node }, "keys must be strings")
    }
    const key = String(keyValue)
    const keyAt = { source: at.source, path: childPath(at.path, key), node: keyNode }
    if (known !== undefined && !known.includes(key)) fail(keyAt, unknownName("field", key, known))
    const value = deref(at.source, pair.value)
    return { key, keyAt, value: value === undefined || isNull(value) ? undefined : { ...keyAt, node: value } }
  })
  const entry = (key: string) => entries.find((e) => e.key === key)
  return {
    at,
    entries,
    has: (key) => entry(key) !== undefined,
    get: (key) => entry(key)?.value,
    require: (key) => {
      const found = entry(key)
      if (found === undefined) return fail({ ...at, path: childPath(at.path, key) }, "required field is missing")
      return found.value ?? fail(found.keyAt, "must have a value")
    }
  }
}

/** `unknown field "replica", did you mean "replicas"?` */
const unknownName = (what: string, name: string, known: ReadonlyArray<string>): string => {
  const near = nearest(name, known)
  return `unknown ${what} "${name}"${near === undefined ? `; known: ${known.join(", ")}` : `, did you mean "${near}"?`}`
}

const nearest = (name: string, known: ReadonlyArray<string>): string | undefined => {
  let best: string | undefined
  let bestDistance = Math.max(1, Math.floor(name.length / 3)) + 1
  for (const candidate of known) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) [best, bestDistance] = [candidate, d]
  }
  return best
}

const editDistance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]
}

const list = (at: At): ReadonlyArray<At> => {
  const node = at.node
  if (!YAML.isSeq(node)) return fail(at, `must be a list, got ${describe(node)}`)
  return node.items.map((item, i) => {
    const itemAt = { source: at.source, path: `${at.path}[${i}]`, node: at.node }
    return { ...itemAt, node: deref(at.source, item) ?? fail(itemAt, "must have a value") }
  })
}

const scalar = (at: At): unknown => (YAML.isScalar(at.node) ? at.node.value : undefined)

const text = (at: At): string => {
  const value = scalar(at)
  return typeof value === "string" && value !== ""
    ? value
    : fail(at, `must be a non-empty string, got ${describe(at.node)}`)
}

const integer = (at: At, min: number, max = Number.MAX_SAFE_INTEGER): number => {
  const value = scalar(at)
  if (typeof value !== "number" || !Number.isInteger(value)) {
    return fail(at, `must be an integer, got ${describe(at.node)}`)
  }
  if (value < min) return fail(at, `must be at least ${min}`)
  return value > max ? fail(at, `must be at most ${max}`) : value
}

const boolean = (at: At): boolean => {
  const value = scalar(at)
  return typeof value === "boolean" ? value : fail(at, `must be true or false, got ${describe(at.node)}`)
}

const oneOf = <A extends string>(at: At, allowed: ReadonlyArray<A>, what: string): A => {
  const value = text(at)
  return allowed.includes(value as A) ? (value as A) : fail(at, unknownName(what, value, allowed))
}

/** A duration; `positive` forbids zero. YAML's bare `0` is the zero duration. */
const duration = (at: At, positive: boolean): number => {
  const value = scalar(at)
  if (typeof value !== "string" && typeof value !== "number") {
    return fail(at, `must be a duration, got ${describe(at.node)}`)
  }
  const ms = Either.getOrElse(parseDuration(String(value)), (message) => fail(at, message))
  return positive && ms === 0 ? fail(at, "must be longer than 0s") : ms
}

const range = (at: At): Range => {
  const value = scalar(at)
  if (typeof value !== "string" && typeof value !== "number") {
    return fail(at, `must be a range, got ${describe(at.node)}`)
  }
  return Either.getOrElse(parseRange(String(value)), (message) => fail(at, message))
}

/** A Kubernetes quantity, kept as written; numbers (`cpu: 4`) become their string. */
const quantity = (at: At): string => {
  const value = scalar(at)
  if (typeof value !== "string" && typeof value !== "number") {
    return fail(at, `must be a quantity, got ${describe(at.node)}`)
  }
  const q = Either.getOrElse(Quantity.parse(value), (message) => fail(at, message))
  return q.nanos < 0n ? fail(at, `quantity "${value}" must not be negative`) : String(value)
}

const optional = <A>(m: Mapping, key: string, read: (at: At) => A, fallback: A): A => {
  const at = m.get(key)
  return at === undefined ? fallback : read(at)
}

const firstProblem = (at: At, problems: ReadonlyArray<string>, what: string, value: string): void => {
  if (problems.length > 0) fail(at, `invalid ${what} "${value}": ${problems[0]}`)
}

// ---------------------------------------------------------------------------------------------
// The scenario

const apiVersion = "minik8s.io/v1alpha1"
/** Partition ends that are not nodes; node names may not take them. */
const components = ["apiserver", "scheduler", "controller-manager", "store"] as const
const reservedNames: ReadonlyArray<string> = [...components, "scenario"]

/** Nodes per group and in all: each is a kubelet fiber and a Node object, bounded before any is made. */
const maxNodes = 10_000

interface Context {
  readonly file: string
  readonly read: (path: string) => string
  /** Every node name so far: the cluster's, then each `addNodes` in file order. */
  readonly nodes: Set<string>
}

const scenario = (content: string, file: string, read: (path: string) => string): Scenario => {
  const lines = new YAML.LineCounter()
  const doc = YAML.parseDocument(content, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  const source: Source = { file, doc, lines }
  const syntax = doc.errors[0]
  if (syntax !== undefined) {
    const message = syntax.code === "MULTIPLE_DOCS" ? "a scenario file holds one YAML document" : syntax.message
    failAt(source, syntax.pos[0], "", `invalid YAML: ${message}`)
  }
  const contents = deref(source, doc.contents)
  if (contents === undefined || isNull(contents)) {
    return failAt(source, 0, "", "empty scenario: expected apiVersion, kind, metadata and spec")
  }
  const root = mapping({ source, path: "", node: contents }, ["apiVersion", "kind", "metadata", "spec"])
  const versionAt = root.require("apiVersion")
  if (scalar(versionAt) !== apiVersion) fail(versionAt, `must be "${apiVersion}"`)
  const kindAt = root.require("kind")
  if (scalar(kindAt) !== "Scenario") fail(kindAt, `must be "Scenario"`)
  const metadata = mapping(root.require("metadata"), ["name", "description"])
  const nameAt = metadata.require("name")
  const name = text(nameAt)
  firstProblem(nameAt, V.dns1123Label(name), "name", name)
  const spec = mapping(root.require("spec"), ["seed", "duration", "cluster", "steps", "faults", "invariants"])
  const context: Context = { file, read, nodes: new Set() }
  const length = duration(spec.require("duration"), true)
  return {
    file,
    name,
    description: optional<string>(metadata, "description", text, ""),
    seed: optional(spec, "seed", (at) => integer(at, 0), 1),
    duration: length,
    cluster: cluster(spec.require("cluster"), context),
    steps: optional(spec, "steps", (at) => steps(at, length, context), []),
    faults: optional(spec, "faults", (at) => scheduledFaults(at, length, context), []),
    invariants: optional(spec, "invariants", invariants, safetyInvariants)
  }
}

const cluster = (at: At, context: Context): ClusterSpec => {
  const m = mapping(at, ["nodes", "scheduler", "timing"])
  const groupsAt = m.require("nodes")
  const groups = list(groupsAt)
  if (groups.length === 0) fail(groupsAt, "at least one node group is required")
  return {
    nodes: groups.map((group) => nodeGroup(group, context)),
    scheduler: { profile: optional(m, "scheduler", scheduler, "default") },
    timing: optional(m, "timing", timing, defaultTiming)
  }
}

const nodeGroup = (at: At, context: Context): NodeGroup => {
  const m = mapping(at, ["name", "count", "cpu", "memory", "pods", "resources", "labels", "taints", "unschedulable"])
  const nameAt = m.require("name")
  const pattern = text(nameAt)
  const countAt = m.get("count")
  const count = countAt === undefined ? 1 : integer(countAt, 1, maxNodes)
  if (count > 1 && !pattern.includes("{i}")) {
    fail(countAt!, `count ${count} needs "{i}" in the name to number the nodes`)
  }
  if (context.nodes.size + count > maxNodes) {
    fail(
      countAt ?? nameAt,
      `${context.nodes.size + count} nodes in all (node groups and addNodes); at most ${maxNodes} in total`
    )
  }
  const names = Array.from({ length: count }, (_, i) => pattern.replaceAll("{i}", String(i + 1)))
  for (const name of names) {
    firstProblem(nameAt, V.dns1123Subdomain(name), "node name", name)
    if (reservedNames.includes(name)) fail(nameAt, `node name "${name}" is reserved for a component`)
    if (context.nodes.has(name)) fail(nameAt, `duplicate node name "${name}"`)
    context.nodes.add(name)
  }
  const resourcesAt = m.get("resources")
  return {
    names,
    cpu: quantity(m.require("cpu")),
    memory: quantity(m.require("memory")),
    pods: optional(m, "pods", (a) => integer(a, 0), 110),
    ...(resourcesAt === undefined ? {} : { resources: extendedResources(resourcesAt) }),
    labels: optional(m, "labels", labels, {}),
    taints: optional(m, "taints", (a) => list(a).map(taint), []),
    unschedulable: optional(m, "unschedulable", boolean, false)
  }
}

/** `{nvidia.com/gpu: "8"}`: extended resources, as Kubernetes names them (domain-prefixed) and counts them (whole units). */
const extendedResources = (at: At): Readonly<Record<string, string>> => {
  const result: Record<string, string> = {}
  for (const entry of mapping(at).entries) {
    const name = entry.key
    const [domain] = name.split("/")
    const native = !name.includes("/") || domain === "kubernetes.io" || domain.endsWith(".kubernetes.io")
    if (native || name.startsWith("requests.")) {
      fail(entry.keyAt, `"${name}" is not an extended resource name: it needs a domain prefix (example.com/gpu)`)
    }
    firstProblem(entry.keyAt, V.qualifiedName(name), "resource name", name)
    const valueAt = entry.value ?? fail(entry.keyAt, "must have a value")
    const value = quantity(valueAt)
    if (Quantity.unsafeParse(value).nanos % 1_000_000_000n !== 0n) {
      fail(valueAt, `must be a whole number, got "${value}"`)
    }
    result[name] = value
  }
  return result
}

const labels = (at: At): Readonly<Record<string, string>> => {
  const result: Record<string, string> = {}
  for (const entry of mapping(at).entries) {
    firstProblem(entry.keyAt, V.qualifiedName(entry.key), "label key", entry.key)
    result[entry.key] = labelValue(entry.value ?? fail(entry.keyAt, "must be a string"), "label value")
  }
  return result
}

/** A label value (may be empty); YAML's `true` or `3` must be quoted, as Kubernetes wants strings. */
const labelValue = (at: At, what: string): string => {
  const value = scalar(at)
  if (typeof value !== "string") {
    return fail(at, YAML.isScalar(at.node) ? `must be a string (quote it: "${String(value)}")` : "must be a string")
  }
  firstProblem(at, V.labelValue(value), what, value)
  return value
}

const taintEffects = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const

const taint = (at: At): NodeGroup["taints"][number] => {
  const m = mapping(at, ["key", "value", "effect"])
  const keyAt = m.require("key")
  const key = text(keyAt)
  firstProblem(keyAt, V.qualifiedName(key), "taint key", key)
  const valueAt = m.get("value")
  const effect = oneOf(m.require("effect"), taintEffects, "taint effect")
  return valueAt === undefined ? { key, effect } : { key, value: labelValue(valueAt, "taint value"), effect }
}

const profileNames = Object.keys(Profile.profiles)
const pluginNames = Object.keys(defaultRegistry)
const fitStrategies = ["LeastAllocated", "MostAllocated", "RequestedToCapacityRatio"]

const scheduler = (at: At): string | CustomProfile => {
  const m = mapping(at, ["profile", "plugins"])
  const plugins = m.get("plugins")
  if (plugins === undefined) {
    const profileAt = m.get("profile")
    if (profileAt === undefined) return "default"
    const wanted = Profile.byName(text(profileAt))
    return wanted === undefined
      ? fail(profileAt, `unknown profile "${text(profileAt)}"; profiles: ${profileNames.join(", ")}`)
      : profileNames.find((name) => Profile.profiles[name] === wanted)!
  }
  if (m.has("profile")) fail(plugins, `give "profile" or "plugins", not both`)
  const custom = mapping(plugins, ["filter", "score"])
  return {
    filter: list(custom.require("filter")).map(plugin),
    score: optional(custom, "score", (a) => list(a).map(scorePlugin), [])
  }
}

const plugin = (at: At): string => oneOf(at, pluginNames, "plugin")

const scorePlugin = (at: At): CustomProfile["score"][number] => {
  const m = mapping(at, ["name", "weight", "strategy"])
  const name = plugin(m.require("name"))
  const weight = optional(m, "weight", (a) => integer(a, 1, 100), 1)
  const strategyAt = m.get("strategy")
  if (strategyAt === undefined) return { name, weight }
  if (name !== "NodeResourcesFit") fail(strategyAt, "only NodeResourcesFit takes a strategy")
  return { name, weight, strategy: oneOf(strategyAt, fitStrategies, "strategy") }
}

const timing = (at: At): Timing => {
  const m = mapping(at, Object.keys(defaultTiming))
  const positive = (key: "heartbeatInterval" | "nodeMonitorGracePeriod") =>
    optional(m, key, (a) => duration(a, true), defaultTiming[key])
  const between = (key: "apiLatency" | "containerStart" | "imagePull") => optional(m, key, range, defaultTiming[key])
  return {
    heartbeatInterval: positive("heartbeatInterval"),
    nodeMonitorGracePeriod: positive("nodeMonitorGracePeriod"),
    evictionTimeout: optional(m, "evictionTimeout", (a) => duration(a, false), defaultTiming.evictionTimeout),
    apiLatency: between("apiLatency"),
    containerStart: between("containerStart"),
    imagePull: between("imagePull")
  }
}

const invariants = (at: At): ReadonlyArray<InvariantName> => {
  const wanted = new Set<string>()
  for (const item of list(at)) {
    const name = oneOf(item, ["default", ...invariantNames], "invariant")
    for (const n of name === "default" ? safetyInvariants : [name]) wanted.add(n)
  }
  return invariantNames.filter((name) => wanted.has(name))
}

// ---------------------------------------------------------------------------------------------
// Steps

const timingKeys = ["at", "after", "within"] as const
const actionKeys = [
  "apply",
  "delete",
  "scale",
  "setImage",
  "cordon",
  "uncordon",
  "addNodes",
  "fault",
  "expect"
] as const

/**
 * Steps in file order. A step's time must not go back: `at` must be at or after the previous step's
 * earliest time (an `after` adds to it; a `within` passes later than it, at a time known only when
 * the run gets there, so it does not move it), and no step may start after `spec.duration`.
 */
const steps = (at: At, length: number, context: Context): ReadonlyArray<Step> => {
  let earliest = 0
  return list(at).map((stepAt, i) => {
    const m = mapping(stepAt, [...timingKeys, ...actionKeys])
    const timingEntry = exactlyOne(m, timingKeys, "a time")
    const actionEntry = exactlyOne(m, actionKeys, "an action")
    const when = timingEntry.value ?? fail(timingEntry.keyAt, "must have a value")
    const millis = duration(when, timingEntry.key === "within")
    const kind = timingEntry.key as StepTiming["_tag"]
    if (kind === "within" && actionEntry.key !== "expect") {
      fail(timingEntry.keyAt, `"within" is only allowed with "expect"`)
    }
    if (kind === "at" && millis < earliest) {
      fail(when, `steps go forward in time: the previous step is at ${formatDuration(earliest)}`)
    }
    if (kind !== "within") earliest = kind === "at" ? millis : earliest + millis
    if (earliest > length) {
      fail(when, `the step would run at ${formatDuration(earliest)}, after spec.duration (${formatDuration(length)})`)
    }
    const value = actionEntry.value ?? fail(actionEntry.keyAt, "must have a value")
    return {
      index: i + 1,
      line: lineOf(stepAt),
      timing: { _tag: kind, millis },
      action: action(actionEntry.key as Action["_tag"], value, context)
    }
  })
}

const exactlyOne = (m: Mapping, keys: ReadonlyArray<string>, what: string, holder = "a step"): Entry => {
  const found = m.entries.filter((e) => keys.includes(e.key))
  if (found.length === 0) return fail(m.at, `${holder} needs ${what}: one of ${keys.join(", ")}`)
  if (found.length > 1) {
    fail(
      found[1].keyAt,
      `${holder} has one ${what.replace(/^an? /, "")}: "${found[0].key}" and "${found[1].key}" both given`
    )
  }
  return found[0]
}

const lineOf = (at: At): number => Math.max(at.source.lines.linePos(at.node.range?.[0] ?? 0).line, 1)

const action = (tag: Action["_tag"], at: At, context: Context): Action => {
  switch (tag) {
    case "apply":
      return { _tag: "apply", manifests: apply(at, context) }
    case "delete":
      return remove(at)
    case "scale":
      return {
        _tag: "scale",
        targets: targets(at).map(({ ref: r, value }) => ({
          ref: refAt(r, ["deployment", "replicaset"]),
          replicas: integer(value, 0, 2 ** 31 - 1)
        }))
      }
    case "setImage":
      return {
        _tag: "setImage",
        targets: targets(at).map(({ ref: r, value }) => {
          const m = mapping(value, ["container", "image"])
          return {
            ref: refAt(r, ["deployment"]),
            container: text(m.require("container")),
            image: text(m.require("image"))
          }
        })
      }
    case "cordon":
    case "uncordon":
      return { _tag: tag, node: knownNode(at, context) }
    case "addNodes":
      return { _tag: "addNodes", group: nodeGroup(at, context) }
    case "fault":
      return { _tag: "fault", fault: fault(at, context) }
    case "expect":
      return { _tag: "expect", checks: nonEmpty(at, "check").map((check) => checkAt(check, context)) }
  }
}

const nonEmpty = (at: At, what: string): ReadonlyArray<At> => {
  const items = list(at)
  return items.length === 0 ? fail(at, `must list at least one ${what}`) : items
}

/** `{deployment/web: …, deployment/api: …}`: each key is an object reference (an At on the key). */
const targets = (at: At): ReadonlyArray<{ readonly ref: At; readonly value: At }> => {
  const entries = mapping(at).entries
  if (entries.length === 0) fail(at, "must name at least one object")
  return entries.map((e) => ({ ref: e.keyAt, value: e.value ?? fail(e.keyAt, "must have a value") }))
}

const knownNode = (at: At, context: Context): string => {
  const name = text(at)
  return context.nodes.has(name) ? name : fail(at, `unknown node "${name}"`)
}

// ---------------------------------------------------------------------------------------------
// Object references: `kind/name` or `namespace/kind/name`

/** Kinds as scenarios write them: every served type's singular name. */
const refKinds = ApiResources.resources.map((r) => r.singular)

const refAt = (at: At, kinds: ReadonlyArray<string> = refKinds): ObjectRef => {
  const written = text(at)
  const parts = written.split("/")
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === "")) {
    return fail(at, `"${written}" must be kind/name or namespace/kind/name`)
  }
  const [namespace, kind, name] = parts.length === 3 ? parts : ["default", ...parts]
  if (!kinds.includes(kind)) {
    const type = ApiResources.byName(kind)
    if (type !== undefined && kinds.includes(type.singular)) {
      fail(at, `write the kind lower-case singular: "${type.singular}"`)
    }
    fail(at, `${kinds === refKinds ? "unknown kind" : "kind not allowed here:"} "${kind}"; kinds: ${kinds.join(", ")}`)
  }
  const type = ApiResources.resources.find((r) => r.singular === kind)!
  if (!type.namespaced && parts.length === 3) fail(at, `${kind} is not namespaced: write ${kind}/${name}`)
  firstProblem(at, V.dns1123Subdomain(name), "name", name)
  if (type.namespaced) firstProblem(at, V.dns1123Label(namespace), "namespace", namespace)
  return { kind, namespace: type.namespaced ? namespace : "", name }
}

const propagations = ["Background", "Foreground", "Orphan"] as const

const remove = (at: At): Action => {
  if (!YAML.isMap(at.node)) return { _tag: "delete", ref: refAt(at), propagation: "Background" }
  const m = mapping(at, ["ref", "propagation"])
  return {
    _tag: "delete",
    ref: refAt(m.require("ref")),
    propagation: optional(m, "propagation", (a) => oneOf(a, propagations, "propagation"), "Background")
  }
}

// ---------------------------------------------------------------------------------------------
// Manifests

const apply = (at: At, context: Context): ReadonlyArray<Record<string, unknown>> =>
  YAML.isSeq(at.node) ? nonEmpty(at, "manifest").flatMap((item) => manifests(item, context)) : manifests(at, context)

/** A manifest, or `{file: path}` standing for the manifests of that file. */
const manifests = (at: At, context: Context): ReadonlyArray<Record<string, unknown>> => {
  const isFile = YAML.isMap(at.node) && at.node.items.length === 1 && mapping(at).has("file")
  return isFile ? manifestFile(mapping(at, ["file"]).require("file"), context) : [manifest(at)]
}

const manifest = (at: At): Record<string, unknown> => {
  const m = mapping(at)
  const versionAt = m.require("apiVersion")
  const kindAt = m.require("kind")
  const version = text(versionAt)
  const kind = text(kindAt)
  if (ApiResources.byKind(version, kind) === undefined) {
    fail(kindAt, `no kind "${kind}" is served in version "${version}"`)
  }
  text(mapping(m.require("metadata")).require("name"))
  try {
    return at.node.toJS(at.source.doc, { maxAliasCount: 100 }) as Record<string, unknown>
  } catch (error) {
    // The yaml package's alias errors, chiefly its guard against alias bombs.
    if (!(error instanceof ReferenceError)) throw error
    return fail(at, error.message.startsWith("Excessive alias count") ? "too many YAML aliases" : error.message)
  }
}

const manifestFile = (at: At, context: Context): ReadonlyArray<Record<string, unknown>> => {
  const written = text(at)
  const file = path.isAbsolute(written) ? written : path.join(path.dirname(context.file), written)
  let content: string
  try {
    content = context.read(file)
  } catch (error) {
    return fail(at, `cannot read "${file}": ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`)
  }
  const lines = new YAML.LineCounter()
  const docs = YAML.parseAllDocuments(content, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  const result: Array<Record<string, unknown>> = []
  for (const [i, doc] of (Array.isArray(docs) ? docs : []).entries()) {
    const source: Source = { file, doc, lines }
    const syntax = doc.errors[0]
    if (syntax !== undefined) failAt(source, syntax.pos[0], "", `invalid YAML: ${syntax.message}`)
    const contents = deref(source, doc.contents)
    if (contents === undefined || isNull(contents)) continue // an empty document between `---` separators
    result.push(manifest({ source, path: `${at.path}[${i}]`, node: contents }))
  }
  return result.length === 0 ? fail(at, `no manifests in "${file}"`) : result
}

// ---------------------------------------------------------------------------------------------
// Faults

/** The fields a fault takes beside its own key. */
const faultOptions: Partial<Record<FaultName, ReadonlyArray<string>>> = {
  partition: ["for"],
  crashContainer: ["exitCode"],
  delayWatches: ["kind", "by", "for"],
  clockSkew: ["by"]
}

const restartable = ["scheduler", "controller-manager", "apiserver"] as const

const fault = (at: At, context: Context): Fault => {
  const m = mapping(at)
  const found = m.entries.filter((e) => (faultNames as ReadonlyArray<string>).includes(e.key))
  if (found.length === 0) {
    const first = m.entries[0]
    return first === undefined
      ? fail(at, `must name a fault: ${faultNames.join(", ")}`)
      : fail(first.keyAt, unknownName("fault", first.key, faultNames))
  }
  if (found.length > 1) fail(found[1].keyAt, `one fault per step: "${found[0].key}" and "${found[1].key}" both given`)
  const name = found[0].key as FaultName
  const options = faultOptions[name] ?? []
  const m2 = mapping(at, [name, ...options])
  const value = m2.require(name)
  switch (name) {
    case "crashNode":
    case "restartNode":
    case "stopKubelet":
    case "startKubelet":
      return { _tag: name, node: knownNode(value, context) }
    case "partition": {
      const ends = list(value)
      if (ends.length !== 2) fail(value, `must name two ends, got ${ends.length}`)
      const [a, b] = ends.map((end) => endpoint(end, context))
      if (a === b) fail(ends[1], `a partition needs two different ends`)
      return { _tag: "partition", a, b, for: duration(m2.require("for"), true) }
    }
    case "crashContainer": {
      const target = mapping(value, ["pod", "container"])
      return {
        _tag: "crashContainer",
        pod: podOrSelector(target.require("pod")),
        container: text(target.require("container")),
        exitCode: optional(m2, "exitCode", (a) => integer(a, 0, 255), 1)
      }
    }
    case "storeUnavailable":
      return { _tag: "storeUnavailable", for: duration(value, true) }
    case "compactStore":
      return boolean(value) ? { _tag: "compactStore" } : fail(value, "must be true")
    case "slowNetwork": {
      const slow = mapping(value, ["latency", "for"])
      return { _tag: "slowNetwork", latency: range(slow.require("latency")), for: duration(slow.require("for"), true) }
    }
    case "restartComponent":
      return { _tag: "restartComponent", component: oneOf(value, restartable, "component") }
    case "cutWatches":
      return { _tag: "cutWatches", component: client(value, context) }
    case "delayWatches": {
      const kindAt = m2.get("kind")
      return {
        _tag: "delayWatches",
        component: client(value, context),
        ...(kindAt === undefined ? {} : { kind: oneOf(kindAt, refKinds, "kind") }),
        by: duration(m2.require("by"), true),
        for: duration(m2.require("for"), true)
      }
    }
    case "ambiguousCommit":
    case "crashAtWrite": {
      const target = mapping(value, ["component", "kind", "nth"])
      const kindAt = target.get("kind")
      return {
        _tag: name,
        component: client(target.require("component"), context),
        ...(kindAt === undefined ? {} : { kind: oneOf(kindAt, refKinds, "kind") }),
        nth: optional(target, "nth", (a) => integer(a, 1), 1)
      }
    }
    case "clockSkew":
      return { _tag: "clockSkew", node: knownNode(value, context), offset: signedDuration(m2.require("by")) }
  }
}

/** A component that talks to the API server and holds watches: a node's name (its kubelet), the scheduler or the controller-manager. */
const client = (at: At, context: Context): string => {
  const name = text(at)
  if (name === "scheduler" || name === "controller-manager" || context.nodes.has(name)) return name
  return fail(at, `unknown component "${name}": a node's name, scheduler, controller-manager`)
}

/** A duration that may be negative (`-30s`). */
const signedDuration = (at: At): number => {
  const value = scalar(at)
  const written = String(value ?? "")
  if (!written.startsWith("-")) return duration(at, false)
  return -Either.getOrElse(parseDuration(written.slice(1)), (message) => fail(at, message))
}

// ---------------------------------------------------------------------------------------------
// The fault track: `spec.faults`

const triggerEvents = ["created", "updated", "deleted"] as const

const scheduledFaults = (at: At, length: number, context: Context): ReadonlyArray<ScheduledFault> =>
  list(at).map((entryAt) => {
    const m = mapping(entryAt, ["at", "when", "fault"])
    const time = duration(m.require("at"), false)
    if (time > length) fail(m.require("at"), `is after the run's end (${formatDuration(length)})`)
    const whenAt = m.get("when")
    return {
      line: lineOf(entryAt),
      at: time,
      ...(whenAt === undefined ? {} : { when: trigger(whenAt) }),
      fault: fault(m.require("fault"), context)
    }
  })

/** `{updated: replicaset, count: 2}`: the kind alone, or `kind/name`, `namespace/kind/name`. */
const trigger = (at: At): Trigger => {
  const m = mapping(at, [...triggerEvents, "count"])
  const entry = exactlyOne(m, triggerEvents, "an event", "a trigger")
  const event = entry.key as Trigger["event"]
  const valueAt = entry.value ?? fail(entry.keyAt, "must have a value")
  const count = optional(m, "count", (a) => integer(a, 1), 1)
  const written = text(valueAt)
  if (!written.includes("/")) return { event, kind: oneOf(valueAt, refKinds, "kind"), namespace: "default", count }
  const ref = refAt(valueAt)
  return { event, kind: ref.kind, namespace: ref.namespace, name: ref.name, count }
}

const endpoint = (at: At, context: Context): string => {
  const name = text(at)
  if ((components as ReadonlyArray<string>).includes(name) || context.nodes.has(name)) return name
  return fail(at, `unknown end "${name}": a node's name, ${components.join(", ")}`)
}

/** A pod's name, or a label selector when it has a selector's operators (which must then parse). */
const podOrSelector = (at: At): string => {
  const written = text(at)
  if (!/[=!(),]|\s(in|notin)\s/.test(written)) {
    firstProblem(at, V.dns1123Subdomain(written), "pod name", written)
    return written
  }
  return selector(at)
}

const selector = (at: At): string => {
  const written = text(at)
  Either.getOrElse(LabelSelector.parse(written), (message) => fail(at, `invalid selector "${written}": ${message}`))
  return written
}

// ---------------------------------------------------------------------------------------------
// Checks

const checkNames = ["pods", "unschedulable", "exists", "absent"]
const objectFields: Readonly<Record<string, ReadonlyArray<string>>> = {
  deployment: [
    "replicas",
    "readyReplicas",
    "updatedReplicas",
    "availableReplicas",
    "unavailableReplicas",
    "observedGeneration",
    "specReplicas"
  ],
  replicaset: [
    "replicas",
    "readyReplicas",
    "availableReplicas",
    "fullyLabeledReplicas",
    "observedGeneration",
    "specReplicas"
  ],
  pod: ["phase", "node", "ready", "restarts"],
  node: ["ready", "unschedulable", "pods"]
}
const podPhases = ["Pending", "Running", "Succeeded", "Failed", "Unknown"]

const checkAt = (at: At, context: Context): CheckAt => {
  const entries = mapping(at).entries
  if (entries.length !== 1) {
    fail(at, `a check has one key: kind/NAME (${Object.keys(objectFields).join(", ")}), ${checkNames.join(", ")}`)
  }
  const { key, keyAt, value } = entries[0]
  const valueAt = value ?? fail(keyAt, "must have a value")
  const check = (c: Check, label = key): CheckAt => ({ check: c, label, line: lineOf(at) })
  switch (key) {
    case "pods":
      return check(pods(valueAt, context))
    case "unschedulable":
      return check({ _tag: "unschedulable", count: integer(valueAt, 0) })
    case "exists":
    case "absent":
      return check({ _tag: key, ref: refAt(valueAt) }, `${key}: ${text(valueAt)}`)
  }
  if (!key.includes("/")) return fail(keyAt, unknownName("check", key, [...checkNames, "deployment/NAME"]))
  const ref = refAt(keyAt, Object.keys(objectFields))
  if (ref.kind === "node" && !context.nodes.has(ref.name)) fail(keyAt, `unknown node "${ref.name}"`)
  const m = mapping(valueAt, objectFields[ref.kind])
  if (m.entries.length === 0) fail(valueAt, "must list at least one field (use exists: to check only that it exists)")
  const fields: Record<string, string | number | boolean> = {}
  for (const { key: field, keyAt: fieldAt, value: v } of m.entries) {
    fields[field] = objectField(ref.kind, field, v ?? fail(fieldAt, "must have a value"), context)
  }
  return check({ _tag: "object", ref, fields: fields as Fields })
}

const objectField = (kind: string, field: string, at: At, context: Context): string | number | boolean => {
  if (field === "ready" || field === "unschedulable") return boolean(at)
  if (field === "phase") return oneOf(at, podPhases, "phase")
  if (field === "node") return knownNode(at, context)
  return integer(at, 0, kind === "node" ? Number.MAX_SAFE_INTEGER : 2 ** 31 - 1)
}

const pods = (at: At, context: Context): Check => {
  const m = mapping(at, ["selector", "phase", "ready", "count", "min", "max", "onNode", "notOnNode", "image"])
  const count = (key: string) => optional(m, key, (a) => integer(a, 0), undefined)
  const [exact, min, max] = [count("count"), count("min"), count("max")]
  if (exact !== undefined && (min !== undefined || max !== undefined)) {
    fail(m.get("count")!, "give count, or min and/or max, not both")
  }
  if (min !== undefined && max !== undefined && min > max) fail(m.get("min")!, `min ${min} is above max ${max}`)
  const some = <A>(key: string, read: (a: At) => A) => {
    const value = optional(m, key, read, undefined)
    return value === undefined ? {} : { [key]: value }
  }
  const node = (a: At) => knownNode(a, context)
  return {
    _tag: "pods",
    ...some("selector", selector),
    ...some("phase", (a) => oneOf(a, podPhases, "phase")),
    ...some("ready", boolean),
    ...some("onNode", node),
    ...some("notOnNode", node),
    ...some("image", text),
    ...(exact === undefined ? {} : { count: exact }),
    ...(min === undefined ? {} : { min }),
    ...(max === undefined ? {} : { max })
  }
}
