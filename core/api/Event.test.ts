import { describe, expect, it } from "@effect/vitest"
import type { Event } from "./Event.js"
import { Events } from "./Event.js"

const event = (extra: Partial<Event> = {}): Event => ({
  apiVersion: "v1",
  kind: "Event",
  metadata: { name: "web-1.17a", namespace: "default" },
  involvedObject: { kind: "Pod", name: "web-1", namespace: "default", uid: "u1", fieldPath: "spec.containers{web}" },
  reason: "BackOff",
  message: "Back-off restarting failed container ",
  type: "Warning",
  source: { component: "kubelet", host: "node-1" },
  firstTimestamp: "2024-01-01T00:00:00Z",
  lastTimestamp: "2024-01-01T00:04:00Z",
  count: 5,
  ...extra
})

describe("Event", () => {
  it("requires the event and its object to share a namespace", () => {
    expect(Events.validate(event(), undefined)).toEqual([])
    const elsewhere = event({ involvedObject: { kind: "Pod", name: "x", namespace: "other" } })
    expect(Events.validate(elsewhere, undefined).map((e) => `${e.field}: ${e.message}`)).toEqual([
      'involvedObject.namespace: Invalid value: "other": does not match event.namespace'
    ])
    const node = event({ involvedObject: { kind: "Node", name: "node-1" } })
    expect(Events.validate(node, undefined)).toEqual([])
    const newStyle = event({ eventTime: "2024-01-01T00:00:00.000000Z" })
    expect(Events.validate(newStyle, undefined).map((e) => e.field)).toEqual([
      "reportingComponent",
      "reportingInstance",
      "action"
    ])
  })

  it("prints LAST SEEN TYPE REASON OBJECT MESSAGE (and more with -o wide)", () => {
    const row = Object.fromEntries(Events.columns.map((c) => [c.name, c.cell(event(), "2024-01-01T00:05:00Z")]))
    expect(row).toEqual({
      "Last Seen": "60s",
      Type: "Warning",
      Reason: "BackOff",
      Object: "pod/web-1",
      Subobject: "spec.containers{web}",
      Source: "kubelet, node-1",
      Message: "Back-off restarting failed container",
      "First Seen": "5m",
      Count: 5,
      Name: "web-1.17a"
    })
  })

  it("selects on the involved object, reason, type and source", () => {
    const e = event()
    expect(Events.fields["involvedObject.name"](e)).toBe("web-1")
    expect(Events.fields["involvedObject.kind"](e)).toBe("Pod")
    expect(Events.fields["involvedObject.uid"](e)).toBe("u1")
    expect(Events.fields["reason"](e)).toBe("BackOff")
    expect(Events.fields["type"](e)).toBe("Warning")
    expect(Events.fields["source"](e)).toBe("kubelet")
  })
})
