import { describe, expect, it } from "@effect/vitest"
import type { Endpoints } from "./Endpoints.js"
import { EndpointsResource, formatEndpoints } from "./Endpoints.js"

const endpoints = (subsets: Endpoints["subsets"]): Endpoints => ({
  apiVersion: "v1",
  kind: "Endpoints",
  metadata: { name: "web", namespace: "default" },
  ...(subsets === undefined ? {} : { subsets })
})

describe("Endpoints", () => {
  it("defaults ports to TCP and validates addresses and ports", () => {
    const ep = EndpointsResource.defaults(endpoints([{ addresses: [{ ip: "10.1.0.5" }], ports: [{ port: 8080 }] }]))
    expect(ep.subsets?.[0].ports).toEqual([{ port: 8080, protocol: "TCP" }])
    expect(EndpointsResource.validate(ep, undefined)).toEqual([])
    const bad = EndpointsResource.defaults(endpoints([{ addresses: [{ ip: "pod-a" }], ports: [{ port: 0 }] }, {}]))
    expect(EndpointsResource.validate(bad, undefined).map((e) => `${e.field}: ${e.message}`)).toEqual([
      'subsets[0].addresses[0].ip: Invalid value: "pod-a": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      "subsets[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
      "subsets[1]: Required value: must specify `addresses` or `notReadyAddresses`"
    ])
  })

  it("prints the first three endpoints and how many more", () => {
    expect(formatEndpoints(endpoints(undefined))).toBe("<none>")
    const addresses = ["10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5"].map((ip) => ({ ip }))
    expect(formatEndpoints(endpoints([{ addresses, ports: [{ port: 80 }] }]))).toBe(
      "10.1.0.1:80,10.1.0.2:80,10.1.0.3:80 + 2 more..."
    )
    expect(formatEndpoints(endpoints([{ addresses: [{ ip: "fd00::1" }], ports: [{ port: 80 }] }]))).toBe("[fd00::1]:80")
    expect(formatEndpoints(endpoints([{ notReadyAddresses: [{ ip: "10.1.0.1" }], ports: [{ port: 80 }] }]))).toBe(
      "<none>"
    )
  })
})
