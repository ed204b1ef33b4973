import { describe, expect, it } from "@effect/vitest"
import { openApiV2, openApiV3, openApiV3Index } from "./openapi.js"

type Json = Record<string, any>

describe("openapi", () => {
  it("indexes one v3 document per group version with a content hash", () => {
    const index = openApiV3Index() as Json
    expect(Object.keys(index.paths)).toEqual(["api/v1", "apis/apps/v1", "apis/coordination.k8s.io/v1"])
    expect(index.paths["apis/apps/v1"].serverRelativeURL).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/)
    expect(openApiV3Index()).toBe(index)
  })

  it("describes Deployment in apps/v1 with its GVK and the fieldValidation parameter on PATCH", () => {
    const doc = openApiV3("apis/apps/v1") as Json
    expect(doc.openapi).toBe("3.0.0")
    const deployment = doc.components.schemas["io.k8s.api.apps.v1.Deployment"]
    expect(deployment["x-kubernetes-group-version-kind"]).toEqual([
      { group: "apps", version: "v1", kind: "Deployment" }
    ])
    expect(deployment.properties.spec).toEqual({ $ref: "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec" })
    const patch = doc.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"].patch
    expect(patch["x-kubernetes-group-version-kind"]).toEqual({ group: "apps", version: "v1", kind: "Deployment" })
    expect(patch.parameters).toContainEqual(
      expect.objectContaining({ name: "fieldValidation", in: "query", schema: { type: "string", uniqueItems: true } })
    )
    for (const op of [
      doc.paths["/apis/apps/v1/namespaces/{namespace}/deployments"].post,
      doc.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"].put
    ]) {
      expect(op["x-kubernetes-group-version-kind"]).toEqual({ group: "apps", version: "v1", kind: "Deployment" })
      expect(op.parameters.map((p: Json) => p.name)).toContain("fieldValidation")
    }
    expect(
      doc.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"].put["x-kubernetes-group-version-kind"]
    ).toEqual({
      group: "autoscaling",
      version: "v1",
      kind: "Scale"
    })
    expect(openApiV3("/apis/apps/v1/")).toBe(doc)
    expect(openApiV3("apis/batch/v1")).toBeUndefined()
  })

  it("carries the strategic-merge-patch extensions kubectl reads", () => {
    const schemas = (openApiV3("api/v1") as Json).components.schemas
    expect(schemas["io.k8s.api.core.v1.PodSpec"].properties.containers).toMatchObject({
      type: "array",
      "x-kubernetes-patch-merge-key": "name",
      "x-kubernetes-patch-strategy": "merge"
    })
    expect(schemas["io.k8s.api.core.v1.Container"].properties.ports).toMatchObject({
      "x-kubernetes-patch-merge-key": "containerPort"
    })
    expect(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"].properties.finalizers).toMatchObject({
      "x-kubernetes-patch-strategy": "merge"
    })
    const apps = (openApiV3("apis/apps/v1") as Json).components.schemas
    expect(apps["io.k8s.api.apps.v1.DeploymentSpec"].properties.strategy).toEqual({
      allOf: [{ $ref: "#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy" }],
      "x-kubernetes-patch-strategy": "retainKeys"
    })
  })

  it("lists the fields Kubernetes marks required, though the decoder leaves them to validation", () => {
    const apps = (openApiV3("apis/apps/v1") as Json).components.schemas
    expect(apps["io.k8s.api.apps.v1.DeploymentSpec"].required).toEqual(["selector", "template"])
    expect(apps["io.k8s.api.apps.v1.Deployment"].required).not.toContain("spec")
    const core = (openApiV3("api/v1") as Json).components.schemas
    expect(core["io.k8s.api.core.v1.PodSpec"].required).toEqual(["containers"])
    expect(core["io.k8s.api.core.v1.Container"].required).toEqual(["name"])
    expect(core["io.k8s.api.core.v1.PodReadinessGate"].required).toEqual(["conditionType"])
    expect(core["io.k8s.api.core.v1.Event"].required).toContain("involvedObject")
    expect((openApiV2() as Json).definitions["io.k8s.api.core.v1.ServicePort"].required).toEqual(["port"])
  })

  it("writes OpenAPI, not JSON Schema: nullable, int-or-string, no null type", () => {
    const schemas = (openApiV3("api/v1") as Json).components.schemas
    expect(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"].properties.creationTimestamp).toEqual({
      type: "string",
      nullable: true
    })
    expect(schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]).toMatchObject({ format: "int-or-string" })
    expect(JSON.stringify(schemas)).not.toContain('"type":"null"')
    expect(schemas["io.k8s.api.core.v1.Pod"]["x-kubernetes-group-version-kind"]).toEqual([
      { group: "", version: "v1", kind: "Pod" }
    ])
    expect(schemas["io.k8s.api.core.v1.PodList"].properties.items.items).toEqual({
      $ref: "#/components/schemas/io.k8s.api.core.v1.Pod"
    })
  })

  it("serves a swagger 2.0 document with the same extensions", () => {
    const doc = openApiV2() as Json
    expect(doc.swagger).toBe("2.0")
    expect(doc.definitions["io.k8s.api.apps.v1.Deployment"]["x-kubernetes-group-version-kind"]).toEqual([
      { group: "apps", version: "v1", kind: "Deployment" }
    ])
    expect(doc.definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]).toEqual({
      type: "string",
      format: "int-or-string"
    })
    const patch = doc.paths["/api/v1/namespaces/{namespace}/pods/{name}"].patch
    expect(patch["x-kubernetes-group-version-kind"]).toEqual({ group: "", version: "v1", kind: "Pod" })
    expect(patch.parameters).toContainEqual(
      expect.objectContaining({ name: "fieldValidation", in: "query", type: "string" })
    )
    expect(JSON.stringify(doc)).not.toContain("#/components/")
  })
})
