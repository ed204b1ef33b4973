import { describe, expect, it } from "@effect/vitest"
import type { ContainerStatus, Pod } from "../api/Pod.js"
import type { ContainerInfo } from "../runtime/ContainerRuntime.js"
import * as PodStatus from "./PodStatus.js"

const pod = (restartPolicy: string, inits: ReadonlyArray<string> = []): Pod =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", namespace: "default", uid: "u" },
    spec: {
      restartPolicy,
      initContainers: inits.map((name) => ({ name, image: "busybox" })),
      containers: [
        { name: "a", image: "nginx" },
        { name: "b", image: "nginx" }
      ]
    }
  }) as Pod

const running: ContainerStatus = { name: "", ready: true, restartCount: 0, image: "nginx", state: { running: {} } }
const exited = (exitCode: number): ContainerStatus => ({ ...running, state: { terminated: { exitCode } } })
const waiting: ContainerStatus = { ...running, state: { waiting: { reason: "ContainerCreating" } } }
const restarting = (exitCode: number): ContainerStatus => ({
  ...running,
  state: { waiting: { reason: "CrashLoopBackOff" } },
  lastState: { terminated: { exitCode } }
})
const named = (a: ContainerStatus, b: ContainerStatus) => [
  { ...a, name: "a" },
  { ...b, name: "b" }
]

describe("phaseOf (getPhase)", () => {
  const cases: ReadonlyArray<readonly [string, string, ReadonlyArray<ContainerStatus>, boolean, string]> = [
    ["a container still waiting", "Always", named(running, waiting), false, "Pending"],
    ["all running", "Always", named(running, running), false, "Running"],
    ["one restarting, Always", "Always", named(running, restarting(1)), false, "Running"],
    ["all exited, Always: restarting", "Always", named(exited(0), exited(1)), false, "Running"],
    ["all exited 0, OnFailure", "OnFailure", named(exited(0), exited(0)), false, "Succeeded"],
    ["one failed, OnFailure: restarting", "OnFailure", named(exited(0), exited(1)), false, "Running"],
    ["one failed, Never", "Never", named(exited(0), exited(1)), false, "Failed"],
    ["all exited 0 once terminal, Always", "Always", named(exited(0), exited(0)), true, "Succeeded"],
    ["one failed once terminal, Always", "Always", named(exited(0), exited(143)), true, "Failed"],
    ["no statuses", "Always", [], false, "Pending"]
  ]
  for (const [title, policy, statuses, terminal, phase] of cases) {
    it(`${title}: ${phase}`, () => {
      expect(PodStatus.phaseOf(pod(policy), [], statuses, terminal)).toBe(phase)
    })
  }

  it("init containers: Pending while they run; a failed one fails a Never pod", () => {
    const app = named(waiting, waiting)
    expect(PodStatus.phaseOf(pod("Always", ["i"]), [{ ...running, name: "i" }], app, false)).toBe("Pending")
    expect(PodStatus.phaseOf(pod("Never", ["i"]), [{ ...exited(1), name: "i" }], app, false)).toBe("Failed")
    expect(PodStatus.phaseOf(pod("Always", ["i"]), [{ ...restarting(1), name: "i" }], app, false)).toBe("Pending")
  })
})

describe("generate", () => {
  const info = (name: string, state: ContainerInfo["state"], extra: Partial<ContainerInfo> = {}): ContainerInfo => ({
    id: `id-${name}`,
    pod: { uid: "u", namespace: "default", name: "p" },
    sandboxId: "s",
    name,
    attempt: 0,
    image: "nginx",
    imageId: "sha256:x",
    state,
    createdAt: 0,
    startedAt: 0,
    ...extra
  })
  const input = (overrides: Partial<PodStatus.StatusInput>): PodStatus.StatusInput => ({
    pod: pod("Always"),
    previous: undefined,
    runtimePod: {
      uid: "u",
      sandboxes: [
        {
          id: "s",
          pod: { uid: "u", namespace: "default", name: "p" },
          attempt: 0,
          state: "Ready",
          ip: "10.244.0.9",
          createdAt: 0
        }
      ],
      containers: [info("a", "Running"), info("b", "Running")]
    },
    runtimeType: "memory",
    ready: () => true,
    started: () => true,
    reasons: new Map(),
    terminal: false,
    hostIP: "10.0.0.1",
    startTime: "1970-01-01T00:00:00Z",
    now: "1970-01-01T00:01:00Z",
    ...overrides
  })

  it("keeps a condition's transition time while its status holds, and others' conditions", () => {
    const first = PodStatus.generate(
      input({ previous: { conditions: [{ type: "DisruptionTarget", status: "True" }], qosClass: "BestEffort" } })
    )
    expect(first.conditions?.[0]).toEqual({ type: "DisruptionTarget", status: "True" })
    expect(first.qosClass).toBe("BestEffort")
    const later = PodStatus.generate(input({ previous: first, now: "1970-01-01T00:05:00Z" }))
    expect(later.conditions?.find((c) => c.type === "Ready")?.lastTransitionTime).toBe("1970-01-01T00:01:00Z")
    const unready = PodStatus.generate(input({ previous: later, ready: () => false, now: "1970-01-01T00:06:00Z" }))
    expect(unready.conditions?.find((c) => c.type === "Ready")).toMatchObject({
      status: "False",
      reason: "ContainersNotReady",
      message: "containers with unready status: [a b]",
      lastTransitionTime: "1970-01-01T00:06:00Z"
    })
  })

  it("a container that ran and vanished (the node rebooted) counts as stopped: the pod stays Running", () => {
    const before = PodStatus.generate(input({}))
    expect(before.phase).toBe("Running")
    const after = PodStatus.generate(
      input({ previous: before, runtimePod: { uid: "u", sandboxes: [], containers: [] }, ready: () => false })
    )
    expect(after.phase).toBe("Running")
    const a = after.containerStatuses?.find((c) => c.name === "a")
    expect(a?.state).toEqual({ waiting: { reason: "ContainerCreating" } })
    expect(a?.lastState?.terminated).toMatchObject({ reason: "ContainerStatusUnknown", exitCode: 137 })
    expect(a?.restartCount).toBe(1)
    // The next sync, with that last state kept, counts no further restart.
    const again = PodStatus.generate(
      input({ previous: after, runtimePod: { uid: "u", sandboxes: [], containers: [] }, ready: () => false })
    )
    expect(again.containerStatuses?.find((c) => c.name === "a")?.restartCount).toBe(1)
  })

  it("a pod that reached a final phase stays there", () => {
    const status = PodStatus.generate(input({ previous: { phase: "Succeeded" } }))
    expect(status.phase).toBe("Succeeded")
  })

  it("a container that cannot start waits with the reason, its last run kept as lastState", () => {
    const status = PodStatus.generate(
      input({
        runtimePod: {
          uid: "u",
          sandboxes: [],
          containers: [info("a", "Running"), info("b", "Exited", { exitCode: 1, reason: "Error", finishedAt: 5000 })]
        },
        reasons: new Map([["b", { reason: "CrashLoopBackOff", message: "back-off 10s" }]])
      })
    )
    const b = status.containerStatuses?.find((s) => s.name === "b")
    expect(b?.state).toEqual({ waiting: { reason: "CrashLoopBackOff", message: "back-off 10s" } })
    expect(b?.lastState?.terminated).toMatchObject({ exitCode: 1, reason: "Error", finishedAt: "1970-01-01T00:00:05Z" })
    expect(status.phase).toBe("Running")
  })
})
