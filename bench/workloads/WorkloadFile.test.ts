import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as fc from "fast-check"
import { parse } from "../../sim/scenario/Parse.js"
import { run } from "../../sim/scenario/Run.js"
import { generate, generators } from "./Generators.js"
import type { Arrival, NodeGroup, Workload } from "./Workload.js"
import { sortArrivals } from "./Workload.js"
import { durationText } from "./Units.js"
import { read, toScenario, write } from "./WorkloadFile.js"

const valid = (text: string): Workload =>
  Either.getOrElse(read(text, "w.yaml"), (error) => {
    throw new Error(error.toString())
  })

const generated = (spec: string): Workload =>
  Either.getOrElse(generate(spec, 5), (message) => {
    throw new Error(message)
  })

const example = `apiVersion: minik8s.io/v1alpha1
kind: Workload
metadata: {name: example}
spec:
  horizon: 2h
  nodes:
    - {name: cpu, count: 3, cpu: 32, memory: 128Gi, labels: {zone: a}}
    - {name: gpu, cpu: "16", memory: 64Gi, pods: 50, resources: {nvidia.com/gpu: 8}, taints: [{key: gpu, effect: NoSchedule}]}
  arrivals:
    - {deployment: web, at: 5s, replicas: 3, cpu: 500m, memory: 1Gi, lifetime: 1h, spread: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}]}
    - {pod: train-1, at: 1m30s, cpu: 4, memory: 16Gi, resources: {nvidia.com/gpu: 1}, duration: 90s, group: train, priority: 100, tolerations: [{key: gpu, operator: Exists, effect: NoSchedule}], nodeSelector: {zone: a}}
    - {pod: idle, at: 0, cpu: 0, memory: 0}
`

describe("read", () => {
  it("reads human units into plain numbers and sorts the arrivals", () => {
    expect(valid(example)).toEqual({
      name: "example",
      horizon: 7_200_000,
      nodes: [
        { name: "cpu", count: 3, cpu: 32_000, memory: 128 * 2 ** 30, labels: { zone: "a" } },
        {
          name: "gpu",
          count: 1,
          cpu: 16_000,
          memory: 64 * 2 ** 30,
          pods: 50,
          extended: { "nvidia.com/gpu": 8 },
          taints: [{ key: "gpu", effect: "NoSchedule" }]
        }
      ],
      arrivals: [
        { kind: "Pod", name: "idle", at: 0, requests: { cpu: 0, memory: 0 } },
        {
          kind: "Deployment",
          name: "web",
          at: 5000,
          replicas: 3,
          requests: { cpu: 500, memory: 2 ** 30 },
          lifetime: 3_600_000,
          spread: [{ maxSkew: 1, topologyKey: "zone", whenUnsatisfiable: "DoNotSchedule" }]
        },
        {
          kind: "Pod",
          name: "train-1",
          at: 90_000,
          requests: { cpu: 4000, memory: 16 * 2 ** 30, extended: { "nvidia.com/gpu": 1 } },
          duration: 90_000,
          group: "train",
          priority: 100,
          tolerations: [{ key: "gpu", operator: "Exists", effect: "NoSchedule" }],
          nodeSelector: { zone: "a" }
        }
      ]
    })
  })

  const cases: ReadonlyArray<readonly [string, string, string]> = [
    [
      "cpu: 500m",
      "cpu: 500x",
      `w.yaml:10:51: spec.arrivals[0].cpu: invalid quantity "500x": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`
    ],
    [
      "cpu: 500m",
      "cpus: 500m",
      `w.yaml:10:46: spec.arrivals[0].cpus: unknown field "cpus"; known: deployment, at, cpu, memory, resources, priority, labels, nodeSelector, tolerations, spread, replicas, lifetime`
    ],
    ["at: 5s", "at: 5", `w.yaml:10:29: spec.arrivals[0].at: missing unit in duration "5"`],
    ["at: 5s, ", "", "w.yaml:10:7: spec.arrivals[0].at: required field is missing"],
    ["duration: 90s", "duration: 0s", "w.yaml:11:97: spec.arrivals[1].duration: must be longer than 0s"],
    ["pod: idle", "pod: train-1", `w.yaml:12:7: spec.arrivals[2]: duplicate arrival name "train-1"`],
    ["{name: gpu", "{name: cpu", `w.yaml:8:7: spec.nodes[1]: duplicate node group "cpu"`],
    [
      "operator: Exists",
      "operater: Exists",
      `w.yaml:11:166: spec.arrivals[1].tolerations[0].operater: is unexpected, expected: "key" | "operator" | "value" | "effect" | "tolerationSeconds"`
    ],
    [
      "maxSkew: 1",
      "maxSkew: 0",
      "w.yaml:10:103: spec.arrivals[0].spread[0].maxSkew: Invalid value: 0: must be greater than zero"
    ],
    ["maxSkew: 1", "maxSkew: one", `w.yaml:10:103: spec.arrivals[0].spread[0].maxSkew: Expected number, actual "one"`],
    [
      "nvidia.com/gpu: 1}",
      "nvidia.com/gpu: 0.5}",
      `w.yaml:11:83: spec.arrivals[1].resources[nvidia.com/gpu]: must be a whole number, got "0.5"`
    ],
    [
      "nvidia.com/gpu: 8}",
      "gpu: 8}",
      `w.yaml:8:66: spec.nodes[1].resources.gpu: "gpu" is not an extended resource name: it needs a domain prefix (example.com/gpu)`
    ],
    [
      "{pod: idle",
      "{name: idle",
      "w.yaml:12:7: spec.arrivals[2]: an arrival names a pod or a deployment: {pod: NAME, …} or {deployment: NAME, …}"
    ],
    ["kind: Workload", "kind: Scenario", `w.yaml:2:7: kind: must be "Workload"`],
    ["zone: a}}", "zone: 1}}", "w.yaml:7:68: spec.nodes[0].labels.zone: must be a string, got 1"],
    [
      "effect: NoSchedule}]}",
      "effect: Never}]}",
      `w.yaml:8:114: spec.nodes[1].taints[0].effect: Unsupported value: "Never": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"`
    ],
    ["replicas: 3", "replicas: -1", "w.yaml:10:43: spec.arrivals[0].replicas: must be at least 0"],
    ["horizon: 2h", "horizon: soon", `w.yaml:5:12: spec.horizon: invalid duration "soon"`],
    ["priority: 100", "priority: high", `w.yaml:11:126: spec.arrivals[1].priority: must be an integer, got "high"`],
    [
      "metadata: {name: example}",
      "metadata: {name: example}\n---\n",
      "w.yaml:4:1: invalid YAML: Source contains multiple documents; please use YAML.parseAllDocuments()"
    ]
  ]

  it.each(cases)("refuses %s → %s with file:line:col: field: what is wrong", (from, to, message) => {
    const result = read(example.replace(from, to), "w.yaml")
    expect(Either.isLeft(result) ? result.left.toString() : "read").toBe(message)
  })

  it("refuses an empty file", () => {
    const result = read("", "e.yaml")
    expect(Either.isLeft(result) && result.left.toString()).toBe(
      "e.yaml:1:1: empty workload: expected apiVersion, kind, metadata and spec"
    )
  })
})

// ---------------------------------------------------------------------------------------------
// write → read round-trips

const name = fc.stringMatching(/^[a-z]([a-z0-9-]{0,10}[a-z0-9])?$/)
// Label values YAML would read as numbers, booleans or null unless written quoted.
const labelValue = fc.oneof(
  fc.stringMatching(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,8}[A-Za-z0-9])?)?$/),
  fc.constantFrom("true", "null", "No", "1e3", "0x1F", "5e-1", "012", "y", "1_000", "1.5")
)
const labels = fc.dictionary(fc.constantFrom("app", "zone", "example.com/tier", "x"), labelValue, { maxKeys: 3 })
const extended = fc.dictionary(fc.constantFrom("nvidia.com/gpu", "example.com/fpga"), fc.nat(16), {
  minKeys: 1,
  maxKeys: 2
})
const effect = fc.constantFrom("NoSchedule", "PreferNoSchedule", "NoExecute")

const nodeGroup: fc.Arbitrary<NodeGroup> = fc.record(
  {
    name,
    count: fc.integer({ min: 1, max: 500 }),
    cpu: fc.integer({ min: 1, max: 256_000 }),
    memory: fc.oneof(
      fc.nat(2 ** 42),
      fc.nat(4096).map((n) => n * 2 ** 20)
    ),
    pods: fc.nat(250),
    extended,
    labels,
    taints: fc.array(fc.record({ key: name, value: labelValue, effect }, { requiredKeys: ["key", "effect"] }), {
      maxLength: 2
    })
  },
  { requiredKeys: ["name", "count", "cpu", "memory"] }
)

const shape = {
  at: fc.nat(10 ** 8),
  requests: fc.record({ cpu: fc.nat(64_000), memory: fc.nat(2 ** 40), extended }, { requiredKeys: ["cpu", "memory"] }),
  priority: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  labels,
  nodeSelector: labels,
  tolerations: fc.array(
    fc.oneof(
      fc.record({ key: name, operator: fc.constant("Equal"), value: labelValue, effect }),
      fc.record({ key: name, operator: fc.constant("Exists") }),
      fc.record({ operator: fc.constant("Exists"), effect: fc.constant("NoExecute"), tolerationSeconds: fc.nat(600) })
    ),
    { maxLength: 2 }
  ),
  spread: fc.uniqueArray(
    fc.record(
      {
        maxSkew: fc.integer({ min: 1, max: 5 }),
        topologyKey: fc.constantFrom("zone", "kubernetes.io/hostname"),
        whenUnsatisfiable: fc.constantFrom("DoNotSchedule", "ScheduleAnyway"),
        labelSelector: fc.record({ matchLabels: labels })
      },
      { requiredKeys: ["maxSkew", "topologyKey", "whenUnsatisfiable"] }
    ),
    { maxLength: 2, selector: (c) => `${c.topologyKey}/${c.whenUnsatisfiable}` }
  )
}

const arrival: fc.Arbitrary<Arrival> = fc.oneof(
  fc.record(
    {
      kind: fc.constant("Pod" as const),
      name,
      ...shape,
      duration: fc.integer({ min: 1, max: 10 ** 9 }),
      group: name
    },
    { requiredKeys: ["kind", "name", "at", "requests"] }
  ),
  fc.record(
    {
      kind: fc.constant("Deployment" as const),
      name,
      ...shape,
      replicas: fc.nat(50),
      lifetime: fc.integer({ min: 1, max: 10 ** 9 })
    },
    { requiredKeys: ["kind", "name", "at", "requests", "replicas"] }
  )
)

const workload: fc.Arbitrary<Workload> = fc.record(
  {
    name,
    nodes: fc.uniqueArray(nodeGroup, { minLength: 1, maxLength: 3, selector: (g) => g.name }),
    arrivals: fc.uniqueArray(arrival, { maxLength: 12, selector: (a) => a.name }).map(sortArrivals),
    horizon: fc.integer({ min: 1, max: 10 ** 9 })
  },
  { requiredKeys: ["name", "nodes", "arrivals"] }
)

describe("write", () => {
  it("round-trips through read, for any workload", () => {
    fc.assert(
      fc.property(workload, (w) => {
        expect(valid(write(w))).toEqual(w)
      }),
      { seed: 42, numRuns: 200 }
    )
  })

  it.each(Object.keys(generators))("round-trips %s's workload", (generator) => {
    const w = generated(generator === "gang" ? "gang:pods=300,gpus=4" : `${generator}:pods=300`)
    expect(valid(write(w))).toEqual(w)
  })

  it("writes one line per arrival, in human units", () => {
    const text = write(valid(example))
    expect(text.split("\n").slice(4)).toEqual([
      "spec:",
      "  horizon: 2h",
      "  nodes:",
      "    - {name: cpu, count: 3, cpu: 32, memory: 128Gi, labels: {zone: a}}",
      "    - {name: gpu, count: 1, cpu: 16, memory: 64Gi, pods: 50, resources: {nvidia.com/gpu: 8}, taints: [{key: gpu, effect: NoSchedule}]}",
      "  arrivals:",
      "    - {pod: idle, at: 0s, cpu: 0, memory: 0}",
      "    - {deployment: web, at: 5s, replicas: 3, cpu: 500m, memory: 1Gi, lifetime: 1h, spread: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}]}",
      "    - {pod: train-1, at: 1m30s, cpu: 4, memory: 16Gi, resources: {nvidia.com/gpu: 1}, duration: 1m30s, group: train, priority: 100, nodeSelector: {zone: a}, tolerations: [{key: gpu, operator: Exists, effect: NoSchedule}]}",
      ""
    ])
  })

  it("writes durations in Go's syntax without zero parts", () => {
    expect([0, 1, 999, 1000, 90_000, 3_600_000, 3_661_001, 86_400_000].map(durationText)).toEqual([
      "0s",
      "1ms",
      "999ms",
      "1s",
      "1m30s",
      "1h",
      "1h1m1.001s",
      "24h"
    ])
  })
})

// ---------------------------------------------------------------------------------------------
// toScenario

const scenarioOf = (w: Workload, profile = "most-allocated") =>
  Either.getOrElse(
    parse(toScenario(w, profile), "w.scenario.yaml", () => ""),
    (error) => {
      throw new Error(error.toString())
    }
  )

describe("toScenario", () => {
  it("gives a scenario parse accepts: node groups, the profile, applies at arrival times, deletes at lifetimes' ends", () => {
    const s = scenarioOf(valid(example))
    expect(s.name).toBe("example")
    expect(s.duration).toBe(7_200_000)
    expect(s.cluster.scheduler.profile).toBe("most-allocated")
    expect(s.cluster.nodes.map((g) => [g.names, g.cpu, g.memory, g.pods, g.resources, g.labels, g.taints])).toEqual([
      [["cpu-1", "cpu-2", "cpu-3"], "32", "128Gi", 110, undefined, { zone: "a" }, []],
      [["gpu-1"], "16", "64Gi", 50, { "nvidia.com/gpu": "8" }, {}, [{ key: "gpu", effect: "NoSchedule" }]]
    ])
    expect(s.steps.map((step) => [step.timing, step.action._tag])).toEqual([
      [{ _tag: "at", millis: 0 }, "apply"],
      [{ _tag: "at", millis: 5000 }, "apply"],
      [{ _tag: "at", millis: 90_000 }, "apply"],
      [{ _tag: "at", millis: 3_605_000 }, "delete"]
    ])
    const train = s.steps[2].action._tag === "apply" ? s.steps[2].action.manifests[0] : undefined
    expect(train).toEqual({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "train-1",
        labels: { "minik8s.io/workload": "example", app: "train", "minik8s.io/group": "train" },
        annotations: { "sim.minik8s.io/run-for": "1m30s" }
      },
      spec: {
        restartPolicy: "Never",
        priority: 100,
        nodeSelector: { zone: "a" },
        tolerations: [{ key: "gpu", operator: "Exists", effect: "NoSchedule" }],
        containers: [
          {
            name: "task",
            image: "example:1",
            resources: { requests: { cpu: 4, memory: "16Gi", "nvidia.com/gpu": 1 }, limits: { "nvidia.com/gpu": 1 } }
          }
        ]
      }
    })
    const web = s.steps[1].action._tag === "apply" ? s.steps[1].action.manifests[0] : undefined
    expect(web).toMatchObject({
      kind: "Deployment",
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: "web" } },
        template: {
          spec: {
            restartPolicy: "Always",
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: "zone",
                whenUnsatisfiable: "DoNotSchedule",
                labelSelector: { matchLabels: { "minik8s.io/workload": "example", app: "web" } }
              }
            ]
          }
        }
      }
    })
    expect(s.steps[3].action).toEqual({
      _tag: "delete",
      ref: { kind: "deployment", namespace: "default", name: "web" },
      propagation: "Background"
    })
  })

  it.each(Object.keys(generators))(
    "gives a scenario parse accepts for %s's workload, every arrival applied once",
    (g) => {
      const w = generated(`${g}:pods=200,nodes=10`)
      const s = scenarioOf(w, "least-allocated")
      const applied = s.steps.flatMap((step) => (step.action._tag === "apply" ? step.action.manifests : []))
      expect(applied.map((m) => (m.metadata as { name: string }).name).sort()).toEqual(
        w.arrivals.map((a) => a.name).sort()
      )
    }
  )

  it("plays in simulation: every pod is placed and runs to its end", async () => {
    const w: Workload = {
      name: "tiny",
      nodes: [{ name: "gpu", count: 2, cpu: 4000, memory: 8 * 2 ** 30, extended: { "nvidia.com/gpu": 2 } }],
      arrivals: [
        {
          kind: "Pod",
          name: "p-1",
          at: 0,
          requests: { cpu: 1000, memory: 2 ** 30, extended: { "nvidia.com/gpu": 1 } },
          duration: 20_000,
          group: "job-1"
        },
        { kind: "Pod", name: "p-2", at: 0, requests: { cpu: 1000, memory: 2 ** 30 }, duration: 20_000, group: "job-1" },
        {
          kind: "Deployment",
          name: "svc-1",
          at: 5_000,
          replicas: 2,
          requests: { cpu: 500, memory: 2 ** 29 },
          lifetime: 40_000
        },
        { kind: "Pod", name: "p-3", at: 10_000, requests: { cpu: 250, memory: 2 ** 28 }, duration: 5_000 }
      ],
      horizon: 90_000
    }
    const summary = await run(scenarioOf(w))
    expect([summary.passed, summary.failures, summary.invariantViolations]).toEqual([true, [], []])
    expect(summary.steps.map((s) => [s.time, s.action, s.result])).toEqual([
      [0, "apply pod/p-1, pod/p-2", "done"],
      [5, "apply deployment/svc-1", "done"],
      [10, "apply pod/p-3", "done"],
      [45, "delete deployment/svc-1", "done"]
    ])
    const placed = (t: number) => {
      const sample = summary.series.find((s) => s.t >= t)!
      return [sample.pending, Object.values(sample.podsPerNode).reduce((a, b) => a + b, 0)]
    }
    expect(placed(12)).toEqual([0, 5])
    expect(placed(85)).toEqual([0, 0])
  })
})
