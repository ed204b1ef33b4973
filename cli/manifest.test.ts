import { describe, expect, it } from "vitest"
import * as Either from "effect/Either"
import { parseManifests } from "./manifest.js"

const text = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: web
          image: nginx
---
apiVersion: v1
kind: Pod
metadata: {name: p}
`

describe("parseManifests", () => {
  it("reads every document and finds the line of a field", () => {
    const docs = Either.getOrThrow(parseManifests("web.yaml", text))
    expect(docs.map((d) => d.object["kind"])).toEqual(["Deployment", "Pod"])
    expect(docs[0]!.lineOf("spec.replicas")).toBe(6)
    expect(docs[0]!.lineOf("spec.template.spec.containers[0].image")).toBe(11)
    // a missing field points at its nearest parent present
    expect(docs[0]!.lineOf("spec.selector")).toBe(5)
    expect(docs[1]!.lineOf("metadata.name")).toBe(15)
  })

  it("names the file and line of a YAML syntax error", () => {
    const result = parseManifests("bad.yaml", "kind: Pod\nmetadata:\n  name: [unclosed\n")
    expect(Either.isLeft(result)).toBe(true)
    const error = Either.getLeft(result).pipe((o) => (o._tag === "Some" ? o.value : undefined))!
    expect(error.message).toMatch(/^bad\.yaml:\d+: invalid YAML: /)
  })

  it("rejects a document that is not a mapping", () => {
    const result = parseManifests("list.yaml", "- a\n- b\n")
    expect(Either.isLeft(result)).toBe(true)
  })

  it("rejects duplicate keys", () => {
    const result = parseManifests("dup.yaml", "kind: Pod\nkind: Service\n")
    expect(Either.isLeft(result)).toBe(true)
  })
})
