import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import { decode } from "./decode.js"
import { Deployments } from "./Deployment.js"
import { Pods } from "./Pod.js"
import { Scale } from "./Scale.js"

const deployment = (spec: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "default" },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" }, creationTimestamp: null },
      spec: { containers: [{ name: "web", image: "nginx:1.25", resources: {} }] }
    },
    ...spec
  },
  ...extra
})

const message = <A>(result: Either.Either<A, { message: string }>) => (Either.isLeft(result) ? result.left.message : "")

describe("decode", () => {
  it("decodes a well-formed manifest as written (nulls are 'not given')", () => {
    const result = Either.getOrThrow(decode(Deployments, deployment(), "Strict"))
    expect(result.warnings).toEqual([])
    expect(result.object.spec?.replicas).toBe(2)
    expect(result.object.spec?.template?.metadata).toEqual({ labels: { app: "web" } })
  })

  it("fills in a missing apiVersion, kind and metadata", () => {
    const result = Either.getOrThrow(
      decode(Pods, { spec: { containers: [{ name: "c", image: "busybox" }] } }, "Strict")
    )
    expect(result.object).toMatchObject({ apiVersion: "v1", kind: "Pod", metadata: {} })
  })

  it("names the field and the expected type on a wrong JSON type", () => {
    const result = decode(Deployments, deployment({ replicas: "3" }), "Strict")
    expect(Either.isLeft(result) && result.left._tag).toBe("BadRequest")
    expect(message(result)).toBe(
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into field spec.replicas of type int32'
    )
    expect(message(decode(Deployments, deployment({ replicas: 1.5 }), "Strict"))).toContain(
      "cannot unmarshal number 1.5 into field spec.replicas of type int32"
    )
    const container = { name: "web", image: 7, ports: [{ containerPort: "http" }] }
    const deep = decode(
      Deployments,
      deployment({ template: { metadata: { labels: { app: "web" } }, spec: { containers: [container] } } }),
      "Strict"
    )
    expect(message(deep)).toContain(
      "cannot unmarshal number 7 into field spec.template.spec.containers[0].image of type string"
    )
    expect(message(deep)).toContain(
      "cannot unmarshal string into field spec.template.spec.containers[0].ports[0].containerPort of type int32"
    )
  })

  it("explains bad quantities and int-or-strings", () => {
    const resources = { limits: { cpu: "lots" } }
    const containers = [{ name: "web", image: "nginx", resources }]
    const bad = decode(
      Deployments,
      deployment({
        template: { metadata: { labels: { app: "web" } }, spec: { containers } },
        strategy: { rollingUpdate: { maxSurge: true } }
      }),
      "Strict"
    )
    expect(message(bad)).toContain(`spec.template.spec.containers[0].resources.limits.cpu: invalid quantity "lots"`)
    expect(message(bad)).toContain(
      "cannot unmarshal bool into field spec.strategy.rollingUpdate.maxSurge of type int32 or string"
    )
  })

  it("decodes absent required fields as absent (Go's zero values), leaving them to validation", () => {
    const { selector: _, ...withoutSelector } = deployment().spec
    const decoded = Either.getOrThrow(decode(Deployments, { ...deployment(), spec: withoutSelector }, "Strict"))
    expect(decoded.object.spec).not.toHaveProperty("selector")
    const nameless = { spec: { containers: [{ image: "busybox", ports: [{}] }] } }
    expect(Either.getOrThrow(decode(Pods, nameless, "Strict")).object.spec?.containers).toEqual([
      { image: "busybox", ports: [{}] }
    ])
    expect(Either.getOrThrow(decode(Pods, { metadata: { name: "p" } }, "Strict")).object).not.toHaveProperty("spec")
  })

  it("Strict refuses unknown fields, listing all of them", () => {
    const result = decode(
      Deployments,
      deployment(
        {
          foo: 1,
          template: {
            metadata: { labels: { app: "web" } },
            spec: { containers: [{ name: "web", image: "x", bar: 1 }] }
          }
        },
        { extra: true }
      ),
      "Strict"
    )
    expect(message(result)).toBe(
      'strict decoding error: unknown field "extra", unknown field "spec.foo", unknown field "spec.template.spec.containers[0].bar"'
    )
  })

  it("Warn drops unknown fields with a warning each; Ignore drops them silently", () => {
    const body = deployment({ foo: 1 }, { extra: true })
    const warned = Either.getOrThrow(decode(Deployments, body, "Warn"))
    expect(warned.warnings).toEqual(['unknown field "extra"', 'unknown field "spec.foo"'])
    expect(warned.object).not.toHaveProperty("extra")
    expect(warned.object.spec).not.toHaveProperty("foo")
    const ignored = Either.getOrThrow(decode(Deployments, body, "Ignore"))
    expect(ignored.warnings).toEqual([])
    expect(ignored.object.spec).not.toHaveProperty("foo")
  })

  it("keeps the fields of loosely modelled parts (volumes) unchanged", () => {
    const volumes = [{ name: "data", emptyDir: { medium: "Memory" } }]
    const pod = { metadata: { name: "p" }, spec: { volumes, containers: [{ name: "c", image: "busybox" }] } }
    expect(Either.getOrThrow(decode(Pods, pod, "Strict")).object.spec?.volumes).toEqual(volumes)
  })

  it("refuses another apiVersion or kind, and bodies that are not objects", () => {
    expect(message(decode(Pods, { apiVersion: "apps/v1", kind: "Pod" }, "Strict"))).toBe(
      "the API version in the data (apps/v1) does not match the expected API version (v1)"
    )
    expect(message(decode(Pods, { apiVersion: "v1", kind: "Service" }, "Strict"))).toBe(
      "the kind in the data (Service) does not match the expected kind (Pod)"
    )
    expect(message(decode(Pods, [1, 2], "Strict"))).toContain("cannot unmarshal array")
  })
})

describe("decode of subresource kinds", () => {
  it("decodes a Scale given by group, version, kind and schema", () => {
    const kind = { group: "autoscaling", version: "v1", kind: "Scale", schema: Scale }
    const scale = Either.getOrThrow(
      decode(
        kind,
        { apiVersion: "autoscaling/v1", kind: "Scale", metadata: { name: "web" }, spec: { replicas: 4 } },
        "Strict"
      )
    )
    expect(scale.object.spec?.replicas).toBe(4)
    expect(message(decode(kind, { spec: { replicas: "four" } }, "Strict"))).toContain(
      "cannot unmarshal string into field spec.replicas of type int32"
    )
  })
})
