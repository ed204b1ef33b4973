import { describe, expect, it } from "@effect/vitest"
import type { Service } from "./Service.js"
import { Services } from "./Service.js"

const lines = (errors: ReadonlyArray<{ field: string; message: string }>) =>
  errors.map((e) => `${e.field}: ${e.message}`)

const service = (
  spec: Service["spec"] = { selector: { app: "web" }, ports: [{ port: 80 }] },
  name = "web"
): Service => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace: "default", creationTimestamp: "2024-01-01T00:00:00Z" },
  spec
})

describe("Service", () => {
  it("defaults type ClusterIP, no affinity, TCP ports aimed at the same port", () => {
    const s = Services.defaults(service())
    expect(s.spec).toEqual({
      selector: { app: "web" },
      ports: [{ port: 80, protocol: "TCP", targetPort: 80 }],
      type: "ClusterIP",
      sessionAffinity: "None",
      internalTrafficPolicy: "Cluster"
    })
    const named = Services.defaults(
      service({ ports: [{ port: 80, targetPort: "http", protocol: "UDP" }], type: "NodePort" })
    )
    expect(named.spec).toMatchObject({
      ports: [{ port: 80, targetPort: "http", protocol: "UDP" }],
      externalTrafficPolicy: "Cluster"
    })
    const sticky = Services.defaults(service({ ports: [{ port: 80 }], sessionAffinity: "ClientIP" }))
    expect(sticky.spec?.sessionAffinityConfig).toEqual({ clientIP: { timeoutSeconds: 10800 } })
    expect(Services.defaults(s)).toEqual(s)
  })

  it("accepts a defaulted service and a headless one without ports", () => {
    expect(Services.validate(Services.defaults(service()), undefined)).toEqual([])
    expect(
      Services.validate(Services.defaults(service({ clusterIP: "None", selector: { app: "web" } })), undefined)
    ).toEqual([])
  })

  it("names services as DNS-1035 labels and checks ports", () => {
    const s = Services.defaults(
      service(
        {
          ports: [{ port: 80, name: "http" }, { port: 0 }, { port: 81, name: "http", nodePort: 30080 }],
          type: "ClusterIP"
        },
        "1web"
      )
    )
    expect(lines(Services.validate(s, undefined))).toEqual([
      expect.stringMatching(
        /^metadata\.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters/
      ),
      "spec.ports[1].name: Required value",
      "spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive",
      "spec.ports[1].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive",
      'spec.ports[2].name: Duplicate value: "http"',
      "spec.ports[2].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"
    ])
    expect(lines(Services.validate(Services.defaults(service({ selector: { app: "web" } })), undefined))).toEqual([
      "spec.ports: Required value"
    ])
    expect(
      lines(Services.validate(Services.defaults(service({ ports: [{ port: 80 }], type: "Magic" })), undefined))
    ).toEqual([
      'spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "NodePort", "LoadBalancer"'
    ])
  })

  it("requires ports, and port numbers, when fields are absent", () => {
    const { spec: _, ...specless } = service()
    expect(lines(Services.validate(Services.defaults(specless), undefined))).toEqual(["spec.ports: Required value"])
    const portless = Services.defaults(service({ ports: [{ name: "http" }] }))
    expect(portless.spec?.ports).toEqual([{ name: "http", protocol: "TCP", targetPort: 0 }])
    expect(lines(Services.validate(portless, undefined))).toEqual([
      "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
      "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive"
    ])
  })

  it("keeps the cluster IP once set", () => {
    const old = Services.defaults(service({ ports: [{ port: 80 }], clusterIP: "10.96.0.10" }))
    expect(
      Services.validate({ ...old, spec: { ...old.spec, clusterIP: "10.96.0.11" } }, old).map(
        (e) => `${e.field}: ${e.message}`
      )
    ).toEqual(['spec.clusterIP: Invalid value: "10.96.0.11": field is immutable'])
    const { clusterIP: _, ...withoutIP } = old.spec ?? {}
    expect(Services.validate({ ...old, spec: withoutIP }, old)).toEqual([])
  })

  it("prints TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE", () => {
    const s = Services.defaults(
      service({
        selector: { app: "web" },
        ports: [{ port: 80 }, { port: 443, nodePort: 30443 }],
        type: "NodePort",
        clusterIP: "10.96.0.10"
      })
    )
    const row = Object.fromEntries(Services.columns.map((c) => [c.name, c.cell(s, "2024-01-03T00:00:00Z")]))
    expect(row).toEqual({
      Name: "web",
      Type: "NodePort",
      "Cluster-IP": "10.96.0.10",
      "External-IP": "<none>",
      "Port(s)": "80/TCP,443:30443/TCP",
      Age: "2d",
      Selector: "app=web"
    })
    const lb = Services.defaults(service({ ports: [{ port: 80 }], type: "LoadBalancer" }))
    expect(Services.columns.find((c) => c.name === "External-IP")!.cell(lb, "")).toBe("<pending>")
  })
})
