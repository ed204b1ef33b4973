import { describe, expect, it } from "vitest"
import type { Pod } from "../api/Pod.js"
import {
  isPodActive,
  isPodAvailable,
  isPodReady,
  isPodTerminating,
  millisUntilAvailable,
  podReadySinceMillis
} from "./PodConditions.js"

const pod = (status: Pod["status"], deletionTimestamp?: string): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: "default", ...(deletionTimestamp === undefined ? {} : { deletionTimestamp }) },
  ...(status === undefined ? {} : { status })
})

const readySince = (time: string, phase = "Running") =>
  pod({ phase, conditions: [{ type: "Ready", status: "True", lastTransitionTime: time }] })

const t0 = Date.parse("2024-01-01T00:00:00Z")

describe("PodConditions", () => {
  it("ready means the Ready condition is True", () => {
    expect(isPodReady(readySince("2024-01-01T00:00:00Z"))).toBe(true)
    expect(isPodReady(pod({ conditions: [{ type: "Ready", status: "False" }] }))).toBe(false)
    expect(isPodReady(pod({ conditions: [{ type: "PodScheduled", status: "True" }] }))).toBe(false)
    expect(isPodReady(pod(undefined))).toBe(false)
    expect(podReadySinceMillis(readySince("2024-01-01T00:00:00Z"))).toBe(t0)
  })

  it("available after minReadySeconds have passed since the pod became ready, strictly", () => {
    const p = readySince("2024-01-01T00:00:00Z")
    expect(isPodAvailable(p, 0, t0)).toBe(true)
    expect(isPodAvailable(p, 10, t0 + 9_999)).toBe(false)
    expect(isPodAvailable(p, 10, t0 + 10_000)).toBe(false)
    expect(isPodAvailable(p, 10, t0 + 10_001)).toBe(true)
    expect(millisUntilAvailable(p, 10, t0 + 4_000)).toBe(6_001)
    expect(isPodAvailable(p, 10, t0 + 4_000 + 6_001)).toBe(true)
    expect(millisUntilAvailable(p, 10, t0 + 20_000)).toBeUndefined()
    // With no minReadySeconds there is never anything to wait for, ready or not.
    expect(millisUntilAvailable(p, 0, t0)).toBeUndefined()
    expect(millisUntilAvailable(pod({ conditions: [{ type: "Ready", status: "False" }] }), 0, t0)).toBeUndefined()
  })

  it("a ready pod with an unknown ready time is available only with minReadySeconds 0", () => {
    const p = pod({ conditions: [{ type: "Ready", status: "True" }] })
    expect(isPodAvailable(p, 0, t0)).toBe(true)
    expect(isPodAvailable(p, 5, t0)).toBe(false)
    expect(millisUntilAvailable(p, 5, t0)).toBeUndefined()
  })

  it("active excludes terminal and deleted pods; terminating is deleted but not terminal", () => {
    expect(isPodActive(pod({ phase: "Running" }))).toBe(true)
    expect(isPodActive(pod({ phase: "Pending" }))).toBe(true)
    expect(isPodActive(pod({ phase: "Succeeded" }))).toBe(false)
    expect(isPodActive(pod({ phase: "Failed" }))).toBe(false)
    expect(isPodActive(pod({ phase: "Running" }, "2024-01-01T00:00:00Z"))).toBe(false)
    expect(isPodTerminating(pod({ phase: "Running" }, "2024-01-01T00:00:00Z"))).toBe(true)
    expect(isPodTerminating(pod({ phase: "Failed" }, "2024-01-01T00:00:00Z"))).toBe(false)
    expect(isPodTerminating(pod({ phase: "Running" }))).toBe(false)
  })
})
