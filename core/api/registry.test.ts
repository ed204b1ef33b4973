import { describe, expect, it } from "@effect/vitest"
import { byKind, byName, byResource, resources } from "./registry.js"

describe("registry", () => {
  it("serves every kind once", () => {
    expect(resources.map((r) => r.kind)).toEqual([
      "Pod",
      "Node",
      "Namespace",
      "Service",
      "Endpoints",
      "Event",
      "Deployment",
      "ReplicaSet",
      "Lease"
    ])
    expect(new Set(resources.map((r) => `${r.group}/${r.plural}`)).size).toBe(resources.length)
  })

  it("finds a type by URL and by apiVersion + kind", () => {
    expect(byResource("", "v1", "pods")?.kind).toBe("Pod")
    expect(byResource("apps", "v1", "deployments")?.kind).toBe("Deployment")
    expect(byResource("coordination.k8s.io", "v1", "leases")?.kind).toBe("Lease")
    expect(byResource("apps", "v1", "pods")).toBeUndefined()
    expect(byKind("apps/v1", "ReplicaSet")?.plural).toBe("replicasets")
    expect(byKind("v1", "Deployment")).toBeUndefined()
  })

  it("finds a type by any name a user types", () => {
    for (const word of [
      "deploy",
      "deployments",
      "Deployment",
      "deployment",
      "deployments.apps",
      "deploy.v1.apps",
      "DEPLOY"
    ]) {
      expect([word, byName(word)?.kind]).toEqual([word, "Deployment"])
    }
    for (const word of ["po", "pods", "Pod", "pod", "pods.v1"])
      expect([word, byName(word)?.kind]).toEqual([word, "Pod"])
    expect(byName("svc")?.kind).toBe("Service")
    expect(byName("ep")?.kind).toBe("Endpoints")
    expect(byName("ns")?.kind).toBe("Namespace")
    expect(byName("no")?.kind).toBe("Node")
    expect(byName("rs")?.kind).toBe("ReplicaSet")
    expect(byName("ev")?.kind).toBe("Event")
    expect(byName("leases.coordination.k8s.io")?.kind).toBe("Lease")
    expect(byName("pods.apps")).toBeUndefined()
    expect(byName("widgets")).toBeUndefined()
  })
})
