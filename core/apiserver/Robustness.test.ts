import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestContext from "effect/TestContext"
import fc from "fast-check"
import type { ApiRequest, Method } from "./ApiRequest.js"
import { deployment, type Harness, harness, pod, send } from "./Harness.js"

const encode = (s: string) => new TextEncoder().encode(s)

const validPod = JSON.stringify(pod("p1", { metadata: { labels: { app: "web" } } }))
const validDeployment = JSON.stringify(deployment("web"))

/** Objects with one field replaced by a value of another JSON type. */
const wrongTypes = fc
  .tuple(
    fc.constantFrom(
      ["spec", "replicas"],
      ["spec", "containers"],
      ["metadata", "name"],
      ["metadata", "labels"],
      ["spec"],
      ["metadata"],
      ["spec", "template", "spec", "containers"]
    ),
    fc.constantFrom(validPod, validDeployment),
    fc.oneof(
      fc.string(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.integer()),
      fc.dictionary(fc.string(), fc.string())
    )
  )
  .map(([path, base, value]) => {
    const obj = JSON.parse(base)
    let at = obj
    for (const key of path.slice(0, -1)) at = at[key] ?? (at[key] = {})
    at[path[path.length - 1]] = value
    return JSON.stringify(obj)
  })

const bodies: fc.Arbitrary<string | Uint8Array | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.uint8Array({ maxLength: 64 }),
  fc.constantFrom(validPod, validDeployment).chain((s) => fc.nat(s.length).map((n) => s.slice(0, n))),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  wrongTypes,
  fc.integer({ min: 900, max: 20_000 }).map((d) => "[".repeat(d) + "]".repeat(d)),
  fc.integer({ min: 900, max: 5_000 }).map((d) => '{"a":'.repeat(d) + "1" + "}".repeat(d)),
  fc.constant(JSON.stringify({ apiVersion: "foo.io/v1", kind: "Bar", metadata: { name: "x" } })),
  fc.constant(JSON.stringify(pod("x".repeat(5000)))),
  fc.constant(JSON.stringify({ ...JSON.parse(validPod), metadata: { name: "p1", namespace: "elsewhere" } })),
  fc.constant('[{"op":"remove","path":"/metadata"}]'),
  fc.constant('[{"op":"replace","path":"/spec/containers","value":7}]'),
  fc.constant('{"metadata":{"name":"renamed"}}'),
  fc.constant('{"spec":{"replicas":-5}}'),
  fc.constant("apiVersion: v1\nkind: Pod\nmetadata: [unclosed")
)

const contentTypes = fc.constantFrom(
  undefined,
  "application/json",
  "application/yaml",
  "application/merge-patch+json",
  "application/json-patch+json",
  "application/strategic-merge-patch+json",
  "application/apply-patch+yaml",
  "text/plain"
)

const segment = fc.oneof(
  fc.constantFrom("default", "p1", "web", "n1", "nope", "kube-system"),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
  fc.constantFrom("x".repeat(400), "%zz", "..", "", "a%2Fb")
)

const paths = fc.oneof(
  fc.constantFrom(
    "/",
    "/api",
    "/apis",
    "/api/v1",
    "/apis/apps",
    "/apis/apps/v1",
    "/version",
    "/readyz",
    "/openapi/v3",
    "/api/v1/pods"
  ),
  fc
    .tuple(
      fc.constantFrom("/api/v1", "/apis/apps/v1", "/apis/coordination.k8s.io/v1", "/apis/nope.io/v1", "/api/v1/watch"),
      fc.boolean(),
      segment,
      fc.constantFrom("pods", "deployments", "nodes", "namespaces", "leases", "foos", "events", "services"),
      fc.option(segment, { nil: undefined }),
      fc.option(fc.constantFrom("status", "scale", "binding", "finalize", "log", "bogus"), { nil: undefined })
    )
    .map(([prefix, namespaced, ns, plural, name, sub]) =>
      [
        prefix,
        ...(namespaced ? ["namespaces", ns] : []),
        plural,
        ...(name === undefined ? [] : [name]),
        ...(sub === undefined || name === undefined ? [] : [sub])
      ].join("/")
    )
)

const queries = fc.dictionary(
  fc.constantFrom(
    "labelSelector",
    "fieldSelector",
    "resourceVersion",
    "resourceVersionMatch",
    "limit",
    "continue",
    "fieldValidation",
    "dryRun",
    "propagationPolicy",
    "gracePeriodSeconds",
    "includeObject",
    "timeoutSeconds"
  ),
  fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom(
      "app=web",
      "a in (",
      "spec.nodeName=n1",
      "spec.bogus=1",
      "0",
      "1",
      "-3",
      "Exact",
      "All",
      "Strict",
      "Orphan",
      "=,="
    )
  ),
  { maxKeys: 3 }
)

/** Methods and paths that reach a handler, so bodies and queries get exercised. */
const targets = fc.constantFrom<readonly [Method, string]>(
  ["POST", "/api/v1/namespaces/default/pods"],
  ["PUT", "/api/v1/namespaces/default/pods/p1"],
  ["PATCH", "/api/v1/namespaces/default/pods/p1"],
  ["PUT", "/api/v1/namespaces/default/pods/p1/status"],
  ["PATCH", "/api/v1/namespaces/default/pods/p1/status"],
  ["POST", "/api/v1/namespaces/default/pods/p1/binding"],
  ["DELETE", "/api/v1/namespaces/default/pods/p1"],
  ["DELETE", "/api/v1/namespaces/default/pods"],
  ["GET", "/api/v1/namespaces/default/pods"],
  ["GET", "/api/v1/pods"],
  ["POST", "/apis/apps/v1/namespaces/default/deployments"],
  ["PUT", "/apis/apps/v1/namespaces/default/deployments/web"],
  ["PATCH", "/apis/apps/v1/namespaces/default/deployments/web"],
  ["PUT", "/apis/apps/v1/namespaces/default/deployments/web/scale"],
  ["PATCH", "/apis/apps/v1/namespaces/default/deployments/web/scale"],
  ["DELETE", "/apis/apps/v1/namespaces/default/deployments/web"],
  ["POST", "/api/v1/nodes"],
  ["PATCH", "/api/v1/nodes/n1/status"],
  ["POST", "/api/v1/namespaces"],
  ["PUT", "/api/v1/namespaces/default/finalize"]
)

const anywhere = fc.tuple(fc.constantFrom<Method>("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"), paths)

const requests: fc.Arbitrary<ApiRequest> = fc
  .record({
    target: fc.oneof({ arbitrary: targets, weight: 4 }, { arbitrary: anywhere, weight: 1 }),
    query: queries,
    contentType: contentTypes,
    accept: fc.constantFrom(undefined, "application/json", "application/json;as=Table;v=v1;g=meta.k8s.io", "text/html"),
    body: bodies
  })
  .map(({ target: [method, path], query, contentType, accept, body }) => ({
    method,
    path,
    query: new URLSearchParams(query),
    headers: {
      ...(contentType === undefined ? {} : { "content-type": contentType }),
      ...(accept === undefined ? {} : { accept })
    },
    ...(body === undefined
      ? {}
      : { body: { _tag: "Raw" as const, bytes: typeof body === "string" ? encode(body) : body } })
  }))

const snapshot = (h: Harness) =>
  Effect.map(h.store.list("/"), (result) => JSON.stringify([result.revision, result.entries]))

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(Effect.provide(effect, TestContext.TestContext))

describe("robustness", () => {
  it("hostile requests to any route never get a 5xx and never leave a partial write", async () => {
    const h = await run(
      Effect.gen(function* () {
        const h = yield* harness()
        yield* send(h, "POST", "/api/v1/namespaces/default/pods", { text: validPod })
        yield* send(h, "POST", "/apis/apps/v1/namespaces/default/deployments", { text: validDeployment })
        yield* send(h, "POST", "/api/v1/nodes", { json: { apiVersion: "v1", kind: "Node", metadata: { name: "n1" } } })
        return h
      })
    )
    await fc.assert(
      fc.asyncProperty(requests, async (request) => {
        const [before, response, after] = await run(Effect.all([snapshot(h), h.handle(request), snapshot(h)]))
        if (response._tag === "Watch") return
        const status = response.status
        // Kubernetes answers a resourceVersion beyond the store's with 504 Timeout; every other answer is below 500.
        const tooLarge =
          response._tag === "Json" &&
          (response.body as { message?: string }).message?.startsWith("Too large resource version")
        expect(
          status < 500 || tooLarge,
          `${request.method} ${request.path} → ${status} ${JSON.stringify(response.body)}`
        ).toBe(true)
        if (status >= 400) expect(after).toBe(before)
      }),
      { seed: 42, numRuns: 400 }
    )
  })
})
