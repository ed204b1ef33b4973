import { describe, expect, it } from "@effect/vitest"
import type { Node } from "./Node.js"
import { nodeRoles, Nodes, nodeStatus } from "./Node.js"

const lines = (errors: ReadonlyArray<{ field: string; message: string }>) =>
  errors.map((e) => `${e.field}: ${e.message}`)

const node = (extra: Partial<Node> = {}): Node => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: {
    name: "node-1",
    creationTimestamp: "2024-01-01T00:00:00Z",
    labels: { "node-role.kubernetes.io/control-plane": "" }
  },
  ...extra
})

describe("Node", () => {
  it("defaults allocatable to capacity", () => {
    const n = Nodes.defaults(node({ status: { capacity: { cpu: 4, memory: "8192Mi", pods: "110" } } }))
    expect(n.status?.allocatable).toEqual({ cpu: "4", memory: "8Gi", pods: "110" })
    const given = Nodes.defaults(node({ status: { capacity: { cpu: "4" }, allocatable: { cpu: "3500m" } } }))
    expect(given.status?.allocatable).toEqual({ cpu: "3500m" })
  })

  it("validates taints and refuses a namespace", () => {
    const n = node({
      metadata: { name: "node-1", namespace: "default" },
      spec: {
        taints: [
          { key: "dedicated", value: "gpu", effect: "NoSchedule" },
          { key: "dedicated", effect: "NoSchedule" },
          { key: "x", effect: "Sometimes" }
        ]
      }
    })
    expect(lines(Nodes.validate(n, undefined))).toEqual([
      "metadata.namespace: Forbidden: not allowed on this type",
      'spec.taints[1]: Duplicate value: {"key":"dedicated","effect":"NoSchedule"}: taints must be unique by key and effect pair',
      'spec.taints[2].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"'
    ])
    expect(Nodes.validate(node({ spec: { unschedulable: true } }), node())).toEqual([])
  })

  it("prints STATUS, ROLES, AGE and VERSION as kubectl does", () => {
    const ready = node({
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: "Ready", status: "True" }],
        nodeInfo: { kubeletVersion: "v1.31.0", osImage: "Ubuntu" },
        addresses: [{ type: "InternalIP", address: "192.168.1.10" }]
      }
    })
    expect(nodeStatus(ready)).toBe("Ready,SchedulingDisabled")
    expect(nodeStatus(node())).toBe("Unknown")
    expect(nodeStatus(node({ status: { conditions: [{ type: "Ready", status: "Unknown" }] } }))).toBe("NotReady")
    expect(nodeRoles(ready)).toEqual(["control-plane"])
    const row = Object.fromEntries(Nodes.columns.map((c) => [c.name, c.cell(ready, "2024-01-01T01:00:00Z")]))
    expect(row).toEqual({
      Name: "node-1",
      Status: "Ready,SchedulingDisabled",
      Roles: "control-plane",
      Age: "60m",
      Version: "v1.31.0",
      "Internal-IP": "192.168.1.10",
      "External-IP": "<none>",
      "OS-Image": "Ubuntu",
      "Kernel-Version": "<unknown>",
      "Container-Runtime": "<unknown>"
    })
    expect(Nodes.fields["spec.unschedulable"](ready)).toBe("true")
  })
})
