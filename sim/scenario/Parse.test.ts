import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as fc from "fast-check"
import * as YAML from "yaml"
import { formatDuration } from "../../core/api/duration.js"
import { parse } from "./Parse.js"
import {
  type Action,
  defaultTiming,
  type NodeGroup,
  safetyInvariants,
  type Scenario,
  type StepTiming
} from "./Scenario.js"

const files: Record<string, string> = {
  "scenarios/manifests/app.yaml": [
    "apiVersion: v1",
    "kind: Service",
    "metadata: {name: web}",
    "---",
    "---",
    "apiVersion: apps/v1",
    "kind: Deployment",
    "metadata: {name: web}",
    ""
  ].join("\n"),
  "scenarios/manifests/nokind.yaml":
    "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\napiVersion: v1\nmetadata: {name: b}\n"
}

const read = (path: string): string => {
  const content = files[path]
  if (content === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`)
  return content
}

const parseText = (text: string) => parse(text, "scenarios/x.yaml", read)

const valid = (text: string): Scenario =>
  Either.getOrElse(parseText(text), (error) => {
    throw new Error(error.toString())
  })

// The example of SCENARIOS.md, verbatim.
const example = `apiVersion: minik8s.io/v1alpha1
kind: Scenario
metadata:
  name: node-failure                # required, DNS-1123 label
  description: A node dies and its pods move.
spec:
  seed: 7                           # default seed; \`--seed N\` overrides
  duration: 10m                     # simulated time at which the run stops (required)
  cluster:
    nodes:                          # one or more groups
      - name: node-{i}              # {i} counts from 1 within the group; a plain name means count 1
        count: 3
        cpu: "4"                    # Kubernetes quantities
        memory: 8Gi
        pods: 110                   # optional, default 110
        labels: {zone: a}           # optional
        taints:                     # optional, Kubernetes taint objects
          - {key: dedicated, value: gpu, effect: NoSchedule}
        unschedulable: false        # optional
    scheduler:
      profile: default              # a shipped profile name (below) or a custom one:
      # plugins:
      #   filter: [NodeUnschedulable, NodeResourcesFit, NodeAffinity, TaintToleration]
      #   score:  [{name: NodeResourcesFit, strategy: MostAllocated, weight: 1}]
    timing:                         # all optional; these are the defaults
      heartbeatInterval: 10s
      nodeMonitorGracePeriod: 40s   # node turns NotReady (Unknown) after this without heartbeat
      evictionTimeout: 30s          # default tolerationSeconds for not-ready/unreachable NoExecute taints
      apiLatency: 1ms-5ms           # one-way latency of every component ⇄ API server call
      containerStart: 200ms-2s      # image present: create+start
      imagePull: 1s-5s              # image absent
  steps:                            # run in order of time
    - at: 0s
      apply:                        # one manifest, a list of manifests, or {file: relative/path.yaml}
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 3
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
                - name: web
                  image: nginx:1.27
                  resources: {requests: {cpu: 500m, memory: 256Mi}}
    - at: 60s
      expect:                       # must hold at exactly this time
        - deployment/web: {readyReplicas: 3}
    - at: 61s
      fault: {crashNode: node-1}
    - within: 3m                    # must hold at some instant within 3m after the previous step
      expect:
        - deployment/web: {readyReplicas: 3}
        - pods: {selector: app=web, phase: Running, count: 3, notOnNode: node-1}
        - node/node-1: {ready: false}
  invariants: [default]             # checked after every event; \`default\` = every safety invariant
`

const web = { kind: "deployment", namespace: "default", name: "web" }

describe("parse", () => {
  it("reads the example of SCENARIOS.md into the model", () => {
    expect(parse(example, "scenarios/node-failure.yaml", read)).toEqual(
      Either.right({
        file: "scenarios/node-failure.yaml",
        name: "node-failure",
        description: "A node dies and its pods move.",
        seed: 7,
        duration: 600_000,
        cluster: {
          nodes: [
            {
              names: ["node-1", "node-2", "node-3"],
              cpu: "4",
              memory: "8Gi",
              pods: 110,
              labels: { zone: "a" },
              taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }],
              unschedulable: false
            }
          ],
          scheduler: { profile: "default" },
          timing: defaultTiming
        },
        steps: [
          {
            index: 1,
            line: 33,
            timing: { _tag: "at", millis: 0 },
            action: {
              _tag: "apply",
              manifests: [
                {
                  apiVersion: "apps/v1",
                  kind: "Deployment",
                  metadata: { name: "web" },
                  spec: {
                    replicas: 3,
                    selector: { matchLabels: { app: "web" } },
                    template: {
                      metadata: { labels: { app: "web" } },
                      spec: {
                        containers: [
                          {
                            name: "web",
                            image: "nginx:1.27",
                            resources: { requests: { cpu: "500m", memory: "256Mi" } }
                          }
                        ]
                      }
                    }
                  }
                }
              ]
            }
          },
          {
            index: 2,
            line: 48,
            timing: { _tag: "at", millis: 60_000 },
            action: {
              _tag: "expect",
              checks: [
                {
                  check: { _tag: "object", ref: web, fields: { readyReplicas: 3 } },
                  label: "deployment/web",
                  line: 50
                }
              ]
            }
          },
          {
            index: 3,
            line: 51,
            timing: { _tag: "at", millis: 61_000 },
            action: { _tag: "fault", fault: { _tag: "crashNode", node: "node-1" } }
          },
          {
            index: 4,
            line: 53,
            timing: { _tag: "within", millis: 180_000 },
            action: {
              _tag: "expect",
              checks: [
                {
                  check: { _tag: "object", ref: web, fields: { readyReplicas: 3 } },
                  label: "deployment/web",
                  line: 55
                },
                {
                  check: { _tag: "pods", selector: "app=web", phase: "Running", count: 3, notOnNode: "node-1" },
                  label: "pods",
                  line: 56
                },
                {
                  check: {
                    _tag: "object",
                    ref: { kind: "node", namespace: "", name: "node-1" },
                    fields: { ready: false }
                  },
                  label: "node/node-1",
                  line: 57
                }
              ]
            }
          }
        ],
        faults: [],
        invariants: safetyInvariants
      })
    )
  })

  it("fills defaults: seed 1, no steps, every safety invariant, the default profile and timing", () => {
    const s = valid(minimal)
    expect(s.seed).toBe(1)
    expect(s.description).toBe("")
    expect(s.steps).toEqual([])
    expect(s.invariants).toEqual(safetyInvariants)
    expect(s.cluster.scheduler.profile).toBe("default")
    expect(s.cluster.timing).toEqual(defaultTiming)
    expect(s.cluster.nodes[0].names).toEqual(["node-1", "node-2", "node-3"])
  })

  it("reads a node group's extended resources, only when given", () => {
    const s = valid(
      minimal.replace(`memory: 8Gi}`, `memory: 8Gi, resources: {nvidia.com/gpu: "8", example.com/fpga: 2}}`)
    )
    expect(s.cluster.nodes[0].resources).toEqual({ "nvidia.com/gpu": "8", "example.com/fpga": "2" })
    expect("resources" in valid(minimal).cluster.nodes[0]).toBe(false)
  })

  it("reads every action, fault and check", () => {
    const s = valid(
      withSteps(`
    - at: 0s
      apply: [{file: manifests/app.yaml}, {apiVersion: v1, kind: Pod, metadata: {name: solo}}]
    - after: 1s
      delete: {ref: prod/deployment/api, propagation: Foreground}
    - after: 0s
      delete: node/node-3
    - after: 1s
      scale: {deployment/web: 5, replicaset/web-1: 0}
    - after: 1s
      setImage: {deployment/web: {container: web, image: "nginx:1.28"}}
    - after: 1s
      cordon: node-2
    - after: 1s
      uncordon: node-2
    - after: 1s
      addNodes: {name: big, cpu: 64, memory: 256Gi, unschedulable: true}
    - after: 1s
      fault: {restartNode: big}
    - after: 1s
      fault: {stopKubelet: node-1}
    - after: 1s
      fault: {startKubelet: node-1}
    - after: 1s
      fault: {partition: [scheduler, big], for: 30s}
    - after: 1s
      fault: {crashContainer: {pod: app=web, container: web}, exitCode: 137}
    - after: 1s
      fault: {crashContainer: {pod: web-abc, container: web}}
    - after: 1s
      fault: {storeUnavailable: 20s}
    - after: 1s
      fault: {compactStore: true}
    - after: 1s
      fault: {slowNetwork: {latency: 50ms-200ms, for: 1m}}
    - after: 1s
      fault: {restartComponent: controller-manager}
    - within: 2m
      expect:
        - replicaset/web-1: {specReplicas: 0, fullyLabeledReplicas: 0}
        - pod/solo: {phase: Running, node: big, ready: true, restarts: 0}
        - pods: {selector: "app=web,tier!=db", ready: true, min: 1, max: 5, onNode: node-1, image: "nginx:1.28"}
        - pods: {}
        - unschedulable: 0
        - exists: kube-system/lease/node-1
        - absent: deployment/api
`)
    )
    const actions = s.steps.map((step) => step.action)
    const timings = s.steps.map((step) => step.timing)
    expect(timings[1]).toEqual({ _tag: "after", millis: 1_000 })
    expect(actions.slice(0, 8)).toEqual([
      {
        _tag: "apply",
        manifests: [
          { apiVersion: "v1", kind: "Service", metadata: { name: "web" } },
          { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web" } },
          { apiVersion: "v1", kind: "Pod", metadata: { name: "solo" } }
        ]
      },
      {
        _tag: "delete",
        ref: { kind: "deployment", namespace: "prod", name: "api" },
        propagation: "Foreground"
      },
      { _tag: "delete", ref: { kind: "node", namespace: "", name: "node-3" }, propagation: "Background" },
      {
        _tag: "scale",
        targets: [
          { ref: web, replicas: 5 },
          { ref: { kind: "replicaset", namespace: "default", name: "web-1" }, replicas: 0 }
        ]
      },
      { _tag: "setImage", targets: [{ ref: web, container: "web", image: "nginx:1.28" }] },
      { _tag: "cordon", node: "node-2" },
      { _tag: "uncordon", node: "node-2" },
      {
        _tag: "addNodes",
        group: { names: ["big"], cpu: "64", memory: "256Gi", pods: 110, labels: {}, taints: [], unschedulable: true }
      }
    ])
    expect(actions.slice(8, 18).map((a) => (a._tag === "fault" ? a.fault : a))).toEqual([
      { _tag: "restartNode", node: "big" },
      { _tag: "stopKubelet", node: "node-1" },
      { _tag: "startKubelet", node: "node-1" },
      { _tag: "partition", a: "scheduler", b: "big", for: 30_000 },
      { _tag: "crashContainer", pod: "app=web", container: "web", exitCode: 137 },
      { _tag: "crashContainer", pod: "web-abc", container: "web", exitCode: 1 },
      { _tag: "storeUnavailable", for: 20_000 },
      { _tag: "compactStore" },
      { _tag: "slowNetwork", latency: { min: 50, max: 200 }, for: 60_000 },
      { _tag: "restartComponent", component: "controller-manager" }
    ])
    const last = actions[18]
    expect(last._tag === "expect" && last.checks.map(({ check, label }) => ({ check, label }))).toEqual([
      {
        check: {
          _tag: "object",
          ref: { kind: "replicaset", namespace: "default", name: "web-1" },
          fields: { specReplicas: 0, fullyLabeledReplicas: 0 }
        },
        label: "replicaset/web-1"
      },
      {
        check: {
          _tag: "object",
          ref: { kind: "pod", namespace: "default", name: "solo" },
          fields: { phase: "Running", node: "big", ready: true, restarts: 0 }
        },
        label: "pod/solo"
      },
      {
        check: {
          _tag: "pods",
          selector: "app=web,tier!=db",
          ready: true,
          min: 1,
          max: 5,
          onNode: "node-1",
          image: "nginx:1.28"
        },
        label: "pods"
      },
      { check: { _tag: "pods" }, label: "pods" },
      { check: { _tag: "unschedulable", count: 0 }, label: "unschedulable" },
      {
        check: { _tag: "exists", ref: { kind: "lease", namespace: "kube-system", name: "node-1" } },
        label: "exists: kube-system/lease/node-1"
      },
      {
        check: { _tag: "absent", ref: { kind: "deployment", namespace: "default", name: "api" } },
        label: "absent: deployment/api"
      }
    ])
  })

  it("reads a custom scheduler profile, a profile by schedulerName, timing and invariants", () => {
    const custom = valid(
      minimal.replace(
        "  cluster:\n",
        `  invariants: [converged, default, noDoubleBinding]
  cluster:
    scheduler:
      plugins:
        filter: [NodeUnschedulable, NodeResourcesFit]
        score: [{name: NodeResourcesFit, strategy: MostAllocated, weight: 2}, {name: ImageLocality}]
    timing: {heartbeatInterval: 5s, evictionTimeout: 0s, apiLatency: 2ms}
`
      )
    )
    expect(custom.cluster.scheduler.profile).toEqual({
      filter: ["NodeUnschedulable", "NodeResourcesFit"],
      score: [
        { name: "NodeResourcesFit", weight: 2, strategy: "MostAllocated" },
        { name: "ImageLocality", weight: 1 }
      ]
    })
    expect(custom.cluster.timing).toEqual({
      ...defaultTiming,
      heartbeatInterval: 5_000,
      evictionTimeout: 0,
      apiLatency: { min: 2, max: 2 }
    })
    expect(custom.invariants).toEqual([...safetyInvariants, "converged"])
    const named = valid(
      minimal.replace("  cluster:\n", "  invariants: []\n  cluster:\n    scheduler: {profile: default-scheduler}\n")
    )
    expect(named.cluster.scheduler.profile).toBe("default")
    expect(named.invariants).toEqual([])
  })
})

const minimal = `apiVersion: minik8s.io/v1alpha1
kind: Scenario
metadata: {name: t}
spec:
  duration: 10m
  cluster:
    nodes:
      - {name: "node-{i}", count: 3, cpu: "4", memory: 8Gi}
`
/** Steps begin on line 10. */
const withSteps = (steps: string) => `${minimal}  steps:${steps.startsWith("\n") ? "" : "\n"}${steps}`

describe("parse, on YAML's own features", () => {
  it("follows aliases", () => {
    const s = valid(
      minimal.replace(`cpu: "4"`, `cpu: &cpu "4"`) +
        "  steps:\n    - at: 1s\n      addNodes: {name: extra, cpu: *cpu, memory: 1Gi}\n"
    )
    const added = s.steps[0].action
    expect(added._tag === "addNodes" && added.group.cpu).toBe("4")
  })
})

describe("parse refuses an invalid scenario with one line naming file:line:column and the field", () => {
  const cases: ReadonlyArray<readonly [string, string, string]> = [
    [
      "bad YAML",
      minimal + "  steps: [\n",
      "scenarios/x.yaml:10:1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]"
    ],
    ["duplicate key", minimal + "  duration: 5m\n", "scenarios/x.yaml:9:3: invalid YAML: Map keys must be unique"],
    [
      "two documents",
      minimal + "---\nfoo: 1\n",
      "scenarios/x.yaml:9:1: invalid YAML: a scenario file holds one YAML document"
    ],
    ["empty file", "", "scenarios/x.yaml:1:1: empty scenario: expected apiVersion, kind, metadata and spec"],
    [
      "unknown top-level field",
      minimal + "status: {}\n",
      `scenarios/x.yaml:9:1: status: unknown field "status"; known: apiVersion, kind, metadata, spec`
    ],
    [
      "unknown field with a hint",
      minimal.replace("duration: 10m", "duraton: 10m"),
      `scenarios/x.yaml:5:3: spec.duraton: unknown field "duraton", did you mean "duration"?`
    ],
    [
      "missing duration",
      minimal.replace("  duration: 10m\n", ""),
      "scenarios/x.yaml:5:3: spec.duration: required field is missing"
    ],
    [
      "wrong apiVersion",
      minimal.replace("minik8s.io/v1alpha1", "v1"),
      `scenarios/x.yaml:1:13: apiVersion: must be "minik8s.io/v1alpha1"`
    ],
    ["negative seed", minimal + "  seed: -1\n", "scenarios/x.yaml:9:9: spec.seed: must be at least 0"],
    [
      "unknown step action",
      withSteps("    - at: 0s\n      crash: node-1\n"),
      `scenarios/x.yaml:11:7: spec.steps[0].crash: unknown field "crash"; known: at, after, within, apply, delete, scale, setImage, cordon, uncordon, addNodes, fault, expect`
    ],
    [
      "two timing keys",
      withSteps("    - at: 0s\n      after: 1s\n      cordon: node-1\n"),
      `scenarios/x.yaml:11:7: spec.steps[0].after: a step has one time: "at" and "after" both given`
    ],
    [
      "no timing key",
      withSteps("    - cordon: node-1\n"),
      "scenarios/x.yaml:10:7: spec.steps[0]: a step needs a time: one of at, after, within"
    ],
    [
      "two actions",
      withSteps("    - at: 0s\n      cordon: node-1\n      uncordon: node-2\n"),
      `scenarios/x.yaml:12:7: spec.steps[0].uncordon: a step has one action: "cordon" and "uncordon" both given`
    ],
    [
      "within without expect",
      withSteps("    - within: 1m\n      cordon: node-1\n"),
      `scenarios/x.yaml:10:7: spec.steps[0].within: "within" is only allowed with "expect"`
    ],
    [
      "unknown fault, with a hint",
      withSteps("    - at: 1s\n      fault: {crashNod: node-1}\n"),
      `scenarios/x.yaml:11:15: spec.steps[0].fault.crashNod: unknown fault "crashNod", did you mean "crashNode"?`
    ],
    [
      "unknown fault, listing the known ones",
      withSteps("    - at: 1s\n      fault: {explode: true}\n"),
      `scenarios/x.yaml:11:15: spec.steps[0].fault.explode: unknown fault "explode"; known: crashNode, restartNode, stopKubelet, startKubelet, partition, crashContainer, storeUnavailable, compactStore, slowNetwork, restartComponent, cutWatches, delayWatches, ambiguousCommit, crashAtWrite, clockSkew`
    ],
    [
      "a field the fault does not take",
      withSteps("    - at: 1s\n      fault: {crashNode: node-1, for: 10s}\n"),
      `scenarios/x.yaml:11:34: spec.steps[0].fault.for: unknown field "for"; known: crashNode`
    ],
    [
      "negative duration",
      withSteps("    - at: -5s\n      cordon: node-1\n"),
      `scenarios/x.yaml:10:11: spec.steps[0].at: duration "-5s" must not be negative`
    ],
    [
      "1x duration",
      withSteps("    - at: 1x\n      cordon: node-1\n"),
      `scenarios/x.yaml:10:11: spec.steps[0].at: unknown unit "x" in duration "1x"`
    ],
    [
      "unit-less duration",
      withSteps("    - at: 30\n      cordon: node-1\n"),
      `scenarios/x.yaml:10:11: spec.steps[0].at: missing unit in duration "30"`
    ],
    [
      "zero partition",
      withSteps("    - at: 1s\n      fault: {partition: [node-1, apiserver], for: 0s}\n"),
      "scenarios/x.yaml:11:52: spec.steps[0].fault.for: must be longer than 0s"
    ],
    [
      "partition without for",
      withSteps("    - at: 1s\n      fault: {partition: [node-1, apiserver]}\n"),
      "scenarios/x.yaml:11:14: spec.steps[0].fault.for: required field is missing"
    ],
    [
      "unknown partition end",
      withSteps("    - at: 1s\n      fault: {partition: [node-1, etcd], for: 30s}\n"),
      `scenarios/x.yaml:11:35: spec.steps[0].fault.partition[1]: unknown end "etcd": a node's name, apiserver, scheduler, controller-manager, store`
    ],
    [
      "unknown node in a fault",
      withSteps("    - at: 0s\n      cordon: node-1\n    - at: 1s\n      fault: {crashNode: node-9}\n"),
      `scenarios/x.yaml:13:26: spec.steps[1].fault.crashNode: unknown node "node-9"`
    ],
    [
      "a node only added later",
      withSteps(
        "    - at: 0s\n      fault: {crashNode: extra}\n    - at: 1s\n      addNodes: {name: extra, cpu: 1, memory: 1Gi}\n"
      ),
      `scenarios/x.yaml:11:26: spec.steps[0].fault.crashNode: unknown node "extra"`
    ],
    [
      "exit code out of range",
      withSteps("    - at: 1s\n      fault: {crashContainer: {pod: app=web, container: web}, exitCode: 300}\n"),
      "scenarios/x.yaml:11:73: spec.steps[0].fault.exitCode: must be at most 255"
    ],
    [
      "slow network range backwards",
      withSteps("    - at: 1s\n      fault: {slowNetwork: {latency: 5s-1s, for: 1m}}\n"),
      `scenarios/x.yaml:11:38: spec.steps[0].fault.slowNetwork.latency: range "5s-1s" starts after it ends`
    ],
    [
      "unknown component",
      withSteps("    - at: 1s\n      fault: {restartComponent: kubelet}\n"),
      `scenarios/x.yaml:11:33: spec.steps[0].fault.restartComponent: unknown component "kubelet"; known: scheduler, controller-manager, apiserver`
    ],
    [
      "time going back",
      withSteps("    - at: 2m\n      cordon: node-1\n    - at: 1m\n      uncordon: node-1\n"),
      "scenarios/x.yaml:12:11: spec.steps[1].at: steps go forward in time: the previous step is at 2m0s"
    ],
    [
      "a step after the end",
      withSteps("    - at: 9m\n      cordon: node-1\n    - after: 2m\n      uncordon: node-1\n"),
      "scenarios/x.yaml:12:14: spec.steps[1].after: the step would run at 11m0s, after spec.duration (10m0s)"
    ],
    [
      "bad quantity",
      minimal.replace('cpu: "4"', "cpu: 4 cores"),
      `scenarios/x.yaml:8:43: spec.cluster.nodes[0].cpu: invalid quantity "4 cores": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`
    ],
    [
      "bad taint effect",
      minimal.replace("memory: 8Gi}", "memory: 8Gi, taints: [{key: a, effect: NoScheduling}]}"),
      `scenarios/x.yaml:8:87: spec.cluster.nodes[0].taints[0].effect: unknown taint effect "NoScheduling", did you mean "NoSchedule"?`
    ],
    [
      "a label value that is not a string",
      minimal.replace("memory: 8Gi}", "memory: 8Gi, labels: {gpu: true}}"),
      `scenarios/x.yaml:8:75: spec.cluster.nodes[0].labels.gpu: must be a string (quote it: "true")`
    ],
    [
      "count without {i}",
      minimal.replace(`"node-{i}", count: 3`, "node, count: 3"),
      `scenarios/x.yaml:8:29: spec.cluster.nodes[0].count: count 3 needs "{i}" in the name to number the nodes`
    ],
    [
      "no node group",
      minimal
        .replace(`      - {name: "node-{i}", count: 3, cpu: "4", memory: 8Gi}\n`, "")
        .replace("nodes:", "nodes: []"),
      "scenarios/x.yaml:7:12: spec.cluster.nodes: at least one node group is required"
    ],
    [
      "duplicate node names",
      minimal + "      - {name: node-2, cpu: 1, memory: 1Gi}\n",
      `scenarios/x.yaml:9:16: spec.cluster.nodes[1].name: duplicate node name "node-2"`
    ],
    [
      "duplicate node names from addNodes",
      withSteps("    - at: 1s\n      addNodes: {name: 'node-{i}', count: 4, cpu: 1, memory: 1Gi}\n"),
      `scenarios/x.yaml:11:24: spec.steps[0].addNodes.name: duplicate node name "node-1"`
    ],
    [
      "unknown profile",
      minimal + "    scheduler: {profile: fastest}\n",
      `scenarios/x.yaml:9:26: spec.cluster.scheduler.profile: unknown profile "fastest"; profiles: default, least-allocated, most-allocated, balanced, spread, random, first-fit, round-robin, drf`
    ],
    [
      "unknown plugin",
      minimal + "    scheduler:\n      plugins:\n        filter: [NodeUnschedulable, NodeResourceFit]\n",
      `scenarios/x.yaml:11:37: spec.cluster.scheduler.plugins.filter[1]: unknown plugin "NodeResourceFit", did you mean "NodeResourcesFit"?`
    ],
    [
      "a strategy on a plugin without one",
      minimal +
        "    scheduler:\n      plugins:\n        filter: [NodeUnschedulable]\n        score: [{name: ImageLocality, strategy: MostAllocated}]\n",
      "scenarios/x.yaml:12:49: spec.cluster.scheduler.plugins.score[0].strategy: only NodeResourcesFit takes a strategy"
    ],
    [
      "zero heartbeat",
      minimal + "    timing: {heartbeatInterval: 0s}\n",
      "scenarios/x.yaml:9:33: spec.cluster.timing.heartbeatInterval: must be longer than 0s"
    ],
    [
      "unknown invariant",
      minimal + "  invariants: [default, noDoubleBind]\n",
      `scenarios/x.yaml:9:25: spec.invariants[1]: unknown invariant "noDoubleBind", did you mean "noDoubleBinding"?`
    ],
    [
      "bad selector",
      withSteps("    - at: 1s\n      expect:\n        - pods: {selector: 'app in web', count: 3}\n"),
      `scenarios/x.yaml:12:28: spec.steps[0].expect[0].pods.selector: invalid selector "app in web": unable to parse requirement: found 'web', expected: '('`
    ],
    [
      "count with min",
      withSteps("    - at: 1s\n      expect:\n        - pods: {selector: app=web, count: 3, min: 1}\n"),
      "scenarios/x.yaml:12:44: spec.steps[0].expect[0].pods.count: give count, or min and/or max, not both"
    ],
    [
      "a check field not allowed",
      withSteps("    - at: 1s\n      expect:\n        - deployment/web: {readyReplica: 3}\n"),
      `scenarios/x.yaml:12:28: spec.steps[0].expect[0][deployment/web].readyReplica: unknown field "readyReplica", did you mean "readyReplicas"?`
    ],
    [
      "a pod check with a deployment field",
      withSteps("    - at: 1s\n      expect:\n        - pod/web-1: {replicas: 3}\n"),
      `scenarios/x.yaml:12:23: spec.steps[0].expect[0][pod/web-1].replicas: unknown field "replicas"; known: phase, node, ready, restarts`
    ],
    [
      "a check of an unknown node",
      withSteps("    - at: 1s\n      expect:\n        - node/node-7: {ready: true}\n"),
      `scenarios/x.yaml:12:11: spec.steps[0].expect[0][node/node-7]: unknown node "node-7"`
    ],
    [
      "two checks in one item",
      withSteps("    - at: 1s\n      expect:\n        - {pods: {}, unschedulable: 0}\n"),
      "scenarios/x.yaml:12:11: spec.steps[0].expect[0]: a check has one key: kind/NAME (deployment, replicaset, pod, node), pods, unschedulable, exists, absent"
    ],
    [
      "an empty expect",
      withSteps("    - at: 0s\n      expect: []\n"),
      "scenarios/x.yaml:11:15: spec.steps[0].expect: must list at least one check"
    ],
    [
      "a plural kind",
      withSteps("    - at: 1s\n      delete: deployments/web\n"),
      `scenarios/x.yaml:11:15: spec.steps[0].delete: write the kind lower-case singular: "deployment"`
    ],
    [
      "a kind scale does not take",
      withSteps("    - at: 1s\n      scale: {pod/web: 3}\n"),
      `scenarios/x.yaml:11:15: spec.steps[0].scale[pod/web]: kind not allowed here: "pod"; kinds: deployment, replicaset`
    ],
    [
      "unknown propagation",
      withSteps("    - at: 1s\n      delete: {ref: deployment/web, propagation: Cascade}\n"),
      `scenarios/x.yaml:11:50: spec.steps[0].delete.propagation: unknown propagation "Cascade"; known: Background, Foreground, Orphan`
    ],
    [
      "{file} missing",
      withSteps("    - at: 0s\n      apply: {file: manifests/web.yaml}\n"),
      `scenarios/x.yaml:11:21: spec.steps[0].apply.file: cannot read "scenarios/manifests/web.yaml": ENOENT: no such file or directory, open 'scenarios/manifests/web.yaml'`
    ],
    [
      "a manifest without kind",
      withSteps("    - at: 0s\n      apply:\n        apiVersion: v1\n        metadata: {name: a}\n"),
      "scenarios/x.yaml:12:9: spec.steps[0].apply.kind: required field is missing"
    ],
    [
      "a manifest without kind in a {file}",
      withSteps("    - at: 0s\n      apply: {file: manifests/nokind.yaml}\n"),
      "scenarios/manifests/nokind.yaml:5:1: spec.steps[0].apply.file[1].kind: required field is missing"
    ],
    [
      "a node group too large",
      minimal.replace("count: 3", "count: 1000000000"),
      "scenarios/x.yaml:8:35: spec.cluster.nodes[0].count: must be at most 10000"
    ],
    [
      "too many nodes in all",
      minimal.replace("count: 3", "count: 9000") +
        "      - {name: 'big-{i}', count: 900, cpu: 1, memory: 1Gi}\n" +
        "  steps:\n    - at: 1s\n      addNodes: {name: 'late-{i}', count: 101, cpu: 1, memory: 1Gi}\n",
      "scenarios/x.yaml:12:43: spec.steps[0].addNodes.count: 10001 nodes in all (node groups and addNodes); at most 10000 in total"
    ],
    [
      "a manifest with too many aliases",
      withSteps(
        "    - at: 0s\n      apply:\n        apiVersion: v1\n        kind: Pod\n        metadata: {name: a, labels: {a: &a x}}\n" +
          `        spec: {containers: [{name: c, image: busybox, args: [${Array(101).fill("*a").join(", ")}]}]}\n`
      ),
      "scenarios/x.yaml:12:9: spec.steps[0].apply: too many YAML aliases"
    ],
    [
      "a native resource among extended ones",
      minimal.replace(`memory: 8Gi}`, `memory: 8Gi, resources: {cpu: "8"}}`),
      `scenarios/x.yaml:8:73: spec.cluster.nodes[0].resources.cpu: "cpu" is not an extended resource name: it needs a domain prefix (example.com/gpu)`
    ],
    [
      "an extended resource in the kubernetes.io domain",
      minimal.replace(`memory: 8Gi}`, `memory: 8Gi, resources: {kubernetes.io/gpu: "8"}}`),
      `scenarios/x.yaml:8:73: spec.cluster.nodes[0].resources[kubernetes.io/gpu]: "kubernetes.io/gpu" is not an extended resource name: it needs a domain prefix (example.com/gpu)`
    ],
    [
      "a fractional extended resource",
      minimal.replace(`memory: 8Gi}`, `memory: 8Gi, resources: {nvidia.com/gpu: 500m}}`),
      `scenarios/x.yaml:8:89: spec.cluster.nodes[0].resources[nvidia.com/gpu]: must be a whole number, got "500m"`
    ],
    [
      "an extended resource that is not a quantity",
      minimal.replace(`memory: 8Gi}`, `memory: 8Gi, resources: {nvidia.com/gpu: lots}}`),
      `scenarios/x.yaml:8:89: spec.cluster.nodes[0].resources[nvidia.com/gpu]: invalid quantity "lots": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`
    ],
    [
      "a kind the API does not serve",
      withSteps("    - at: 0s\n      apply: {apiVersion: v1, kind: Deployment, metadata: {name: a}}\n"),
      `scenarios/x.yaml:11:37: spec.steps[0].apply.kind: no kind "Deployment" is served in version "v1"`
    ]
  ]

  it.each(cases)("%s", (_, text, message) => {
    const result = parseText(text)
    expect(Either.isLeft(result) ? result.left.toString() : "parsed").toBe(message)
  })

  it("answers an unexpected failure as an error at 1:1, never a throw", () => {
    const result = parse(withSteps("    - at: 0s\n      apply: {file: odd.yaml}\n"), "scenarios/x.yaml", () => {
      return 42 as unknown as string
    })
    const error = Either.isLeft(result) ? result.left : undefined
    expect(error && [error._tag, error.line, error.column, error.field]).toEqual(["ScenarioError", 1, 1, ""])
    expect(error?.message).not.toBe("")
  })

  it("keeps the parts of the error apart", () => {
    const result = parseText(
      withSteps("    - at: 0s\n      cordon: node-1\n    - at: 1s\n      fault: {crashNode: node-9}\n")
    )
    const error = Either.isLeft(result) ? result.left : undefined
    expect(error && [error._tag, error.file, error.line, error.column, error.field, error.message]).toEqual([
      "ScenarioError",
      "scenarios/x.yaml",
      13,
      26,
      "spec.steps[1].fault.crashNode",
      `unknown node "node-9"`
    ])
  })
})

// ---------------------------------------------------------------------------------------------
// Property: scenarios assembled from valid pieces parse to the model they were built from, in any
// YAML layout (block, flow, JSON).

interface Piece<Y, M> {
  readonly yaml: Y
  readonly model: M
}

const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}[a-z0-9]$/)
const within = (max: number) => fc.integer({ min: 0, max }).map((ms) => ({ ms, text: formatDuration(ms) }))

const nodeGroup = (prefix: string): fc.Arbitrary<Piece<Record<string, unknown>, NodeGroup>> =>
  fc
    .record(
      {
        count: fc.integer({ min: 1, max: 4 }),
        plain: fc.boolean(),
        cpu: fc.constantFrom("1", "4", "500m", "2.5"),
        memory: fc.constantFrom("1Gi", "512Mi", "8G"),
        pods: fc.integer({ min: 0, max: 250 }),
        labels: fc.dictionary(name, fc.constantFrom("a", "b", "gpu", ""), { maxKeys: 3 }),
        taints: fc.array(
          fc.record(
            { key: name, value: name, effect: fc.constantFrom("NoSchedule", "PreferNoSchedule", "NoExecute") },
            { requiredKeys: ["key", "effect"] }
          ),
          { maxLength: 2 }
        ),
        unschedulable: fc.boolean()
      },
      { requiredKeys: ["count", "plain", "cpu", "memory"] }
    )
    .map((g) => {
      const plain = g.plain && g.count === 1
      const { count: _, plain: __, ...fields } = g
      return {
        yaml: { name: plain ? prefix : `${prefix}-{i}`, ...(plain ? {} : { count: g.count }), ...fields },
        model: {
          names: plain ? [prefix] : Array.from({ length: g.count }, (_, i) => `${prefix}-${i + 1}`),
          cpu: g.cpu,
          memory: g.memory,
          pods: g.pods ?? 110,
          labels: g.labels ?? {},
          taints: g.taints ?? [],
          unschedulable: g.unschedulable ?? false
        }
      }
    })

const ref = fc.tuple(fc.option(name, { nil: undefined }), name).map(([namespace, n]) => ({
  text: namespace === undefined ? `deployment/${n}` : `${namespace}/deployment/${n}`,
  model: { kind: "deployment", namespace: namespace ?? "default", name: n }
}))

const piece = (yaml: Record<string, unknown>, model: Action): Piece<Record<string, unknown>, Action> => ({
  yaml,
  model
})

const action = (nodes: ReadonlyArray<string>): fc.Arbitrary<Piece<Record<string, unknown>, Action>> => {
  const node = fc.constantFrom(...nodes)
  const positive = fc.integer({ min: 1, max: 600_000 }).map((ms) => ({ ms, text: formatDuration(ms) }))
  return fc.oneof(
    fc.tuple(name, fc.nat(20)).map(([n, replicas]) => {
      const manifest = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: n }, spec: { replicas } }
      return piece({ apply: manifest }, { _tag: "apply", manifests: [manifest] })
    }),
    fc
      .tuple(ref, fc.constantFrom(undefined, "Background" as const, "Foreground" as const, "Orphan" as const))
      .map(([r, propagation]) =>
        piece(
          { delete: propagation === undefined ? r.text : { ref: r.text, propagation } },
          { _tag: "delete", ref: r.model, propagation: propagation ?? "Background" }
        )
      ),
    fc
      .tuple(ref, fc.nat(50))
      .map(([r, replicas]) =>
        piece({ scale: { [r.text]: replicas } }, { _tag: "scale", targets: [{ ref: r.model, replicas }] })
      ),
    fc
      .tuple(ref, name)
      .map(([r, container]) =>
        piece(
          { setImage: { [r.text]: { container, image: "nginx:1.28" } } },
          { _tag: "setImage", targets: [{ ref: r.model, container, image: "nginx:1.28" }] }
        )
      ),
    fc
      .tuple(fc.constantFrom("cordon" as const, "uncordon" as const), node)
      .map(([tag, n]) => piece({ [tag]: n }, { _tag: tag, node: n })),
    fc
      .tuple(node, positive)
      .map(([n, d]) =>
        piece(
          { fault: { partition: [n, "apiserver"], for: d.text } },
          { _tag: "fault", fault: { _tag: "partition", a: n, b: "apiserver", for: d.ms } }
        )
      ),
    fc
      .tuple(fc.constantFrom("crashNode" as const, "stopKubelet" as const), node)
      .map(([tag, n]) => piece({ fault: { [tag]: n } }, { _tag: "fault", fault: { _tag: tag, node: n } })),
    fc
      .tuple(within(100), positive)
      .map(([low, d]) =>
        piece(
          { fault: { slowNetwork: { latency: `${low.text}-${formatDuration(low.ms + 50)}`, for: d.text } } },
          { _tag: "fault", fault: { _tag: "slowNetwork", latency: { min: low.ms, max: low.ms + 50 }, for: d.ms } }
        )
      ),
    fc.tuple(ref, fc.nat(10), node).map(([r, ready, n]) =>
      piece(
        {
          expect: [
            { [r.text]: { readyReplicas: ready } },
            { pods: { selector: "app=web", phase: "Running", onNode: n, count: ready } },
            { exists: r.text }
          ]
        },
        {
          _tag: "expect",
          checks: [
            { check: { _tag: "object", ref: r.model, fields: { readyReplicas: ready } }, label: r.text, line: 0 },
            {
              check: { _tag: "pods", selector: "app=web", phase: "Running", onNode: n, count: ready },
              label: "pods",
              line: 0
            },
            { check: { _tag: "exists", ref: r.model }, label: `exists: ${r.text}`, line: 0 }
          ]
        }
      )
    )
  )
}

const scenario = fc
  .tuple(name, fc.option(fc.nat(), { nil: undefined }), fc.integer({ min: 1, max: 3 }))
  .chain(([scenarioName, seed, groupCount]) =>
    fc.tuple(...Array.from({ length: groupCount }, (_, i) => nodeGroup(`g${i}`))).chain((groups) => {
      const nodes = groups.flatMap((g) => g.model.names)
      const step = fc.tuple(
        fc.constantFrom("at" as const, "after" as const, "within" as const),
        within(60_000),
        action(nodes)
      )
      return fc.tuple(fc.array(step, { maxLength: 8 }), within(3_600_000)).map(([steps, extra]) => {
        let earliest = 0
        const built = steps.map(([tag, gap, act], i) => {
          const kind: StepTiming["_tag"] = tag === "within" && act.model._tag !== "expect" ? "after" : tag
          const millis = kind === "at" ? earliest + gap.ms : kind === "within" ? gap.ms + 1 : gap.ms
          if (kind !== "within") earliest = kind === "at" ? millis : earliest + millis
          return {
            yaml: { [kind]: formatDuration(millis), ...act.yaml },
            model: { index: i + 1, timing: { _tag: kind, millis }, action: act.model }
          }
        })
        const duration = earliest + extra.ms + 1
        const yaml = {
          apiVersion: "minik8s.io/v1alpha1",
          kind: "Scenario",
          metadata: { name: scenarioName },
          spec: {
            ...(seed === undefined ? {} : { seed }),
            duration: formatDuration(duration),
            cluster: { nodes: groups.map((g) => g.yaml) },
            steps: built.map((s) => s.yaml)
          }
        }
        const model = {
          file: "scenarios/x.yaml",
          name: scenarioName,
          description: "",
          seed: seed ?? 1,
          duration,
          cluster: { nodes: groups.map((g) => g.model), scheduler: { profile: "default" }, timing: defaultTiming },
          steps: built.map((s) => s.model),
          faults: [],
          invariants: safetyInvariants
        }
        return { yaml, model }
      })
    })
  )

/** The model without source lines, which differ between layouts of the same scenario. */
const withoutLines = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value, (key, v) => (key === "line" ? undefined : v)))

describe("parse, on scenarios built from valid pieces", () => {
  it("gives the model they were built from, whatever the YAML layout", () => {
    fc.assert(
      fc.property(scenario, ({ yaml, model }) => {
        for (const text of [
          YAML.stringify(yaml),
          YAML.stringify(yaml, { collectionStyle: "flow" }),
          JSON.stringify(yaml)
        ]) {
          expect(withoutLines(valid(text))).toEqual(withoutLines(model))
        }
      }),
      { seed: 42, numRuns: 100 }
    )
  })
})
