import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as fc from "fast-check"
import { parse } from "../scenario/Parse.js"
import type { Scenario } from "../scenario/Scenario.js"
import { faultKinds, schedule } from "./Arbitrary.js"
import { fragment, healedBy, toTrack } from "./Schedule.js"

const base = `apiVersion: minik8s.io/v1alpha1
kind: Scenario
metadata: {name: t}
spec:
  cluster:
    nodes:
      - {name: "node-{i}", count: 3, cpu: "4", memory: 8Gi}
  steps:
    - at: 0s
      apply:
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 2
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec: {containers: [{name: web, image: nginx}]}
`

const parseText = (text: string) => parse(text, "scenarios/t.yaml", () => "")

const valid = (text: string): Scenario =>
  Either.getOrElse(parseText(text), (error) => {
    throw new Error(error.toString())
  })

const scenario = valid(`${base}  duration: 5m\n`)

describe("spec.faults", () => {
  it("reads every fault kind, times and state triggers", () => {
    const s = valid(`${base}  duration: 5m
  faults:
    - at: 10s
      fault: {partition: [node-1, apiserver], for: 30s}
    - at: 0s
      when: {updated: replicaset, count: 2}
      fault: {crashAtWrite: {component: controller-manager, kind: pod, nth: 3}}
    - at: 1m
      when: {deleted: team/pod/web-1}
      fault: {cutWatches: scheduler}
    - at: 1m
      fault: {delayWatches: node-2, by: 2s, for: 1m}
    - at: 2m
      fault: {ambiguousCommit: {component: node-3}}
    - at: 3m
      fault: {clockSkew: node-1, by: -30s}
`)
    expect(s.faults.map(({ line: _, ...f }) => f)).toEqual([
      { at: 10_000, fault: { _tag: "partition", a: "node-1", b: "apiserver", for: 30_000 } },
      {
        at: 0,
        when: { event: "updated", kind: "replicaset", namespace: "default", count: 2 },
        fault: { _tag: "crashAtWrite", component: "controller-manager", kind: "pod", nth: 3 }
      },
      {
        at: 60_000,
        when: { event: "deleted", kind: "pod", namespace: "team", name: "web-1", count: 1 },
        fault: { _tag: "cutWatches", component: "scheduler" }
      },
      { at: 60_000, fault: { _tag: "delayWatches", component: "node-2", by: 2_000, for: 60_000 } },
      { at: 120_000, fault: { _tag: "ambiguousCommit", component: "node-3", nth: 1 } },
      { at: 180_000, fault: { _tag: "clockSkew", node: "node-1", offset: -30_000 } }
    ])
    expect(s.faults.map((f) => f.line)).toEqual([22, 24, 27, 30, 32, 34])
  })

  it.each([
    [
      "a fault after the end",
      "    - at: 6m\n      fault: {compactStore: true}\n",
      "spec.faults[0].at: is after the run's end (5m0s)"
    ],
    [
      "an unknown component",
      "    - at: 1s\n      fault: {cutWatches: apiserver}\n",
      `spec.faults[0].fault.cutWatches: unknown component "apiserver": a node's name, scheduler, controller-manager`
    ],
    [
      "a trigger without an event",
      "    - at: 1s\n      when: {count: 2}\n      fault: {compactStore: true}\n",
      "spec.faults[0].when: a trigger needs an event: one of created, updated, deleted"
    ],
    [
      "a negative write count",
      "    - at: 1s\n      fault: {crashAtWrite: {component: scheduler, nth: 0}}\n",
      "spec.faults[0].fault.crashAtWrite.nth: must be at least 1"
    ]
  ])("refuses %s with file:line and the field", (_, faults, message) => {
    const result = parseText(`${base}  duration: 5m\n  faults:\n${faults}`)
    expect(Either.isLeft(result) && result.left.toString()).toMatch(new RegExp(`^scenarios/t\\.yaml:\\d+:\\d+: `))
    expect(Either.isLeft(result) && result.left.toString().replace(/^[^ ]+ /, "")).toBe(message)
  })
})

describe("a drawn schedule", () => {
  it("printed as a fragment and pasted under spec:, parses back to the same fault track", () => {
    const arbitrary = schedule(scenario, { kinds: faultKinds, maxFaults: 5, horizon: 300_000, longest: 60_000 })
    fc.assert(
      fc.property(arbitrary, (drawn) => {
        const { track } = toTrack(drawn)
        const text = fragment(track, { seed: 3, duration: 480_000, invariants: ["noDoubleBinding", "converged"] })
        const pasted = valid(`${base}${text}\n`)
        expect(pasted.faults.map(({ line: _, ...f }) => f)).toEqual(track.map(({ line: _, ...f }) => f))
        expect(pasted.seed).toBe(3)
        expect(pasted.duration).toBe(480_000)
        expect(pasted.invariants).toEqual(["noDoubleBinding", "converged"])
      }),
      { seed: 42, numRuns: 200 }
    )
  })

  it("keeps every fault bounded: all have healed by the horizon plus the longest fault", () => {
    const arbitrary = schedule(scenario, { kinds: faultKinds, maxFaults: 5, horizon: 300_000, longest: 60_000 })
    fc.assert(
      fc.property(arbitrary, (drawn) => {
        expect(healedBy(toTrack(drawn).track)).toBeLessThanOrEqual(360_000)
      }),
      { seed: 42, numRuns: 200 }
    )
  })

  it("puts a heal after its fault, keeping the drawn order at equal times", () => {
    const { track, origin } = toTrack([
      { at: 5_000, fault: { _tag: "compactStore" } },
      {
        at: 1_000,
        fault: { _tag: "crashNode", node: "node-1" },
        heal: { after: 4_000, fault: { _tag: "restartNode", node: "node-1" } }
      }
    ])
    expect(track.map((t) => [t.at, t.fault._tag])).toEqual([
      [1_000, "crashNode"],
      [5_000, "compactStore"],
      [5_000, "restartNode"]
    ])
    expect(origin).toEqual([
      { drawn: 1, heal: false },
      { drawn: 0, heal: false },
      { drawn: 1, heal: true }
    ])
  })
})
