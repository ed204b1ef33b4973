import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import * as V from "./validation.js"

const lines = (errors: ReadonlyArray<{ field: string; message: string }>) =>
  errors.map((e) => `${e.field}: ${e.message}`)

describe("validation", () => {
  it("words field errors as Kubernetes does", () => {
    expect(lines([V.invalid("spec.replicas", -1, "must be greater than or equal to 0")])).toEqual([
      "spec.replicas: Invalid value: -1: must be greater than or equal to 0"
    ])
    expect(lines([V.required("spec.containers[0].image")])).toEqual(["spec.containers[0].image: Required value"])
    expect(lines([V.notSupported("spec.restartPolicy", "Sometimes", ["Always", "OnFailure", "Never"])])).toEqual([
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'
    ])
    expect(lines([V.duplicate("spec.containers[1].name", "web")])).toEqual([
      'spec.containers[1].name: Duplicate value: "web"'
    ])
    expect(V.show(new V.StringMapValue({ b: "2", a: "1" }))).toBe('map[string]string{"a":"1", "b":"2"}')
    expect(V.show(new V.StringMapValue(undefined))).toBe("map[string]string(nil)")
    expect(V.show({ key: "k" })).toBe('{"key":"k"}')
  })

  it("checks names", () => {
    expect(V.dns1123Subdomain("my-app.example")).toEqual([])
    expect(V.dns1123Subdomain("My_App")).toEqual([
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    ])
    expect(V.dns1123Label("a.b")).toHaveLength(1)
    expect(V.dns1123Label("x".repeat(64))).toContain("must be no more than 63 characters")
    expect(V.dns1035Label("1abc")).toHaveLength(1)
    expect(V.dns1035Label("abc-1")).toEqual([])
    expect(V.nameIsDNSSubdomain("web-", true)).toEqual([])
    expect(V.nameIsDNSSubdomain("web-", false)).toHaveLength(1)
  })

  it("checks label keys and values", () => {
    expect(V.qualifiedName("app")).toEqual([])
    expect(V.qualifiedName("example.com/tier")).toEqual([])
    expect(V.qualifiedName("/tier")).toEqual(["prefix part must be non-empty"])
    expect(V.qualifiedName("")).toEqual([
      "name part must be non-empty",
      expect.stringMatching(/^name part must consist of alphanumeric characters/)
    ])
    expect(V.qualifiedName("a/b/c")).toHaveLength(1)
    expect(V.qualifiedName("-x")[0]).toMatch(/^name part must consist of alphanumeric characters/)
    expect(V.labelValue("")).toEqual([])
    expect(V.labelValue("v_1.2-x")).toEqual([])
    expect(V.labelValue("-x")).toHaveLength(1)
    expect(lines(V.labels("metadata.labels", { "bad key": "ok", ok: "bad value" }))).toEqual([
      expect.stringMatching(/^metadata\.labels: Invalid value: "bad key": name part must consist/),
      expect.stringMatching(/^metadata\.labels: Invalid value: "bad value": a valid label must be an empty string/)
    ])
  })

  it("limits annotations to 256 KiB", () => {
    expect(lines(V.annotations("metadata.annotations", { big: "x".repeat(262_144) }))).toEqual([
      "metadata.annotations: Too long: may not be more than 262144 bytes"
    ])
  })

  it("validates object metadata on create", () => {
    expect(lines(V.objectMeta({}, true, V.nameIsDNSSubdomain))).toEqual([
      "metadata.name: Required value: name or generateName is required",
      "metadata.namespace: Required value"
    ])
    expect(lines(V.objectMeta({ name: "n", namespace: "default" }, false, V.nameIsDNSSubdomain))).toEqual([
      "metadata.namespace: Forbidden: not allowed on this type"
    ])
    expect(
      lines(
        V.objectMeta(
          {
            name: "n",
            finalizers: ["custom"],
            ownerReferences: [
              { apiVersion: "apps/v1", kind: "ReplicaSet", name: "a", uid: "1", controller: true },
              { apiVersion: "apps/v1", kind: "ReplicaSet", name: "b", uid: "2", controller: true }
            ]
          },
          false,
          V.nameIsDNSSubdomain
        )
      )
    ).toEqual([
      expect.stringContaining(
        'Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/a and ReplicaSet/b'
      ),
      'metadata.finalizers[0]: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified'
    ])
  })

  it("keeps identity immutable on update and refuses new finalizers while deleting", () => {
    const old = { name: "a", namespace: "ns", uid: "u1", creationTimestamp: "2024-01-01T00:00:00Z" }
    expect(V.objectMetaUpdate({ ...old, labels: { x: "y" } }, old)).toEqual([])
    expect(lines(V.objectMetaUpdate({ ...old, name: "b", uid: "u2" }, old))).toEqual([
      'metadata.name: Invalid value: "b": field is immutable',
      'metadata.uid: Invalid value: "u2": field is immutable'
    ])
    const deleting = { ...old, deletionTimestamp: "2024-01-02T00:00:00Z", finalizers: ["a.io/x"] }
    expect(lines(V.objectMetaUpdate({ ...deleting, finalizers: ["a.io/x", "a.io/y"] }, deleting))).toEqual([
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"a.io/y"}'
    ])
  })

  it("checks ports, port names and IPs", () => {
    expect(V.portNumber(80)).toEqual([])
    expect(V.portNumber(0)).toEqual(["must be between 1 and 65535, inclusive"])
    expect(V.portName("http")).toEqual([])
    expect(V.portName("8080")).toEqual(["must contain at least one letter (a-z)"])
    expect(V.isIP("10.0.0.1")).toBe(true)
    expect(V.isIP("10.0.0.256")).toBe(false)
    expect(V.isIP("fd00::1")).toBe(true)
    expect(V.isIP("web")).toBe(false)
  })
})

describe("canonical", () => {
  // The definition it must keep: JSON.stringify of a copy whose objects have their keys sorted.
  const reference = (value: unknown): string =>
    JSON.stringify(value, (_key, v: unknown) =>
      v !== null && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : v
    )

  it("writes what JSON.stringify writes of a key-sorted copy, for any JSON-like value", () => {
    const key = fc.oneof(fc.string(), fc.constantFrom("0", "7", "10", "01", "-1", "4294967295", "a", "B"))
    const leaf = fc.oneof(
      fc.string(),
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.constant(-0)
    )
    const value = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: "small" }, leaf, tie("array"), tie("object")),
      array: fc.array(tie("value"), { maxLength: 4 }),
      object: fc.dictionary(key, tie("value"), { maxKeys: 5 })
    })).value
    fc.assert(
      fc.property(value, (v) => {
        expect(V.canonical(v)).toBe(reference(v))
      }),
      { seed: 42, numRuns: 2000 }
    )
  })
})

describe("utf8Length", () => {
  it("counts the bytes TextEncoder writes, lone surrogates and pairs included", () => {
    const utf8 = new TextEncoder()
    const text = fc
      .array(fc.oneof(fc.integer({ min: 0, max: 0x7ff }), fc.integer({ min: 0, max: 0xffff })), { maxLength: 40 })
      .map((codes) => String.fromCharCode(...codes))
    fc.assert(
      fc.property(fc.oneof(text, fc.string({ unit: "binary" })), (s) => {
        expect(V.utf8Length(s)).toBe(utf8.encode(s).length)
      }),
      { seed: 42, numRuns: 1000 }
    )
  })
})
