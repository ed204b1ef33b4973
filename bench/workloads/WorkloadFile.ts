/**
 * Workload files: a Workload as YAML with human units (cpu `500m`, memory `1Gi`, times `90s`),
 * read with the `yaml` package's positions so that a problem is one line `file:line:col: field:
 * what is wrong`; unknown fields are errors. `write` gives back what `read` takes; `toScenario`
 * gives the same workload as a scenario `minik8s run` plays.
 *
 *   apiVersion: minik8s.io/v1alpha1
 *   kind: Workload
 *   metadata: {name: heavy-tailed}
 *   spec:
 *     horizon: 2h                               # optional
 *     nodes:
 *       - {name: node, count: 100, cpu: 32, memory: 128Gi, pods: 110, resources: {nvidia.com/gpu: 8}}
 *     arrivals:                                 # `pod` or `deployment` names the arrival
 *       - {pod: p-000001, at: 1.5s, cpu: 500m, memory: 1Gi, duration: 12m, group: job-00001}
 *       - {deployment: svc-0001, at: 5s, replicas: 3, cpu: 1, memory: 4Gi, lifetime: 2h}
 *
 * Node groups also take `labels`, `taints`; arrivals `resources`, `priority`, `labels`,
 * `nodeSelector`, `tolerations` and `spread` (topologySpreadConstraints), as Kubernetes writes them.
 */
import * as Data from "effect/Data"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as YAML from "yaml"
import type { FieldError } from "../../core/api/errors.js"
import { Taint } from "../../core/api/Node.js"
import * as Quantity from "../../core/api/Quantity.js"
import {
  Toleration,
  TopologySpreadConstraint,
  validateTolerations,
  validateTopologySpread
} from "../../core/api/SchedulingConstraints.js"
import * as V from "../../core/api/validation.js"
import { parseDuration } from "../../sim/scenario/Duration.js"
import { manifestOf } from "./Manifests.js"
import { cpuText, durationText, memoryText } from "./Units.js"
import {
  type Arrival,
  type DeploymentArrival,
  horizonOf,
  type NodeGroup,
  type PodArrival,
  podsOf,
  type PodShape,
  type Requests,
  sortArrivals,
  type Workload
} from "./Workload.js"

/** A problem in a workload file; `toString()` is the one line the CLI prints. */
export class WorkloadError extends Data.TaggedError("WorkloadError")<{
  readonly file: string
  readonly line: number
  readonly column: number
  /** The field path (`spec.arrivals[3].cpu`); empty for YAML syntax errors. */
  readonly field: string
  readonly message: string
}> {
  override toString(): string {
    return `${this.file}:${this.line}:${this.column}: ${this.field === "" ? "" : `${this.field}: `}${this.message}`
  }
}

const apiVersion = "minik8s.io/v1alpha1"

// ---------------------------------------------------------------------------------------------
// write

const shapeFields = (shape: PodShape) => ({
  cpu: cpuText(shape.requests.cpu),
  memory: memoryText(shape.requests.memory),
  ...(shape.requests.extended === undefined ? {} : { resources: shape.requests.extended })
})

const placementFields = (shape: PodShape) => ({
  ...(shape.priority === undefined ? {} : { priority: shape.priority }),
  ...(shape.labels === undefined ? {} : { labels: shape.labels }),
  ...(shape.nodeSelector === undefined ? {} : { nodeSelector: shape.nodeSelector }),
  ...(shape.tolerations === undefined ? {} : { tolerations: shape.tolerations }),
  ...(shape.spread === undefined ? {} : { spread: shape.spread })
})

const arrivalFields = (a: Arrival): Record<string, unknown> =>
  a.kind === "Pod"
    ? {
        pod: a.name,
        at: durationText(a.at),
        ...shapeFields(a),
        ...(a.duration === undefined ? {} : { duration: durationText(a.duration) }),
        ...(a.group === undefined ? {} : { group: a.group }),
        ...placementFields(a)
      }
    : {
        deployment: a.name,
        at: durationText(a.at),
        replicas: a.replicas,
        ...shapeFields(a),
        ...(a.lifetime === undefined ? {} : { lifetime: durationText(a.lifetime) }),
        ...placementFields(a)
      }

const nodeGroupFields = (g: NodeGroup): Record<string, unknown> => ({
  name: g.name,
  count: g.count,
  cpu: cpuText(g.cpu),
  memory: memoryText(g.memory),
  ...(g.pods === undefined ? {} : { pods: g.pods }),
  ...(g.extended === undefined ? {} : { resources: g.extended }),
  ...(g.labels === undefined ? {} : { labels: g.labels }),
  ...(g.taints === undefined ? {} : { taints: g.taints })
})

// Strings flow style holds plain, unless YAML reads them as something else (numbers, booleans, null).
const plainString = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/
const notString =
  /^(?:[-+]?(?:\d[\d_]*\.?\d*(?:e[-+]?\d+)?|\.\d+)|0x[0-9a-f]+|0o[0-7]+|\.inf|\.nan|true|false|null|yes|no|on|off|y|n)$/i

/**
 * A value in YAML flow style: strings plain where YAML reads them back as the same string, else
 * as JSON (which YAML reads too). Written by hand, as the yaml package's writer takes seconds for
 * a hundred thousand arrivals.
 */
const flow = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(flow).join(", ")}]`
  if (typeof value === "object" && value !== null) {
    return `{${Object.entries(value)
      .map(([k, v]) => `${flow(k)}: ${flow(v)}`)
      .join(", ")}}`
  }
  return typeof value === "string" && plainString.test(value) && !notString.test(value) ? value : JSON.stringify(value)
}

/** `key:` and its items, one `- {…}` line each, or `key: []`. */
const listLines = (indent: string, key: string, items: ReadonlyArray<unknown>): ReadonlyArray<string> =>
  items.length === 0
    ? [`${indent}${key}: []`]
    : [`${indent}${key}:`, ...items.map((item) => `${indent}  - ${flow(item)}`)]

/** The workload file of a workload; `read` gives the workload back. */
export const write = (workload: Workload): string =>
  [
    `apiVersion: ${apiVersion}`,
    "kind: Workload",
    "metadata:",
    `  name: ${flow(workload.name)}`,
    "spec:",
    ...(workload.horizon === undefined ? [] : [`  horizon: ${durationText(workload.horizon)}`]),
    ...listLines("  ", "nodes", workload.nodes.map(nodeGroupFields)),
    ...listLines("  ", "arrivals", workload.arrivals.map(arrivalFields)),
    ""
  ].join("\n")

// ---------------------------------------------------------------------------------------------
// read: positions and field paths over the yaml package's nodes

interface Source {
  readonly file: string
  readonly doc: YAML.Document
  readonly lines: YAML.LineCounter
}

/** A value in the document and its field path. */
interface At {
  readonly source: Source
  readonly path: string
  readonly node: YAML.Node
}

interface Mapping {
  readonly entries: ReadonlyArray<{ readonly key: string; readonly keyAt: At; readonly value: At | undefined }>
  /** The value of `key`; undefined when absent or null. */
  readonly get: (key: string) => At | undefined
  readonly require: (key: string) => At
}

const failAt = (source: Source, offset: number, field: string, message: string): never => {
  const { line, col } = source.lines.linePos(offset)
  throw new WorkloadError({ file: source.file, line: Math.max(line, 1), column: Math.max(col, 1), field, message })
}

const fail = (at: At, message: string): never => failAt(at.source, at.node.range?.[0] ?? 0, at.path, message)

const childPath = (parent: string, key: string | number): string =>
  typeof key === "number"
    ? `${parent}[${key}]`
    : !/^[A-Za-z0-9_-]+$/.test(key)
      ? `${parent}[${key}]`
      : parent === ""
        ? key
        : `${parent}.${key}`

const resolve = (source: Source, node: unknown): YAML.Node | undefined => {
  const resolved = YAML.isAlias(node) ? node.resolve(source.doc) : node
  return YAML.isNode(resolved) && !(YAML.isScalar(resolved) && resolved.value === null) ? resolved : undefined
}

const shown = (node: YAML.Node): string =>
  YAML.isMap(node) ? "a mapping" : YAML.isSeq(node) ? "a list" : JSON.stringify(YAML.isScalar(node) ? node.value : "")

const mapping = (at: At, known: ReadonlyArray<string> | undefined): Mapping => {
  if (!YAML.isMap(at.node)) return fail(at, `must be a mapping, got ${shown(at.node)}`)
  const entries = at.node.items.map((pair) => {
    const keyNode = resolve(at.source, pair.key)
    const key = YAML.isScalar(keyNode) ? keyNode.value : undefined
    if (keyNode === undefined || (typeof key !== "string" && typeof key !== "number")) {
      return fail({ ...at, node: keyNode ?? at.node }, "keys must be strings")
    }
    const keyAt = { source: at.source, path: childPath(at.path, String(key)), node: keyNode }
    if (known !== undefined && !known.includes(String(key))) {
      fail(keyAt, `unknown field "${key}"; known: ${known.join(", ")}`)
    }
    const value = resolve(at.source, pair.value)
    return { key: String(key), keyAt, value: value === undefined ? undefined : { ...keyAt, node: value } }
  })
  const get = (key: string) => entries.find((e) => e.key === key)?.value
  return {
    entries,
    get,
    require: (key) => get(key) ?? fail({ ...at, path: childPath(at.path, key) }, "required field is missing")
  }
}

const list = (at: At): ReadonlyArray<At> => {
  if (!YAML.isSeq(at.node)) return fail(at, `must be a list, got ${shown(at.node)}`)
  return at.node.items.map((item, i) => {
    const itemAt = { ...at, path: childPath(at.path, i) }
    return { ...itemAt, node: resolve(at.source, item) ?? fail(itemAt, "must have a value") }
  })
}

const scalar = (at: At): unknown => (YAML.isScalar(at.node) ? at.node.value : undefined)

const text = (at: At): string => {
  const value = scalar(at)
  return typeof value === "string" && value !== ""
    ? value
    : fail(at, `must be a non-empty string, got ${shown(at.node)}`)
}

const integer = (at: At, min: number, max = 2 ** 31 - 1): number => {
  const value = scalar(at)
  if (typeof value !== "number" || !Number.isInteger(value)) {
    return fail(at, `must be an integer, got ${shown(at.node)}`)
  }
  if (value < min) return fail(at, `must be at least ${min}`)
  return value > max ? fail(at, `must be at most ${max}`) : value
}

/** `{[key]: read(value)}` when `key` has a value, else `{}`: for spreading into the model. */
const optional = <K extends string, A>(m: Mapping, key: K, read: (at: At) => A): { readonly [P in K]?: A } => {
  const at = m.get(key)
  return (at === undefined ? {} : { [key]: read(at) }) as { readonly [P in K]?: A }
}

/** A name that must be a DNS-1123 label. */
const label = (at: At): string => {
  const name = text(at)
  const problem = V.dns1123Label(name)[0]
  return problem === undefined ? name : fail(at, `invalid name "${name}": ${problem}`)
}

/** A duration in ms; `positive` forbids zero. */
const duration = (at: At, positive: boolean): number => {
  const value = scalar(at)
  if (typeof value !== "string" && typeof value !== "number") {
    return fail(at, `must be a duration, got ${shown(at.node)}`)
  }
  const ms = Either.getOrElse(parseDuration(String(value)), (message) => fail(at, message))
  return positive && ms === 0 ? fail(at, "must be longer than 0s") : ms
}

/** A non-negative quantity, as millis (`milli`, for CPU) or whole units. */
const quantity = (at: At, milli: boolean): number => {
  const value = scalar(at)
  if (typeof value !== "string" && typeof value !== "number") {
    return fail(at, `must be a quantity, got ${shown(at.node)}`)
  }
  const q = Either.getOrElse(Quantity.parse(value), (message) => fail(at, message))
  if (q.nanos < 0n) return fail(at, `quantity "${value}" must not be negative`)
  if (!milli && q.nanos % 1_000_000_000n !== 0n) return fail(at, `must be a whole number, got "${value}"`)
  return milli ? Quantity.milliValue(q) : Quantity.value(q)
}

/** `{nvidia.com/gpu: 8}`: domain-prefixed names (not cpu, memory, pods), whole amounts. */
const extended = (at: At): Readonly<Record<string, number>> => {
  const result: Record<string, number> = {}
  for (const { key, keyAt, value } of mapping(at, undefined).entries) {
    const domain = key.split("/")[0]
    const native = !key.includes("/") || domain === "kubernetes.io" || domain.endsWith(".kubernetes.io")
    if (native || key.startsWith("requests.")) {
      fail(keyAt, `"${key}" is not an extended resource name: it needs a domain prefix (example.com/gpu)`)
    }
    const problem = V.qualifiedName(key)[0]
    if (problem !== undefined) fail(keyAt, `invalid resource name "${key}": ${problem}`)
    result[key] = quantity(value ?? fail(keyAt, "must have a value"), false)
  }
  return result
}

/** Labels or a node selector: qualified-name keys, label values (strings). */
const stringMap = (at: At): Readonly<Record<string, string>> => {
  const result: Record<string, string> = {}
  for (const { key, keyAt, value } of mapping(at, undefined).entries) {
    const keyProblem = V.qualifiedName(key)[0]
    if (keyProblem !== undefined) fail(keyAt, `invalid key "${key}": ${keyProblem}`)
    const valueAt = value ?? fail(keyAt, "must be a string")
    const v = scalar(valueAt)
    if (typeof v !== "string") return fail(valueAt, `must be a string, got ${shown(valueAt.node)}`)
    const problem = V.labelValue(v)[0]
    if (problem !== undefined) fail(valueAt, `invalid value "${v}": ${problem}`)
    result[key] = v
  }
  return result
}

/** The node under `at` at a path of keys and indexes, or the deepest one that exists. */
const locate = (at: At, path: ReadonlyArray<PropertyKey>): At => {
  let found = at
  for (const key of path) {
    if (typeof key === "symbol" || !YAML.isCollection(found.node)) break
    const child = resolve(at.source, found.node.get(YAML.isSeq(found.node) ? Number(key) : key, true))
    if (child === undefined) break
    found = { ...found, path: childPath(found.path, YAML.isSeq(found.node) ? Number(key) : String(key)), node: child }
  }
  return found
}

/** `.key` and `[i]` segments of a field path, as keys and indexes. */
const segments = (field: string): ReadonlyArray<string | number> =>
  [...field.matchAll(/\.([^.[\]]+)|\[([^\]]+)\]/g)].map(([, key, index]) =>
    key !== undefined ? key : /^\d+$/.test(index) ? Number(index) : index
  )

/** A list of Kubernetes objects (taints, tolerations …): decoded by their schema, unknown fields refused, then validated. */
const objects = <A, I>(
  at: At,
  schema: Schema.Schema<A, I>,
  validate: (field: string, items: ReadonlyArray<A>) => ReadonlyArray<FieldError>
): ReadonlyArray<A> => {
  list(at)
  const decoded = Schema.decodeUnknownEither(Schema.Array(schema), { onExcessProperty: "error", errors: "first" })(
    at.node.toJS(at.source.doc)
  )
  if (Either.isLeft(decoded)) {
    const issue = ParseResult.ArrayFormatter.formatErrorSync(decoded.left)[0]
    return fail(locate(at, issue?.path ?? []), issue?.message ?? "invalid")
  }
  const problem = validate(at.path, decoded.right)[0]
  return problem === undefined
    ? decoded.right
    : fail(locate(at, segments(problem.field.slice(at.path.length))), problem.message)
}

const taintEffects = ["NoSchedule", "PreferNoSchedule", "NoExecute"]

const taintProblems = (field: string, taints: ReadonlyArray<Taint>): ReadonlyArray<FieldError> =>
  taints.flatMap((t, i) => [
    ...V.qualifiedName(t.key ?? "").map((m) => V.invalid(`${field}[${i}].key`, t.key, m)),
    ...(taintEffects.includes(t.effect ?? "") ? [] : [V.notSupported(`${field}[${i}].effect`, t.effect, taintEffects)])
  ])

// ---------------------------------------------------------------------------------------------
// read: the workload

const nodeGroupKeys = ["name", "count", "cpu", "memory", "pods", "resources", "labels", "taints"]
const shapeKeys = ["at", "cpu", "memory", "resources", "priority", "labels", "nodeSelector", "tolerations", "spread"]
const podKeys = ["pod", ...shapeKeys, "duration", "group"]
const deploymentKeys = ["deployment", ...shapeKeys, "replicas", "lifetime"]

const nodeGroup = (at: At): NodeGroup => {
  const m = mapping(at, nodeGroupKeys)
  return {
    name: label(m.require("name")),
    count: m.get("count") === undefined ? 1 : integer(m.require("count"), 1),
    cpu: quantity(m.require("cpu"), true),
    memory: quantity(m.require("memory"), false),
    ...optional(m, "pods", (a) => integer(a, 0)),
    ...(m.get("resources") === undefined ? {} : { extended: extended(m.require("resources")) }),
    ...optional(m, "labels", stringMap),
    ...optional(m, "taints", (a) => objects(a, Taint, taintProblems))
  }
}

const shape = (m: Mapping): PodShape => {
  const resources = m.get("resources")
  const requests: Requests = {
    cpu: quantity(m.require("cpu"), true),
    memory: quantity(m.require("memory"), false),
    ...(resources === undefined ? {} : { extended: extended(resources) })
  }
  return {
    requests,
    ...optional(m, "priority", (a) => integer(a, -(2 ** 31))),
    ...optional(m, "labels", stringMap),
    ...optional(m, "nodeSelector", stringMap),
    ...optional(m, "tolerations", (a) => objects(a, Toleration, validateTolerations)),
    ...optional(m, "spread", (a) => objects(a, TopologySpreadConstraint, validateTopologySpread))
  }
}

const arrival = (at: At): Arrival => {
  const isPod = mapping(at, undefined).get("pod") !== undefined
  if (!isPod && mapping(at, undefined).get("deployment") === undefined) {
    fail(at, `an arrival names a pod or a deployment: {pod: NAME, …} or {deployment: NAME, …}`)
  }
  const m = mapping(at, isPod ? podKeys : deploymentKeys)
  if (isPod) {
    return {
      kind: "Pod",
      name: label(m.require("pod")),
      at: duration(m.require("at"), false),
      ...shape(m),
      ...optional(m, "duration", (a) => duration(a, true)),
      ...optional(m, "group", label)
    } satisfies PodArrival
  }
  return {
    kind: "Deployment",
    name: label(m.require("deployment")),
    at: duration(m.require("at"), false),
    replicas: integer(m.require("replicas"), 0),
    ...shape(m),
    ...optional(m, "lifetime", (a) => duration(a, true))
  } satisfies DeploymentArrival
}

/** Reads each item; a name read twice is an error at the second. */
const uniquelyNamed = <A extends { readonly name: string }>(
  items: ReadonlyArray<At>,
  read: (at: At) => A,
  what: string
): ReadonlyArray<A> => {
  const seen = new Set<string>()
  return items.map((at) => {
    const item = read(at)
    if (seen.has(item.name)) fail(at, `duplicate ${what} "${item.name}"`)
    seen.add(item.name)
    return item
  })
}

const workload = (content: string, file: string): Workload => {
  const lines = new YAML.LineCounter()
  const doc = YAML.parseDocument(content, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  const source: Source = { file, doc, lines }
  const syntax = doc.errors[0]
  if (syntax !== undefined) failAt(source, syntax.pos[0], "", `invalid YAML: ${syntax.message}`)
  const contents = resolve(source, doc.contents)
  if (contents === undefined)
    return failAt(source, 0, "", "empty workload: expected apiVersion, kind, metadata and spec")
  const root = mapping({ source, path: "", node: contents }, ["apiVersion", "kind", "metadata", "spec"])
  if (scalar(root.require("apiVersion")) !== apiVersion) fail(root.require("apiVersion"), `must be "${apiVersion}"`)
  if (scalar(root.require("kind")) !== "Workload") fail(root.require("kind"), `must be "Workload"`)
  const name = label(mapping(root.require("metadata"), ["name"]).require("name"))
  const spec = mapping(root.require("spec"), ["nodes", "arrivals", "horizon"])
  const groups = list(spec.require("nodes"))
  if (groups.length === 0) fail(spec.require("nodes"), "at least one node group is required")
  return {
    name,
    nodes: uniquelyNamed(groups, nodeGroup, "node group"),
    arrivals: sortArrivals(uniquelyNamed(list(spec.require("arrivals")), arrival, "arrival name")),
    ...optional(spec, "horizon", (a) => duration(a, true))
  }
}

/** Reads and validates a workload file; the error names file:line:column and the field. */
export const read = (content: string, file: string): Either.Either<Workload, WorkloadError> => {
  // Validation stops at the first problem: throwing it keeps each rule one line; only here is it caught.
  try {
    return Either.right(workload(content, file))
  } catch (error) {
    if (error instanceof WorkloadError) return Either.left(error)
    const message = error instanceof Error ? error.message : String(error)
    return Either.left(new WorkloadError({ file, line: 1, column: 1, field: "", message }))
  }
}

// ---------------------------------------------------------------------------------------------
// toScenario

/**
 * The workload as a scenario file for `minik8s run`: its node groups, `profile`, one `apply` step
 * per arrival time and a `delete` step at each Deployment's end; it runs until the workload's
 * horizon (what happens after it is left out). Finished pods stay, as the scenario runner does not
 * delete them (the bench driver does).
 */
export const toScenario = (workload: Workload, profile: string): string => {
  const end = horizonOf(workload)
  const steps: Array<
    | { readonly at: number; readonly apply: Array<Record<string, unknown>> }
    | { readonly at: number; readonly delete: string }
  > = []
  for (const a of workload.arrivals) {
    if (a.at > end) continue
    const last = steps.at(-1)
    if (last !== undefined && last.at === a.at && "apply" in last) last.apply.push(manifestOf(workload, a))
    else steps.push({ at: a.at, apply: [manifestOf(workload, a)] })
  }
  for (const a of workload.arrivals) {
    if (a.kind === "Deployment" && a.lifetime !== undefined && a.at + a.lifetime <= end) {
      steps.push({ at: a.at + a.lifetime, delete: `deployment/${a.name}` })
    }
  }
  // Stable: at one time, arrivals come before deletes, in workload order.
  steps.sort((x, y) => x.at - y.at)
  const pods = workload.arrivals.reduce((n, a) => n + podsOf(a), 0)
  const nodes = workload.nodes.reduce((n, g) => n + g.count, 0)
  const description = `Workload ${workload.name}: ${workload.arrivals.length} arrivals (${pods} pods) on ${nodes} nodes.`
  return [
    `apiVersion: ${apiVersion}`,
    "kind: Scenario",
    "metadata:",
    `  name: ${flow(workload.name)}`,
    `  description: ${flow(description)}`,
    "spec:",
    `  duration: ${durationText(end)}`,
    "  cluster:",
    ...listLines(
      "    ",
      "nodes",
      workload.nodes.map((g) => ({ ...nodeGroupFields(g), name: `${g.name}-{i}` }))
    ),
    `    scheduler: {profile: ${flow(profile)}}`,
    ...(steps.length === 0 ? ["  steps: []"] : ["  steps:"]),
    ...steps.flatMap((step) =>
      "apply" in step
        ? [`    - at: ${durationText(step.at)}`, ...listLines("      ", "apply", step.apply)]
        : [`    - {at: ${durationText(step.at)}, delete: ${step.delete}}`]
    ),
    ""
  ].join("\n")
}
