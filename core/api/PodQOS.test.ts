import { describe, expect, it } from "@effect/vitest"
import type { Container } from "./Container.js"
import { podQOSClass } from "./PodQOS.js"

const withResources = (resources: Container["resources"]): Container => ({ name: "c", image: "x:1", resources })

describe("podQOSClass", () => {
  it("is BestEffort without requests or limits, and with only zero ones", () => {
    expect(podQOSClass({ containers: [{ name: "c", image: "x:1" }] })).toBe("BestEffort")
    expect(podQOSClass({ containers: [withResources({ requests: { cpu: "0", memory: "0" } })] })).toBe("BestEffort")
    expect(podQOSClass({ containers: [withResources({ requests: { "example.com/gpu": "1" } })] })).toBe("BestEffort")
  })

  it("is Guaranteed when every container limits cpu and memory at its requests", () => {
    const full = withResources({ limits: { cpu: "1", memory: "1Gi" } })
    expect(podQOSClass({ containers: [full, full] })).toBe("Guaranteed")
    const explicit = withResources({ limits: { cpu: 1, memory: "1Gi" }, requests: { cpu: "1000m", memory: "1024Mi" } })
    expect(podQOSClass({ containers: [explicit] })).toBe("Guaranteed")
  })

  it("is Burstable otherwise", () => {
    expect(podQOSClass({ containers: [withResources({ requests: { cpu: "100m" } })] })).toBe("Burstable")
    const partly = withResources({ limits: { cpu: "1", memory: "1Gi" }, requests: { cpu: "500m" } })
    expect(podQOSClass({ containers: [partly] })).toBe("Burstable")
    const unlimited = { name: "d", image: "x:1" }
    expect(podQOSClass({ containers: [withResources({ limits: { cpu: "1", memory: "1Gi" } }), unlimited] })).toBe(
      "Burstable"
    )
    // A zero request is unset, not defaulted to the limit.
    const zero = withResources({ limits: { cpu: "1", memory: "1Gi" }, requests: { cpu: "0" } })
    expect(podQOSClass({ containers: [zero] })).toBe("Burstable")
    const init = withResources({ requests: { memory: "64Mi" } })
    expect(podQOSClass({ containers: [{ name: "c", image: "x:1" }], initContainers: [init] })).toBe("Burstable")
  })
})
