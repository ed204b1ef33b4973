import { describe, expect, it } from "@effect/vitest"
import type { Deployment } from "./Deployment.js"
import { Deployments } from "./Deployment.js"

const lines = (errors: ReadonlyArray<{ field: string; message: string }>) =>
  errors.map((e) => `${e.field}: ${e.message}`)

const deployment = (spec: Partial<Deployment["spec"]> = {}): Deployment => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "default", creationTimestamp: "2024-01-01T00:00:00Z" },
  spec: {
    selector: { matchLabels: { app: "web" } },
    template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx:1.25" }] } },
    ...spec
  }
})

describe("Deployment", () => {
  it("defaults replicas, RollingUpdate 25%/25%, history, deadline and the template", () => {
    const d = Deployments.defaults(deployment())
    expect(d.spec).toMatchObject({
      replicas: 1,
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600
    })
    expect(d.spec?.template?.spec).toMatchObject({
      restartPolicy: "Always",
      dnsPolicy: "ClusterFirst",
      schedulerName: "default-scheduler"
    })
    expect(d.spec?.template?.spec?.containers?.[0]?.imagePullPolicy).toBe("IfNotPresent")
    // Pod-only defaults stay out of templates.
    expect(d.spec?.template?.spec?.tolerations).toBeUndefined()
    expect(Deployments.defaults(deployment({ replicas: 0, strategy: { type: "Recreate" } })).spec).toMatchObject({
      replicas: 0,
      strategy: { type: "Recreate" }
    })
    expect(Deployments.defaults(d)).toEqual(d)
  })

  it("accepts a defaulted deployment", () => {
    expect(Deployments.validate(Deployments.defaults(deployment()), undefined)).toEqual([])
  })

  it("refuses negative replicas with Kubernetes' message", () => {
    const d = Deployments.defaults(deployment({ replicas: -1 }))
    expect(lines(Deployments.validate(d, undefined))).toEqual([
      "spec.replicas: Invalid value: -1: must be greater than or equal to 0"
    ])
  })

  it("requires a non-empty selector that matches the template labels", () => {
    const mismatched = Deployments.defaults(deployment({ selector: { matchLabels: { app: "other" } } }))
    expect(lines(Deployments.validate(mismatched, undefined))).toEqual([
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`'
    ])
    const empty = Deployments.defaults(deployment({ selector: {} }))
    expect(lines(Deployments.validate(empty, undefined))).toEqual([
      "spec.selector: Invalid value: {}: empty selector is invalid for deployment"
    ])
  })

  it("reports an absent selector, template or spec as Kubernetes does, after defaulting", () => {
    const { selector: _, ...noSelector } = deployment().spec ?? {}
    expect(lines(Deployments.validate(Deployments.defaults({ ...deployment(), spec: noSelector }), undefined))).toEqual(
      [
        "spec.selector: Required value",
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`'
      ]
    )
    const { template: __, ...noTemplate } = deployment().spec ?? {}
    expect(lines(Deployments.validate(Deployments.defaults({ ...deployment(), spec: noTemplate }), undefined))).toEqual(
      [
        "spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`",
        "spec.template.spec.containers: Required value"
      ]
    )
    const { spec: ___, ...specless } = deployment()
    const defaulted = Deployments.defaults(specless)
    expect(lines(Deployments.validate(defaulted, undefined))).toEqual([
      "spec.selector: Required value",
      "spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`",
      "spec.template.spec.containers: Required value"
    ])
    const nameless = deployment({
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ image: "nginx:1.25" }] } }
    })
    expect(lines(Deployments.validate(Deployments.defaults(nameless), undefined))).toEqual([
      "spec.template.spec.containers[0].name: Required value"
    ])
  })

  it("checks the template: images, restart policy, deadline", () => {
    const d = Deployments.defaults(
      deployment({
        template: {
          metadata: { labels: { app: "web" } },
          spec: { containers: [{ name: "web" }], restartPolicy: "Never", activeDeadlineSeconds: 10 }
        }
      })
    )
    expect(lines(Deployments.validate(d, undefined))).toEqual([
      "spec.template.spec.containers[0].image: Required value",
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
      "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported"
    ])
  })

  it("checks the strategy", () => {
    const zero = Deployments.defaults(
      deployment({ strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: "0%" } } })
    )
    expect(lines(Deployments.validate(zero, undefined))).toEqual([
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when `maxSurge` is 0'
    ])
    const bad = Deployments.defaults(
      deployment({ strategy: { rollingUpdate: { maxSurge: "x", maxUnavailable: "150%" } } })
    )
    expect(lines(Deployments.validate(bad, undefined))).toEqual([
      `spec.strategy.rollingUpdate.maxSurge: Invalid value: "x": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`,
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "150%": must not be greater than 100%'
    ])
    const recreate = deployment({ strategy: { type: "Recreate", rollingUpdate: {} } })
    expect(lines(Deployments.validate(Deployments.defaults(recreate), undefined))).toEqual([
      "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"
    ])
    const deadline = Deployments.defaults(deployment({ minReadySeconds: 30, progressDeadlineSeconds: 10 }))
    expect(lines(Deployments.validate(deadline, undefined))).toEqual([
      "spec.progressDeadlineSeconds: Invalid value: 10: must be greater than minReadySeconds"
    ])
  })

  it("keeps the selector immutable on update", () => {
    const old = Deployments.defaults(deployment())
    const scaled = { ...old, spec: { ...old.spec, replicas: 5 } }
    expect(Deployments.validate(scaled, old)).toEqual([])
    const relabelled = Deployments.defaults(
      deployment({
        selector: { matchLabels: { app: "web2" } },
        template: { metadata: { labels: { app: "web2" } }, spec: old.spec?.template?.spec }
      })
    )
    expect(lines(Deployments.validate(relabelled, old))).toEqual([
      'spec.selector: Invalid value: {"matchLabels":{"app":"web2"}}: field is immutable'
    ])
  })

  it("prints READY UP-TO-DATE AVAILABLE AGE, and CONTAINERS IMAGES SELECTOR wide", () => {
    const d = {
      ...Deployments.defaults(deployment({ replicas: 3 })),
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 }
    }
    const row = Object.fromEntries(Deployments.columns.map((c) => [c.name, c.cell(d, "2024-01-01T03:00:00Z")]))
    expect(row).toEqual({
      Name: "web",
      Ready: "2/3",
      "Up-to-date": 3,
      Available: 2,
      Age: "3h",
      Containers: "web",
      Images: "nginx:1.25",
      Selector: "app=web"
    })
  })

  it("has a scale subresource over spec.replicas", () => {
    const d = { ...Deployments.defaults(deployment({ replicas: 3 })), status: { replicas: 2 } }
    const scale = Deployments.scale!
    expect([scale.specReplicas(d), scale.statusReplicas(d), scale.selector(d)]).toEqual([3, 2, "app=web"])
    expect(scale.withSpecReplicas(d, 7).spec?.replicas).toBe(7)
  })
})
