/**
 * NodePorts: the host ports a pod asks for must be free on the node. A port bound on 0.0.0.0
 * conflicts with the same protocol and port on any address, as Kubernetes' `HostPortInfo` does.
 */
import { hostPortsOf } from "../framework/NodeInfo.js"
import * as Plugin from "../framework/Plugin.js"
import { reader } from "./PluginArgs.js"
import { stateData } from "./StateData.js"

export const Name = "NodePorts"

export const errReason = "node(s) didn't have free ports for the requested pod ports"

const rejected = Plugin.unschedulable(errReason)

interface Port {
  readonly protocol: string
  readonly ip: string
  readonly port: string
}

const parse = (key: string): Port => {
  const [first, last] = [key.indexOf("/"), key.lastIndexOf("/")]
  return { protocol: key.slice(0, first), ip: key.slice(first + 1, last), port: key.slice(last + 1) }
}

const anyAddress = "0.0.0.0"

/** Whether `wanted` (`protocol/ip/port`) clashes with a port in use on the node. */
export const conflicts = (wanted: string, used: ReadonlyMap<string, number>): boolean => {
  if (used.size === 0) return false
  const w = parse(wanted)
  if (w.ip !== anyAddress) {
    return used.has(wanted) || used.has(`${w.protocol}/${anyAddress}/${w.port}`)
  }
  for (const key of used.keys()) {
    const u = parse(key)
    if (u.protocol === w.protocol && u.port === w.port) return true
  }
  return false
}

export const make: Plugin.PluginFactory = (args) => {
  reader(Name, args, [])
  const preFilterState = stateData<ReadonlyArray<string>>(`PreFilter${Name}`)
  return {
    name: Name,
    preFilter: (state, pod) => {
      const ports = hostPortsOf(pod)
      if (ports.length === 0) return { status: Plugin.skip }
      preFilterState.write(state, ports)
      return { status: Plugin.success }
    },
    filter: (state, pod, node) => {
      const wanted = preFilterState.read(state) ?? hostPortsOf(pod)
      for (const port of wanted) if (conflicts(port, node.usedPorts)) return rejected
      return Plugin.success
    },
    events: [
      { resource: "Pod", action: "Delete" },
      { resource: "Node", action: "Add" },
      { resource: "Node", action: "Update" }
    ]
  }
}
