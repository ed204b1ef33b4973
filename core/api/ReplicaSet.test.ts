import { describe, expect, it } from "@effect/vitest"
import type { ReplicaSet } from "./ReplicaSet.js"
import { ReplicaSets } from "./ReplicaSet.js"

const lines = (errors: ReadonlyArray<{ field: string; message: string }>) =>
  errors.map((e) => `${e.field}: ${e.message}`)

const rs = (replicas?: number): ReplicaSet => ({
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: { name: "web-abc", namespace: "default", creationTimestamp: "2024-01-01T00:00:00Z" },
  spec: {
    ...(replicas === undefined ? {} : { replicas }),
    selector: { matchExpressions: [{ key: "app", operator: "In", values: ["web"] }] },
    template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx:1.25" }] } }
  }
})

describe("ReplicaSet", () => {
  it("defaults one replica and the template", () => {
    const r = ReplicaSets.defaults(rs())
    expect(r.spec?.replicas).toBe(1)
    expect(r.spec?.template?.spec?.restartPolicy).toBe("Always")
    expect(ReplicaSets.defaults(rs(0)).spec?.replicas).toBe(0)
  })

  it("validates replicas and the selector, which is immutable", () => {
    const r = ReplicaSets.defaults(rs(-2))
    expect(lines(ReplicaSets.validate(r, undefined))).toEqual([
      "spec.replicas: Invalid value: -2: must be greater than or equal to 0"
    ])
    const ok = ReplicaSets.defaults(rs(2))
    expect(ReplicaSets.validate(ok, undefined)).toEqual([])
    const changed = { ...ok, spec: { ...ok.spec, selector: { matchLabels: { app: "web" } } } }
    expect(lines(ReplicaSets.validate(changed, ok))).toEqual([
      'spec.selector: Invalid value: {"matchLabels":{"app":"web"}}: field is immutable'
    ])
  })

  it("requires a selector and a template with containers", () => {
    const { spec: _, ...specless } = rs()
    const r = ReplicaSets.defaults(specless)
    expect(lines(ReplicaSets.validate(r, undefined))).toEqual([
      "spec.selector: Required value",
      "spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`",
      "spec.template.spec.containers: Required value"
    ])
    expect(ReplicaSets.scale!.selector(r)).toBe("")
    expect(ReplicaSets.columns.map((c) => c.cell(r, "2024-01-01T00:00:45Z"))).toEqual([
      "web-abc",
      1,
      0,
      0,
      "45s",
      "",
      "",
      "<none>"
    ])
  })

  it("prints DESIRED CURRENT READY AGE", () => {
    const r = { ...ReplicaSets.defaults(rs(3)), status: { replicas: 3, readyReplicas: 1 } }
    const row = ReplicaSets.columns.filter((c) => c.priority === 0).map((c) => c.cell(r, "2024-01-01T00:00:45Z"))
    expect(row).toEqual(["web-abc", 3, 3, 1, "45s"])
    expect(ReplicaSets.scale!.selector(r)).toBe("app in (web)")
  })
})
