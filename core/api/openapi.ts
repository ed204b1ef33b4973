/**
 * The OpenAPI documents kubectl downloads before `create`/`apply` (`/openapi/v3`, then
 * `/openapi/v2`): generated from the Effect Schemas with the `JSONSchema` module, named like
 * Kubernetes' definitions, with the `x-kubernetes-group-version-kind` extensions kubectl looks
 * for, the `fieldValidation` parameter that tells it the server validates fields, and the
 * patch-strategy extensions that make its strategic merge patches match ours.
 */
import { createHash } from "node:crypto"
import * as JSONSchema from "effect/JSONSchema"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"
import { StatusDetails } from "./errors.js"
import { ListMeta } from "./meta.js"
import { patchStrategy } from "./patchStrategy.js"
import { Binding } from "./Pod.js"
import { resources } from "./registry.js"
import { isRequiredField } from "./requiredField.js"
import type { ResourceType } from "./resource.js"
import { Scale } from "./Scale.js"

type Json = Record<string, any>
type Target = "v2" | "v3"

const meta = "io.k8s.apimachinery.pkg.apis.meta.v1"

const Status = Schema.Struct({
  apiVersion: Schema.optional(Schema.String),
  kind: Schema.optional(Schema.String),
  metadata: Schema.optional(ListMeta),
  status: Schema.optional(Schema.String),
  message: Schema.optional(Schema.String),
  reason: Schema.optional(Schema.String),
  details: Schema.optional(StatusDetails),
  code: Schema.optional(Schema.Number)
}).annotations({ identifier: `${meta}.Status` })

const DeleteOptions = Schema.Struct({
  apiVersion: Schema.optional(Schema.String),
  kind: Schema.optional(Schema.String),
  gracePeriodSeconds: Schema.optional(Schema.Number),
  preconditions: Schema.optional(
    Schema.Struct({ uid: Schema.optional(Schema.String), resourceVersion: Schema.optional(Schema.String) }).annotations(
      {
        identifier: `${meta}.Preconditions`
      }
    )
  ),
  orphanDependents: Schema.optional(Schema.Boolean),
  propagationPolicy: Schema.optional(Schema.String),
  dryRun: Schema.optional(Schema.Array(Schema.String))
}).annotations({ identifier: `${meta}.DeleteOptions` })

const Patch = Schema.Object.annotations({
  identifier: `${meta}.Patch`,
  description: "A patch: JSON patch, merge patch, strategic merge patch or apply configuration.",
  jsonSchema: { type: "object" }
})

const identifier = (schema: Schema.Schema.Any): string => Option.getOrThrow(AST.getIdentifierAnnotation(schema.ast))

const listOf = (rt: ResourceType<any>) =>
  Schema.Struct({
    apiVersion: Schema.String,
    kind: Schema.String,
    metadata: ListMeta,
    items: Schema.Array(rt.schema)
  }).annotations({ identifier: `${identifier(rt.schema)}List` })

/** `api/v1`, `apis/apps/v1`: how the documents are addressed. */
const groupVersionPath = (r: { group: string; version: string }) =>
  r.group === "" ? `api/${r.version}` : `apis/${r.group}/${r.version}`

const gvk = (group: string, version: string, kind: string) => ({ group, version, kind })

// ---------------------------------------------------------------------------------------------
// Schemas

const isUnknown = (s: Json) => s.$id === "/schemas/unknown"

/** Rewrites Effect's JSON Schema into the OpenAPI dialect of the target. */
const dialect = (s: Json, target: Target): Json => {
  if (isUnknown(s)) return { "x-kubernetes-preserve-unknown-fields": true }
  const out: Json = {}
  for (const [k, v] of Object.entries(s)) {
    if (k === "title" || k === "$id" || k === "$schema") continue
    if (k === "required" && Array.isArray(v) && v.length === 0) continue
    if (k === "additionalProperties") {
      if (v === true || v === false) continue
      if (isUnknown(v)) {
        out["x-kubernetes-preserve-unknown-fields"] = true
        continue
      }
      out[k] = dialect(v, target)
    } else if (k === "properties") {
      if (Object.keys(v).length === 0 && s.additionalProperties !== undefined) continue
      out[k] = Object.fromEntries(Object.entries(v as Json).map(([name, p]) => [name, dialect(p, target)]))
    } else if (k === "items" && !Array.isArray(v)) {
      out[k] = dialect(v, target)
    } else if ((k === "anyOf" || k === "oneOf" || k === "allOf") && Array.isArray(v)) {
      out[k] = v.map((m: Json) => dialect(m, target))
    } else {
      out[k] = v
    }
  }
  if (Array.isArray(out.anyOf)) {
    // OpenAPI has no null type: `string | null` is a nullable string.
    const members = out.anyOf.filter((m: Json) => m.type !== "null")
    if (members.length < out.anyOf.length) {
      delete out.anyOf
      Object.assign(
        out,
        members.length === 1 ? members[0] : { anyOf: members },
        target === "v3" ? { nullable: true } : {}
      )
    }
  }
  if (target === "v2" && Array.isArray(out.oneOf)) {
    // Swagger 2 has no oneOf: int-or-string and quantities are strings there, as in Kubernetes.
    delete out.oneOf
    out.type = "string"
  }
  return out
}

/** Puts extensions on a property, wrapping a `$ref` in `allOf` for v3 (siblings of `$ref` are ignored there). */
const extend = (property: Json, extensions: Json, target: Target): Json => {
  if (property.$ref !== undefined && target === "v3") return { allOf: [{ $ref: property.$ref }], ...extensions }
  return { ...property, ...extensions }
}

const refName = (s: Json): string | undefined => {
  const ref = s.$ref ?? s.allOf?.[0]?.$ref
  return typeof ref === "string" ? ref.slice(ref.lastIndexOf("/") + 1) : undefined
}

/** Adds `x-kubernetes-patch-strategy`/`-merge-key` where `patchStrategy` says a field is merged. */
const addPatchExtensions = (definitions: Json, kind: string, rootName: string, target: Target) => {
  const visit = (schema: Json, path: ReadonlyArray<string>) => {
    // Our schemas are not recursive; the bound only guards against a future cycle.
    if (path.length > 24) return
    const named = refName(schema)
    const s = named === undefined ? schema : definitions[named]
    if (s === undefined) return
    if (s.type === "array" && s.items !== undefined) return visit(s.items, path)
    for (const [name, property] of Object.entries((s.properties ?? {}) as Json)) {
      const at = [...path, name]
      const strategy = patchStrategy(kind, at)
      if (strategy !== undefined) {
        s.properties[name] = extend(
          property,
          {
            "x-kubernetes-patch-strategy": strategy.strategy,
            ...(strategy.mergeKey === undefined ? {} : { "x-kubernetes-patch-merge-key": strategy.mergeKey })
          },
          target
        )
      }
      visit(s.properties[name], at)
    }
  }
  visit(definitions[rootName], [])
}

/** Collects, by definition name, the fields declared with `requiredField` (optional to the decoder only). */
const collectRequiredFields = (ast: AST.AST, out: Map<string, ReadonlyArray<string>>): void => {
  switch (ast._tag) {
    case "TypeLiteral": {
      const name = Option.getOrUndefined(AST.getJSONIdentifier(ast))
      if (name !== undefined && out.has(name)) return
      const fields = ast.propertySignatures.filter(isRequiredField).map((ps) => String(ps.name))
      if (name !== undefined) out.set(name, fields)
      for (const ps of ast.propertySignatures) collectRequiredFields(ps.type, out)
      for (const is of ast.indexSignatures) collectRequiredFields(is.type, out)
      return
    }
    case "Union":
      return ast.types.forEach((t) => collectRequiredFields(t, out))
    case "TupleType":
      return [...ast.elements, ...ast.rest].forEach((e) => collectRequiredFields(e.type, out))
    case "Refinement":
      return collectRequiredFields(ast.from, out)
  }
}

/** Adds the `requiredField`s to each definition's `required`, in property order, as Kubernetes lists them. */
const addRequiredFields = (definitions: Json, required: ReadonlyMap<string, ReadonlyArray<string>>) => {
  for (const [name, fields] of required) {
    const definition = definitions[name]
    if (definition === undefined || fields.length === 0) continue
    const all = new Set<string>([...(definition.required ?? []), ...fields])
    definition.required = Object.keys(definition.properties ?? {}).filter((p) => all.has(p))
  }
}

/** The definitions for some resource types, in the target's dialect, with Kubernetes' extensions. */
const definitionsFor = (types: ReadonlyArray<ResourceType<any>>, target: Target): Json => {
  const raw: Record<string, JSONSchema.JsonSchema7> = {}
  const required = new Map<string, ReadonlyArray<string>>()
  const definitionPath = target === "v3" ? "#/components/schemas/" : "#/definitions/"
  const add = (schema: Schema.Schema.Any) => {
    JSONSchema.fromAST(schema.ast, { definitions: raw, definitionPath, additionalPropertiesStrategy: "allow" })
    collectRequiredFields(schema.ast, required)
  }
  const kinds: Array<[string, ReturnType<typeof gvk>]> = []
  for (const rt of types) {
    add(rt.schema)
    add(listOf(rt))
    kinds.push([identifier(rt.schema), gvk(rt.group, rt.version, rt.kind)])
    kinds.push([`${identifier(rt.schema)}List`, gvk(rt.group, rt.version, `${rt.kind}List`)])
    if (rt.scale !== undefined) {
      add(Scale)
      kinds.push([identifier(Scale), gvk("autoscaling", "v1", "Scale")])
    }
    if (rt.kind === "Pod") {
      add(Binding)
      kinds.push([identifier(Binding), gvk("", "v1", "Binding")])
    }
  }
  for (const schema of [Status, DeleteOptions, Patch]) add(schema)
  const definitions: Json = Object.fromEntries(Object.entries(raw).map(([name, s]) => [name, dialect(s, target)]))
  addRequiredFields(definitions, required)
  for (const [name, k] of kinds) definitions[name]["x-kubernetes-group-version-kind"] = [k]
  for (const rt of types) addPatchExtensions(definitions, rt.kind, identifier(rt.schema), target)
  return definitions
}

// ---------------------------------------------------------------------------------------------
// Paths

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1)

const stringParam = (name: string, where: "path" | "query", description: string, target: Target, type = "string") =>
  target === "v3"
    ? {
        name,
        in: where,
        description,
        ...(where === "path" ? { required: true } : {}),
        schema: { type, uniqueItems: true }
      }
    : { name, in: where, description, ...(where === "path" ? { required: true } : {}), type, uniqueItems: true }

const writeParams = (target: Target) => [
  stringParam("dryRun", "query", "When present, the modification is not persisted: All runs every stage.", target),
  stringParam("fieldManager", "query", "A name associated with the actor making these changes.", target),
  stringParam(
    "fieldValidation",
    "query",
    "How the server handles unknown or duplicate fields: Ignore, Warn (the default) or Strict.",
    target
  )
]

const listParams = (target: Target) => [
  stringParam("labelSelector", "query", "A selector on the objects' labels.", target),
  stringParam("fieldSelector", "query", "A selector on the objects' fields.", target),
  stringParam("limit", "query", "The maximum number of objects to return.", target, "integer"),
  stringParam("continue", "query", "The token of the next page, from a previous list.", target),
  stringParam("resourceVersion", "query", "What version of the list to serve.", target),
  stringParam("watch", "query", "Watch for changes instead of listing.", target, "boolean"),
  stringParam("timeoutSeconds", "query", "How long a list or watch may last.", target, "integer")
]

const patchTypes = [
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/strategic-merge-patch+json",
  "application/apply-patch+yaml"
]

interface Operation {
  readonly action: "get" | "list" | "post" | "put" | "patch" | "delete" | "deletecollection"
  readonly operationId: string
  readonly kind: ReturnType<typeof gvk>
  readonly body?: string
  readonly response: string
}

const operation = (op: Operation, ref: (name: string) => string, target: Target): Json => {
  const writes = op.action === "post" || op.action === "put" || op.action === "patch"
  const params = [
    ...(writes ? writeParams(target) : []),
    ...(op.action === "patch" ? [stringParam("force", "query", "Force apply requests.", target, "boolean")] : []),
    ...(op.action === "list" || op.action === "deletecollection" ? listParams(target) : [])
  ]
  const bodyTypes = op.action === "patch" ? patchTypes : ["application/json"]
  const response = {
    description: "OK",
    ...(target === "v3"
      ? { content: { "application/json": { schema: { $ref: ref(op.response) } } } }
      : { schema: { $ref: ref(op.response) } })
  }
  const result: Json = {
    description: `${op.action} ${op.kind.kind}`,
    operationId: op.operationId,
    parameters: params,
    responses: {
      "200": response,
      ...(op.action === "post" ? { "201": response } : {}),
      "401": { description: "Unauthorized" }
    },
    "x-kubernetes-action": op.action,
    "x-kubernetes-group-version-kind": op.kind
  }
  if (op.body !== undefined) {
    if (target === "v3") {
      result.requestBody = {
        required: true,
        content: Object.fromEntries(bodyTypes.map((t) => [t, { schema: { $ref: ref(op.body!) } }]))
      }
    } else {
      result.parameters = [{ name: "body", in: "body", required: true, schema: { $ref: ref(op.body) } }, ...params]
      result.consumes = bodyTypes
      result.produces = ["application/json", "application/yaml"]
    }
  }
  return result
}

const methods: Record<Operation["action"], string> = {
  get: "get",
  list: "get",
  post: "post",
  put: "put",
  patch: "patch",
  delete: "delete",
  deletecollection: "delete"
}

const pathsFor = (types: ReadonlyArray<ResourceType<any>>, target: Target): Json => {
  const ref = (name: string) => (target === "v3" ? `#/components/schemas/${name}` : `#/definitions/${name}`)
  const paths: Json = {}
  for (const rt of types) {
    const base = `/${groupVersionPath(rt)}`
    const scope = rt.namespaced ? "Namespaced" : ""
    const prefix = `${pascal((rt.group === "" ? "core" : rt.group).split(".")[0])}${pascal(rt.version)}`
    const collection = rt.namespaced ? `${base}/namespaces/{namespace}/${rt.plural}` : `${base}/${rt.plural}`
    const item = `${collection}/{name}`
    const kind = gvk(rt.group, rt.version, rt.kind)
    const self = identifier(rt.schema)
    const scopeParams = [
      ...(rt.namespaced ? [stringParam("namespace", "path", "The object's namespace.", target)] : [])
    ]
    const nameParam = stringParam("name", "path", `The name of the ${rt.kind}.`, target)
    const ops = (list: ReadonlyArray<Operation>) =>
      Object.fromEntries(list.map((op) => [methods[op.action], operation(op, ref, target)]))
    paths[collection] = {
      ...ops([
        { action: "list", operationId: `list${prefix}${scope}${rt.kind}`, kind, response: `${self}List` },
        { action: "post", operationId: `create${prefix}${scope}${rt.kind}`, kind, body: self, response: self },
        {
          action: "deletecollection",
          operationId: `deletecollection${prefix}${scope}${rt.kind}`,
          kind,
          response: `${meta}.Status`
        }
      ]),
      parameters: scopeParams
    }
    paths[item] = {
      ...ops([
        { action: "get", operationId: `read${prefix}${scope}${rt.kind}`, kind, response: self },
        { action: "put", operationId: `replace${prefix}${scope}${rt.kind}`, kind, body: self, response: self },
        {
          action: "patch",
          operationId: `patch${prefix}${scope}${rt.kind}`,
          kind,
          body: `${meta}.Patch`,
          response: self
        },
        {
          action: "delete",
          operationId: `delete${prefix}${scope}${rt.kind}`,
          kind,
          body: `${meta}.DeleteOptions`,
          response: self
        }
      ]),
      parameters: [nameParam, ...scopeParams]
    }
    if (rt.namespaced) {
      paths[`${base}/${rt.plural}`] = {
        ...ops([
          { action: "list", operationId: `list${prefix}${rt.kind}ForAllNamespaces`, kind, response: `${self}List` }
        ])
      }
    }
    const subresource = (
      name: string,
      subKind: ReturnType<typeof gvk>,
      schema: string,
      actions: ReadonlyArray<"get" | "put" | "patch" | "post">
    ) => {
      const verbs = { get: "read", put: "replace", patch: "patch", post: "create" } as const
      paths[`${item}/${name}`] = {
        ...ops(
          actions.map((action) => ({
            action,
            operationId: `${verbs[action]}${prefix}${scope}${rt.kind}${pascal(name)}`,
            kind: subKind,
            ...(action === "get" ? {} : { body: action === "patch" ? `${meta}.Patch` : schema }),
            response: schema
          }))
        ),
        parameters: [nameParam, ...scopeParams]
      }
    }
    if (rt.statusSubresource) subresource("status", kind, self, ["get", "put", "patch"])
    if (rt.scale !== undefined)
      subresource("scale", gvk("autoscaling", "v1", "Scale"), identifier(Scale), ["get", "put", "patch"])
    if (rt.kind === "Pod") subresource("binding", gvk("", "v1", "Binding"), identifier(Binding), ["post"])
  }
  return paths
}

// ---------------------------------------------------------------------------------------------
// Documents

const groupVersions = (): ReadonlyArray<string> => [...new Set(resources.map(groupVersionPath))]

const v3Documents = new Map<string, Json>()

/** The OpenAPI 3.0 document of one group version (`api/v1`, `apis/apps/v1`), or undefined. */
export const openApiV3 = (path: string): object | undefined => {
  const key = path.replace(/^\/+|\/+$/g, "")
  const cached = v3Documents.get(key)
  if (cached !== undefined) return cached
  const types = resources.filter((r) => groupVersionPath(r) === key)
  if (types.length === 0) return undefined
  const doc = {
    openapi: "3.0.0",
    info: { title: "Kubernetes", version: "unversioned" },
    paths: pathsFor(types, "v3"),
    components: {
      schemas: definitionsFor(types, "v3"),
      securitySchemes: {
        BearerToken: { type: "apiKey", name: "authorization", in: "header", description: "Bearer token." }
      }
    },
    security: [{ BearerToken: [] }]
  }
  v3Documents.set(key, doc)
  return doc
}

let v3Index: Json | undefined

/** `/openapi/v3`: each group version's document and a hash that changes with it (for caching). */
export const openApiV3Index = (): object => {
  if (v3Index === undefined) {
    const paths: Json = {}
    for (const gv of groupVersions()) {
      const hash = createHash("sha512")
        .update(JSON.stringify(openApiV3(gv)))
        .digest("hex")
        .toUpperCase()
      paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${hash}` }
    }
    v3Index = { paths }
  }
  return v3Index
}

let v2Document: Json | undefined

/** `/openapi/v2`: one Swagger 2.0 document for every group version. */
export const openApiV2 = (): object => {
  v2Document ??= {
    swagger: "2.0",
    info: { title: "Kubernetes", version: "unversioned" },
    paths: pathsFor(resources, "v2"),
    definitions: definitionsFor(resources, "v2"),
    securityDefinitions: {
      BearerToken: { type: "apiKey", name: "authorization", in: "header", description: "Bearer token." }
    },
    security: [{ BearerToken: [] }]
  }
  return v2Document
}
