import { describe, expect, it } from "@effect/vitest"
import * as Plugin from "../framework/Plugin.js"
import { filter, node, nodeInfo, plugin, pod } from "./Fixtures.js"
import * as NodePorts from "./NodePorts.js"

describe("NodePorts", () => {
  const ports = plugin(NodePorts.make)
  const withPort = (name: string, hostPort: number, hostIP?: string, protocol?: string) =>
    pod(name, {
      ports: [
        { containerPort: 80, hostPort, ...(hostIP === undefined ? {} : { hostIP }), ...(protocol ? { protocol } : {}) }
      ]
    })
  const busy = nodeInfo(node("n"), [withPort("a", 8080)])
  const busyOnIp = nodeInfo(node("m"), [withPort("a", 8080, "10.0.0.1")])

  it("rejects a host port in use", () => {
    expect(filter(ports, withPort("p", 8080), [busy])).toEqual(
      Plugin.unschedulable("node(s) didn't have free ports for the requested pod ports")
    )
    expect(filter(ports, withPort("p", 8081), [busy])).toEqual(Plugin.success)
    expect(filter(ports, withPort("p", 8080, undefined, "UDP"), [busy])).toEqual(Plugin.success)
  })

  it("treats 0.0.0.0 as every address", () => {
    expect(filter(ports, withPort("p", 8080, "10.0.0.2"), [busy]).code).toBe("Unschedulable")
    expect(filter(ports, withPort("p", 8080), [busyOnIp]).code).toBe("Unschedulable")
    expect(filter(ports, withPort("p", 8080, "10.0.0.2"), [busyOnIp])).toEqual(Plugin.success)
  })

  it("skips pods without host ports", () => {
    expect(filter(ports, pod("p"), [busy])).toEqual(Plugin.success)
  })
})
