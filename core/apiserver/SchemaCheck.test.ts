import * as Either from "effect/Either"
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { decode } from "../api/decode.js"
import { Deployments } from "../api/Deployment.js"
import { Events } from "../api/Event.js"
import { Leases } from "../api/Lease.js"
import { Nodes } from "../api/Node.js"
import { Pods } from "../api/Pod.js"
import { ReplicaSets } from "../api/ReplicaSet.js"
import type { ResourceType } from "../api/resource.js"
import { decodeValid } from "./SchemaCheck.js"

const container = {
  name: "app",
  image: "app:1",
  args: ["--port", "8080"],
  ports: [{ containerPort: 8080, protocol: "TCP" }],
  env: [{ name: "MODE", value: "fast" }],
  resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1" } },
  readinessProbe: { httpGet: { path: "/ready", port: 8080 }, periodSeconds: 5 },
  volumeMounts: [{ name: "data", mountPath: "/data", readOnly: true }],
  securityContext: { runAsUser: 1000, capabilities: { add: ["NET_ADMIN"] } }
}

const podSpec = {
  containers: [container],
  initContainers: [{ name: "init", image: "busybox", command: ["sh", "-c", "true"] }],
  volumes: [{ name: "data", emptyDir: {} }],
  nodeSelector: { disk: "ssd" },
  tolerations: [{ key: "k", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }],
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "In", values: ["a", "b"] }] }]
      }
    }
  },
  restartPolicy: "Always",
  terminationGracePeriodSeconds: 30
}

const meta = {
  name: "x",
  namespace: "default",
  labels: { app: "a" },
  annotations: { "sim.minik8s.io/run-for": "30s" },
  ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "u1", controller: true }],
  resourceVersion: "12",
  uid: "u2"
}

const samples: ReadonlyArray<readonly [ResourceType<any>, Record<string, unknown>]> = [
  [
    Pods,
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: meta,
      spec: podSpec,
      status: {
        phase: "Running",
        conditions: [{ type: "Ready", status: "True", lastTransitionTime: "2025-01-01T00:00:00Z" }],
        containerStatuses: [
          { name: "app", ready: true, restartCount: 0, image: "app:1", imageID: "", state: { running: {} } }
        ],
        podIP: "10.0.0.1",
        podIPs: [{ ip: "10.0.0.1" }]
      }
    }
  ],
  [Pods, { metadata: { name: "bare" }, spec: { containers: [{ name: "c" }] } }],
  [
    ReplicaSets,
    {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: meta,
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: "a" }, matchExpressions: [{ key: "t", operator: "Exists" }] },
        template: { metadata: { labels: { app: "a" } }, spec: podSpec }
      },
      status: { replicas: 3, readyReplicas: 2, observedGeneration: 1 }
    }
  ],
  [
    Deployments,
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: meta,
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "a" } },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 1 } },
        template: { metadata: { labels: { app: "a" } }, spec: podSpec }
      }
    }
  ],
  [
    Events,
    {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: "x.1", namespace: "default" },
      involvedObject: { kind: "Pod", name: "x", namespace: "default", uid: "u2" },
      reason: "Started",
      message: "Started container app",
      type: "Normal",
      source: { component: "kubelet", host: "node-1" },
      count: 1
    }
  ],
  [
    Leases,
    {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: "node-1", namespace: "kube-node-lease" },
      spec: { holderIdentity: "node-1", leaseDurationSeconds: 40, renewTime: "2025-01-01T00:00:00.000000Z" }
    }
  ],
  [
    Nodes,
    {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "node-1", labels: { "kubernetes.io/hostname": "node-1" } },
      spec: { taints: [{ key: "k", value: "v", effect: "NoSchedule" }] },
      status: {
        capacity: { cpu: "4", memory: "8Gi", pods: "110" },
        conditions: [{ type: "Ready", status: "True", reason: "KubeletReady" }],
        addresses: [{ type: "InternalIP", address: "10.0.0.2" }]
      }
    }
  ]
]

/** What a strict decode answers, or undefined when it refuses the body. */
const strict = (rt: ResourceType<any>, body: unknown) => {
  const decoded = decode(rt, body, "Strict")
  return Either.isRight(decoded) && decoded.right.warnings.length === 0 ? decoded.right.object : undefined
}

/** The fast path answers only what the decoder would, in the same key order. */
const agrees = (rt: ResourceType<any>, body: unknown): boolean => {
  const fast = decodeValid(rt, body)
  if (fast === undefined) return true
  const full = strict(rt, body)
  return full !== undefined && JSON.stringify(fast.object) === JSON.stringify(full) && fast.warnings.length === 0
}

/** A JSON-like value, `null` and `undefined` included. */
const anyValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom(null, undefined, true, false, 0, 1.5, -3, "", "a", "100m", "TCP", "Exists", "v1", "Pod"),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom("name", "app", "x", "type", "key"), tie("value"), { maxKeys: 3 })
  )
})).value

type Path = ReadonlyArray<string | number>

/** Every path to a value inside `u`. */
const pathsOf = (u: unknown, at: Path = []): Array<Path> => {
  if (typeof u !== "object" || u === null) return [at]
  const entries: Array<[string | number, unknown]> = Array.isArray(u) ? u.map((v, i) => [i, v]) : Object.entries(u)
  return [at, ...entries.flatMap(([k, v]) => pathsOf(v, [...at, k]))]
}

/** `u` with the value at `path` replaced (undefined: removed), or a key `extra` added there. */
const edited = (u: unknown, path: Path, value: unknown, extra: string | undefined): unknown => {
  if (path.length === 0) {
    if (extra !== undefined && typeof u === "object" && u !== null && !Array.isArray(u)) return { ...u, [extra]: value }
    return value
  }
  const [head, ...rest] = path
  if (Array.isArray(u)) return u.map((v, i) => (i === head ? edited(v, rest, value, extra) : v))
  const copy: Record<string, unknown> = { ...(u as Record<string, unknown>) }
  const next = edited(copy[head as string], rest, value, extra)
  if (next === undefined) delete copy[head as string]
  else copy[head as string] = next
  return copy
}

describe("SchemaCheck", () => {
  it("answers valid bodies as the strict decode does, in its key order", () => {
    for (const [rt, body] of samples) {
      const fast = decodeValid(rt, body)
      expect(fast, rt.kind).toBeDefined()
      expect(JSON.stringify(fast!.object)).toBe(JSON.stringify(strict(rt, body)))
    }
  })

  it("leaves to the decoder what it must refuse or change", () => {
    const [pods, pod] = samples[0]!
    expect(decodeValid(pods, { ...pod, extra: 1 })).toBeUndefined()
    expect(decodeValid(pods, { ...pod, kind: "Node" })).toBeUndefined()
    expect(decodeValid(pods, { ...pod, spec: { ...podSpec, nodeName: null } })).toBeUndefined()
    expect(decodeValid(pods, { ...pod, spec: { ...podSpec, priority: 1.5 } })).toBeUndefined()
    expect(decodeValid(pods, [pod])).toBeUndefined()
  })

  it("never answers differently from the decoder, whatever is changed in a valid body", () => {
    const cases = fc
      .constantFrom(...samples)
      .chain(([rt, body]) =>
        fc.tuple(
          fc.constant(rt),
          fc.constant(body),
          fc.constantFrom(...pathsOf(body)),
          anyValue,
          fc.option(fc.constantFrom("name", "extra", "app"), { nil: undefined })
        )
      )
    fc.assert(
      fc.property(cases, ([rt, body, path, value, extra]) => agrees(rt, edited(body, path, value, extra))),
      { seed: 42, numRuns: 3000 }
    )
  })
})
