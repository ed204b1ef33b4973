import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as fc from "fast-check"
import { harness, pod, send } from "./Harness.js"
import { jsonPatch, mergePatch, strategicMergePatch } from "./patch.js"
import { maxJsonPatchOperations } from "./Patcher.js"
import { deepFreeze } from "../store/MemoryStore.js"

/** Inputs are frozen as the store freezes its objects: any write to them throws in strict mode. */
const json = (text: string): unknown => deepFreeze(JSON.parse(text))

const right = (result: Either.Either<unknown, string>): unknown => {
  if (Either.isLeft(result)) throw new Error(`expected success, got: ${result.left}`)
  return result.right
}

const left = (result: Either.Either<unknown, string>): string => {
  if (Either.isRight(result)) throw new Error(`expected failure, got: ${JSON.stringify(result.right)}`)
  return result.left
}

const hasDirective = (value: unknown): boolean =>
  typeof value === "object" && value !== null
    ? Object.entries(value).some(([key, child]) => key.startsWith("$") || hasDirective(child))
    : false

describe("mergePatch (RFC 7386)", () => {
  it("applies the example of section 3", () => {
    const target = json(`{
      "title": "Goodbye!",
      "author": { "givenName": "John", "familyName": "Doe" },
      "tags": ["example", "sample"],
      "content": "This will be unchanged"
    }`)
    const patch = json(`{
      "title": "Hello!",
      "phoneNumber": "+01-123-456-7890",
      "author": { "familyName": null },
      "tags": ["example"]
    }`)
    expect(mergePatch(target, patch)).toStrictEqual({
      title: "Hello!",
      author: { givenName: "John" },
      tags: ["example"],
      content: "This will be unchanged",
      phoneNumber: "+01-123-456-7890"
    })
  })

  // Appendix A, one row per example: original, patch, result.
  const appendixA: ReadonlyArray<readonly [string, string, string]> = [
    [`{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`],
    [`{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`],
    [`{"a":"b"}`, `{"a":null}`, `{}`],
    [`{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`],
    [`{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`],
    [`{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`],
    [`{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`],
    [`{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`],
    [`["a","b"]`, `["c","d"]`, `["c","d"]`],
    [`{"a":"b"}`, `["c"]`, `["c"]`],
    [`{"a":"foo"}`, `null`, `null`],
    [`{"a":"foo"}`, `"bar"`, `"bar"`],
    [`{"e":null}`, `{"a":1}`, `{"e":null,"a":1}`],
    [`[1,2]`, `{"a":"b","c":null}`, `{"a":"b"}`],
    [`{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`]
  ]
  it.each(appendixA)("%s + %s = %s", (original, patch, result) => {
    expect(mergePatch(json(original), json(patch))).toStrictEqual(JSON.parse(result))
  })

  it("keeps a key named __proto__ a plain property", () => {
    const result = mergePatch(json(`{}`), json(`{"__proto__":{"polluted":true}}`)) as Record<string, unknown>
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype)
    expect(Object.keys(result)).toStrictEqual(["__proto__"])
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined()
  })
})

describe("jsonPatch (RFC 6902)", () => {
  // Appendix A, one row per example that succeeds: document, operations, result.
  const appendixA: ReadonlyArray<readonly [string, string, string, string]> = [
    [
      "A.1 adding an object member",
      `{"foo":"bar"}`,
      `[{"op":"add","path":"/baz","value":"qux"}]`,
      `{"baz":"qux","foo":"bar"}`
    ],
    [
      "A.2 adding an array element",
      `{"foo":["bar","baz"]}`,
      `[{"op":"add","path":"/foo/1","value":"qux"}]`,
      `{"foo":["bar","qux","baz"]}`
    ],
    ["A.3 removing an object member", `{"baz":"qux","foo":"bar"}`, `[{"op":"remove","path":"/baz"}]`, `{"foo":"bar"}`],
    [
      "A.4 removing an array element",
      `{"foo":["bar","qux","baz"]}`,
      `[{"op":"remove","path":"/foo/1"}]`,
      `{"foo":["bar","baz"]}`
    ],
    [
      "A.5 replacing a value",
      `{"baz":"qux","foo":"bar"}`,
      `[{"op":"replace","path":"/baz","value":"boo"}]`,
      `{"baz":"boo","foo":"bar"}`
    ],
    [
      "A.6 moving a value",
      `{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}`,
      `[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]`,
      `{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}`
    ],
    [
      "A.7 moving an array element",
      `{"foo":["all","grass","cows","eat"]}`,
      `[{"op":"move","from":"/foo/1","path":"/foo/3"}]`,
      `{"foo":["all","cows","eat","grass"]}`
    ],
    [
      "A.8 testing a value: success",
      `{"baz":"qux","foo":["a",2,"c"]}`,
      `[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]`,
      `{"baz":"qux","foo":["a",2,"c"]}`
    ],
    [
      "A.10 adding a nested member object",
      `{"foo":"bar"}`,
      `[{"op":"add","path":"/child","value":{"grandchild":{}}}]`,
      `{"foo":"bar","child":{"grandchild":{}}}`
    ],
    [
      "A.11 ignoring unrecognized elements",
      `{"foo":"bar"}`,
      `[{"op":"add","path":"/baz","value":"qux","xyz":123}]`,
      `{"foo":"bar","baz":"qux"}`
    ],
    ["A.14 ~ escape ordering", `{"/":9,"~1":10}`, `[{"op":"test","path":"/~01","value":10}]`, `{"/":9,"~1":10}`],
    [
      "A.16 adding an array value",
      `{"foo":["bar"]}`,
      `[{"op":"add","path":"/foo/-","value":["abc","def"]}]`,
      `{"foo":["bar",["abc","def"]]}`
    ],
    ["copying a value", `{"a":{"b":1}}`, `[{"op":"copy","from":"/a","path":"/c"}]`, `{"a":{"b":1},"c":{"b":1}}`],
    ["replacing the whole document", `{"a":1}`, `[{"op":"replace","path":"","value":[1]}]`, `[1]`],
    ["a key with a slash", `{"a/b":1}`, `[{"op":"replace","path":"/a~1b","value":2}]`, `{"a/b":2}`],
    [
      "operations in sequence",
      `{"items":[]}`,
      `[{"op":"add","path":"/items/-","value":1},{"op":"add","path":"/items/0","value":0},{"op":"test","path":"/items","value":[0,1]}]`,
      `{"items":[0,1]}`
    ]
  ]
  it.each(appendixA)("%s", (_, document, operations, result) => {
    expect(right(jsonPatch(json(document), json(operations)))).toStrictEqual(JSON.parse(result))
  })

  // Appendix A's failures and malformed operations: document, operations, part of the message.
  const failures: ReadonlyArray<readonly [string, string, string, string]> = [
    ["A.9 testing a value: error", `{"baz":"qux"}`, `[{"op":"test","path":"/baz","value":"bar"}]`, "test failed"],
    [
      "A.12 adding to a nonexistent target",
      `{"foo":"bar"}`,
      `[{"op":"add","path":"/baz/bat","value":"qux"}]`,
      "does not exist"
    ],
    [
      "A.15 comparing strings and numbers",
      `{"/":9,"~1":10}`,
      `[{"op":"test","path":"/~01","value":"10"}]`,
      "test failed"
    ],
    ["operations that are not an array", `{}`, `{"op":"add"}`, "must be an array"],
    ["an operation that is not an object", `{}`, `[1]`, "operations[0] must be an object"],
    ["an unknown op", `{}`, `[{"op":"merge","path":"/a"}]`, "expected one of add"],
    ["a missing path", `{}`, `[{"op":"add","value":1}]`, `needs a string "path"`],
    ["a missing value", `{}`, `[{"op":"add","path":"/a"}]`, `needs a "value"`],
    ["a missing from", `{}`, `[{"op":"copy","path":"/a"}]`, `needs a string "from"`],
    ["a pointer without a leading slash", `{}`, `[{"op":"add","path":"a","value":1}]`, "is not a JSON pointer"],
    ["a bad escape", `{}`, `[{"op":"add","path":"/a~2","value":1}]`, `"~" not followed by 0 or 1`],
    ["an index with a leading zero", `{"a":[1,2]}`, `[{"op":"remove","path":"/a/01"}]`, "is not an array index"],
    ["an index out of bounds", `{"a":[1]}`, `[{"op":"add","path":"/a/2","value":0}]`, "out of bounds"],
    ["removing a missing member", `{"a":1}`, `[{"op":"remove","path":"/b"}]`, "does not exist"],
    ["replacing a missing member", `{"a":1}`, `[{"op":"replace","path":"/b","value":1}]`, "does not exist"],
    ["removing the document", `{"a":1}`, `[{"op":"remove","path":""}]`, "cannot remove the whole document"],
    [
      "moving into a child",
      `{"a":{"b":{}}}`,
      `[{"op":"move","from":"/a","path":"/a/b/c"}]`,
      "into one of its own children"
    ],
    ["moving a missing value", `{"a":1}`, `[{"op":"move","from":"/x","path":"/y"}]`, `from "/x" does not exist`],
    [
      "the second operation failing",
      `{"a":1}`,
      `[{"op":"remove","path":"/a"},{"op":"remove","path":"/a"}]`,
      "operations[1]"
    ]
  ]
  it.each(failures)("fails on %s", (_, document, operations, message) => {
    expect(left(jsonPatch(json(document), json(operations)))).toContain(message)
  })
})

/** The Deployment of "Update API Objects in Place Using kubectl patch". */
const deployment = json(`{
  "apiVersion": "apps/v1",
  "kind": "Deployment",
  "metadata": { "name": "patch-demo", "finalizers": ["a", "b", "c"] },
  "spec": {
    "replicas": 2,
    "selector": { "matchLabels": { "app": "nginx" } },
    "strategy": { "type": "RollingUpdate", "rollingUpdate": { "maxSurge": "30%" } },
    "template": {
      "metadata": { "labels": { "app": "nginx" } },
      "spec": {
        "containers": [{ "name": "patch-demo-ctr", "image": "nginx" }],
        "tolerations": [{ "effect": "NoSchedule", "key": "dedicated", "value": "test-team" }]
      }
    }
  }
}`) as { spec: { template: { spec: object } } }

const podSpec = (patch: object) => ({ spec: { template: { spec: patch } } })

describe("jsonPatch on one working copy", () => {
  it("copies a container once and keeps a copied value apart from its source", () => {
    const doc = json(`{"a":{"x":1},"list":[{"n":0}]}`)
    const operations = json(`[
      {"op":"add","path":"/a/y","value":2},
      {"op":"copy","from":"/a","path":"/b"},
      {"op":"add","path":"/a/z","value":3},
      {"op":"remove","path":"/b/x"},
      {"op":"move","from":"/list/0","path":"/c"},
      {"op":"add","path":"/c/m","value":1},
      {"op":"copy","from":"/c","path":"/list/-"},
      {"op":"replace","path":"/list/0/n","value":9}
    ]`)
    expect(right(jsonPatch(doc, operations))).toStrictEqual({
      a: { x: 1, y: 2, z: 3 },
      b: { y: 2 },
      c: { n: 0, m: 1 },
      list: [{ n: 9, m: 1 }]
    })
    expect(doc).toStrictEqual({ a: { x: 1 }, list: [{ n: 0 }] })
  })

  it("never changes the patch's own values", () => {
    const operations = json(`[{"op":"add","path":"/a","value":{"b":[1]}},{"op":"add","path":"/a/b/-","value":2}]`)
    expect(right(jsonPatch(json(`{}`), operations))).toStrictEqual({ a: { b: [1, 2] } })
  })

  // Each operation used to copy every container on its path: 8,000 of them took 15 s.
  it(`applies ${maxJsonPatchOperations} operations into one object and one list`, () => {
    const annotations = Array.from({ length: maxJsonPatchOperations / 2 }, (_, i) => ({
      op: "add",
      path: `/metadata/annotations/k${i}`,
      value: "v"
    }))
    const finalizers = Array.from({ length: maxJsonPatchOperations / 2 }, (_, i) => ({
      op: "add",
      path: "/metadata/finalizers/-",
      value: `example.com/f${i}`
    }))
    const result = right(
      jsonPatch(json(`{"metadata":{"annotations":{},"finalizers":[]}}`), deepFreeze([...annotations, ...finalizers]))
    ) as { metadata: { annotations: Record<string, string>; finalizers: Array<string> } }
    expect(Object.keys(result.metadata.annotations)).toHaveLength(maxJsonPatchOperations / 2)
    expect(result.metadata.annotations["k4999"]).toBe("v")
    expect(result.metadata.finalizers).toHaveLength(maxJsonPatchOperations / 2)
    expect(result.metadata.finalizers[4999]).toBe("example.com/f4999")
  })

  const pods = "/api/v1/namespaces/default/pods"
  const addAnnotations = (n: number) => [
    { op: "add", path: "/metadata/annotations", value: {} },
    ...Array.from({ length: n - 1 }, (_, i) => ({ op: "add", path: `/metadata/annotations/k${i}`, value: "v" }))
  ]

  it.effect(`PATCH answers 413 for more than ${maxJsonPatchOperations} operations, as Kubernetes does`, () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* send(h, "POST", pods, { json: pod("a") })
      const headers = { "content-type": "application/json-patch+json" }
      const tooMany = yield* send(h, "PATCH", `${pods}/a`, {
        json: addAnnotations(maxJsonPatchOperations + 1),
        headers
      })
      expect(tooMany.status).toBe(413)
      expect(tooMany.body.reason).toBe("RequestEntityTooLarge")
      expect(tooMany.body.message).toBe(
        "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001"
      )
      const most = yield* send(h, "PATCH", `${pods}/a`, { json: addAnnotations(maxJsonPatchOperations), headers })
      expect(most.status).toBe(200)
      expect(Object.keys(most.body.metadata.annotations)).toHaveLength(maxJsonPatchOperations - 1)
    })
  )
})

const smp = (patch: unknown, original: unknown = deployment, kind = "Deployment") =>
  right(strategicMergePatch(kind, original, deepFreeze(patch))) as any

describe("strategicMergePatch", () => {
  it("merges containers by name, the new one first as Kubernetes orders it", () => {
    const result = smp(podSpec({ containers: [{ name: "patch-demo-ctr-2", image: "redis" }] }))
    expect(result.spec.template.spec.containers).toStrictEqual([
      { name: "patch-demo-ctr-2", image: "redis" },
      { name: "patch-demo-ctr", image: "nginx" }
    ])
    expect(result.spec.replicas).toBe(2)
  })

  it("replaces tolerations, which have no patch strategy", () => {
    const result = smp(podSpec({ tolerations: [{ effect: "NoSchedule", key: "disktype", value: "ssd" }] }))
    expect(result.spec.template.spec.tolerations).toStrictEqual([
      { effect: "NoSchedule", key: "disktype", value: "ssd" }
    ])
    expect(result.spec.template.spec.containers).toStrictEqual([{ name: "patch-demo-ctr", image: "nginx" }])
  })

  it("differs from a JSON merge patch, which replaces the containers", () => {
    const patch = deepFreeze(
      podSpec({ containers: [{ name: "patch-demo-ctr-3", image: "gcr.io/google-samples/hello-app:2.0" }] })
    )
    const merged = mergePatch(deployment, patch) as any
    expect(merged.spec.template.spec.containers).toStrictEqual([
      { name: "patch-demo-ctr-3", image: "gcr.io/google-samples/hello-app:2.0" }
    ])
    expect(smp(patch).spec.template.spec.containers).toHaveLength(2)
  })

  it("merges a container's fields and its env by name", () => {
    const pod = json(`{"spec":{"containers":[
      {"name":"app","image":"v1","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]},
      {"name":"sidecar","image":"s"}]}}`)
    const result = smp(
      { spec: { containers: [{ name: "app", image: "v2", env: [{ name: "B", value: "3" }] }] } },
      pod,
      "Pod"
    )
    expect(result.spec.containers).toStrictEqual([
      {
        name: "app",
        image: "v2",
        env: [
          { name: "A", value: "1" },
          { name: "B", value: "3" }
        ]
      },
      { name: "sidecar", image: "s" }
    ])
  })

  it("merges pod conditions by type, keeping their order", () => {
    const pod = json(
      `{"status":{"conditions":[{"type":"Ready","status":"False"},{"type":"PodScheduled","status":"True"}]}}`
    )
    const result = smp({ status: { conditions: [{ type: "Ready", status: "True" }] } }, pod, "Pod")
    expect(result.status.conditions).toStrictEqual([
      { type: "Ready", status: "True" },
      { type: "PodScheduled", status: "True" }
    ])
  })

  it("merges finalizers as a set, a new value placed right after the patch's previous one", () => {
    expect(smp({ metadata: { finalizers: ["b", "d"] } }).metadata.finalizers).toStrictEqual(["a", "b", "d", "c"])
  })

  it("deletes a key given null and ignores null for a missing key", () => {
    const result = smp({ spec: { template: { metadata: { labels: { app: null, absent: null } } } } })
    expect(result.spec.template.metadata).toStrictEqual({ labels: {} })
  })

  it("replaces a node's taints and merges its conditions by type", () => {
    const node = json(`{"spec":{"taints":[{"key":"a","effect":"NoSchedule"}]},
      "status":{"conditions":[{"type":"Ready","status":"True"}],"addresses":[{"type":"Hostname","address":"n1"}]}}`)
    const result = smp(
      {
        spec: { taints: [{ key: "b", effect: "NoExecute" }] },
        status: { conditions: [{ type: "MemoryPressure", status: "False" }] }
      },
      node,
      "Node"
    )
    expect(result.spec.taints).toStrictEqual([{ key: "b", effect: "NoExecute" }])
    expect(result.status.conditions.map((c: { type: string }) => c.type)).toStrictEqual(["MemoryPressure", "Ready"])
  })

  it("replaces every list of a kind it does not know", () => {
    const result = smp(
      { spec: { containers: [{ name: "b" }] } },
      json(`{"spec":{"containers":[{"name":"a"}]}}`),
      "Widget"
    )
    expect(result.spec.containers).toStrictEqual([{ name: "b" }])
  })

  // Finding each item with a linear search made this quadratic: 16k finalizers took 15 s.
  describe("16,000 items", () => {
    const n = 16_000
    const finalizers = Array.from({ length: n }, (_, i) => `example.com/f${i}`)

    it("merges 16,000 finalizers into a pod's, a live one kept before the one it preceded", () => {
      const original = json(`{"metadata":{"name":"a","finalizers":["kept","example.com/f5"]}}`)
      const result = smp({ metadata: { finalizers } }, original, "Pod")
      expect(result.metadata.finalizers).toHaveLength(n + 1)
      expect(result.metadata.finalizers.slice(0, 7)).toStrictEqual([
        "example.com/f0",
        "example.com/f1",
        "example.com/f2",
        "example.com/f3",
        "example.com/f4",
        "kept",
        "example.com/f5"
      ])
      expect(result.metadata.finalizers[n]).toBe(`example.com/f${n - 1}`)
    })

    it("reorders 16,000 finalizers with $setElementOrder and deletes some", () => {
      const original = deepFreeze({ metadata: { finalizers } })
      const reversed = [...finalizers].reverse()
      const result = smp(
        {
          metadata: {
            "$setElementOrder/finalizers": reversed,
            "$deleteFromPrimitiveList/finalizers": finalizers.slice(0, n / 2)
          }
        },
        original,
        "Pod"
      )
      expect(result.metadata.finalizers).toStrictEqual(reversed.slice(0, n / 2))
    })

    it("merges 16,000 containers by name, in the patch's order", () => {
      const containers = deepFreeze(Array.from({ length: n }, (_, i) => ({ name: `c${i}`, image: "old" })))
      const patch = [...containers].reverse().map(({ name }) => ({ name, image: "new" }))
      const result = smp({ spec: { containers: patch } }, { spec: { containers } }, "Pod")
      expect(result.spec.containers).toStrictEqual(patch)
    })
  })

  describe("directives", () => {
    it("$retainKeys clears the fields it does not name", () => {
      const result = smp({ spec: { strategy: { $retainKeys: ["type"], type: "Recreate" } } })
      expect(result.spec.strategy).toStrictEqual({ type: "Recreate" })
      // Without it the rollingUpdate stays (and validation then refuses the Deployment).
      expect(smp({ spec: { strategy: { type: "Recreate" } } }).spec.strategy).toStrictEqual({
        type: "Recreate",
        rollingUpdate: { maxSurge: "30%" }
      })
    })

    it("$patch: replace in a list replaces the list", () => {
      const result = smp(podSpec({ containers: [{ name: "nginx", image: "nginx-1.0" }, { $patch: "replace" }] }))
      expect(result.spec.template.spec.containers).toStrictEqual([{ name: "nginx", image: "nginx-1.0" }])
    })

    it("$patch: replace in a map replaces the map", () => {
      const result = smp(podSpec({ $patch: "replace", containers: [{ name: "nginx", image: "nginx-1.0" }] }))
      expect(result.spec.template.spec).toStrictEqual({ containers: [{ name: "nginx", image: "nginx-1.0" }] })
    })

    it("$patch: delete removes the list item with that merge key", () => {
      const pod = json(`{"spec":{"containers":[{"name":"nginx"},{"name":"log-tailer"}]}}`)
      const result = smp({ spec: { containers: [{ name: "log-tailer", $patch: "delete" }] } }, pod, "Pod")
      expect(result.spec.containers).toStrictEqual([{ name: "nginx" }])
    })

    it("$patch: delete on a map deletes the map", () => {
      const result = smp({ spec: { strategy: { rollingUpdate: { $patch: "delete" } } } })
      expect(result.spec.strategy).toStrictEqual({ type: "RollingUpdate" })
    })

    it("$patch: merge merges as without it", () => {
      expect(
        smp({ spec: { strategy: { $patch: "merge", type: "Recreate" } } }).spec.strategy.rollingUpdate
      ).toBeDefined()
    })

    it("$deleteFromPrimitiveList removes values from a set", () => {
      expect(
        smp({ metadata: { "$deleteFromPrimitiveList/finalizers": ["b", "c"] } }).metadata.finalizers
      ).toStrictEqual(["a"])
    })

    it("$setElementOrder reorders a list of primitives", () => {
      expect(smp({ metadata: { "$setElementOrder/finalizers": ["b", "c", "a"] } }).metadata.finalizers).toStrictEqual([
        "b",
        "c",
        "a"
      ])
    })

    it("$setElementOrder orders a merged list of maps, as kubectl apply sends it", () => {
      const pod = json(`{"spec":{"containers":[{"name":"a","image":"1"},{"name":"b","image":"2"}]}}`)
      const result = smp(
        {
          spec: {
            "$setElementOrder/containers": [{ name: "b" }, { name: "c" }, { name: "a" }],
            containers: [{ name: "c", image: "3" }]
          }
        },
        pod,
        "Pod"
      )
      expect(result.spec.containers).toStrictEqual([
        { name: "b", image: "2" },
        { name: "c", image: "3" },
        { name: "a", image: "1" }
      ])
    })

    it("leaves no directive in the result, also in values new to the object", () => {
      const result = smp(
        podSpec({
          containers: [
            { name: "c", $patch: "delete" },
            { name: "new", env: [{ name: "X", $patch: "delete" }, { name: "Y" }] }
          ],
          volumes: [{ name: "v", $retainKeys: ["name", "emptyDir"], emptyDir: {} }],
          "$setElementOrder/initContainers": [{ name: "i" }],
          initContainers: [{ name: "i" }]
        })
      )
      expect(hasDirective(result)).toBe(false)
      expect(result.spec.template.spec.containers[0]).toStrictEqual({ name: "new", env: [{ name: "Y" }] })
    })
  })

  it("is a JSON merge patch where no list merges, and mutates nothing", () => {
    const jsonObject = fc.object({ values: [fc.string(), fc.integer(), fc.boolean()], maxDepth: 3 })
    fc.assert(
      fc.property(jsonObject, jsonObject, (a, b) => {
        const original = deepFreeze(structuredClone(a))
        const patch = deepFreeze(structuredClone(b))
        expect(right(strategicMergePatch("Event", original, patch))).toStrictEqual(mergePatch(original, patch))
        expect(original).toStrictEqual(a)
      }),
      { seed: 42, numRuns: 200 }
    )
  })

  it("keeps a key named __proto__ a plain property", () => {
    const result = smp(json(`{"metadata":{"__proto__":{"polluted":true}}}`)) as { metadata: object }
    expect(Object.getPrototypeOf(result.metadata)).toBe(Object.prototype)
    expect(Object.hasOwn(result.metadata, "__proto__")).toBe(true)
  })

  describe("failures", () => {
    const failures: ReadonlyArray<readonly [string, unknown, string]> = [
      ["a patch that is not an object", [1], "must be a JSON object"],
      ["a list item without its merge key", podSpec({ containers: [{ image: "x" }] }), `lacks its merge key "name"`],
      ["$patch: delete without the merge key", podSpec({ containers: [{ $patch: "delete" }] }), "needs the merge key"],
      ["an unknown $patch", { spec: { $patch: "remove" } }, `unknown "$patch: "remove""`],
      [
        "$retainKeys that is not a list of names",
        { spec: { strategy: { $retainKeys: "type" } } },
        "list of field names"
      ],
      ["a list mixing objects and strings", { metadata: { finalizers: [{ a: 1 }] } }, "mixes objects"],
      [
        "a patch list out of $setElementOrder's order",
        podSpec({
          "$setElementOrder/containers": [{ name: "a" }, { name: "b" }],
          containers: [{ name: "b" }, { name: "a" }]
        }),
        "does not match its $setElementOrder"
      ]
    ]
    it.each(failures)("fails on %s", (_, patch, message) => {
      expect(left(strategicMergePatch("Deployment", deployment, deepFreeze(patch)))).toContain(message)
    })
  })
})
