/**
 * Go decodes a missing field as its zero value and leaves it to validation, so the API server
 * hands `defaults` and `validate` (and the printers) objects with any field absent. This checks,
 * for every resource type, that they never throw on such objects.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as fc from "fast-check"
import { decode } from "./decode.js"
import { resources } from "./registry.js"
import type { ResourceType } from "./resource.js"

const meta = (name: string, namespace?: string) => ({
  name,
  ...(namespace === undefined ? {} : { namespace }),
  uid: "0b5c-11",
  resourceVersion: "7",
  generation: 2,
  creationTimestamp: "2024-01-01T00:00:00Z",
  labels: { app: "web", "example.com/tier": "fe" },
  annotations: { note: "x" },
  finalizers: ["example.com/keep"],
  ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-1", uid: "u-1", controller: true }]
})

const selector = {
  matchLabels: { app: "web" },
  matchExpressions: [{ key: "example.com/tier", operator: "In", values: ["fe", "be"] }]
}

const podSpec = {
  volumes: [{ name: "data", emptyDir: {} }],
  initContainers: [
    { name: "init", image: "busybox:1", command: ["true"] },
    { name: "sidecar", image: "envoy:1", restartPolicy: "Always", startupProbe: { exec: { command: ["ok"] } } }
  ],
  containers: [
    {
      name: "web",
      image: "nginx:1.25",
      args: ["-g"],
      workingDir: "/",
      ports: [{ name: "http", containerPort: 80, hostPort: 8080, protocol: "TCP" }],
      env: [{ name: "MODE", value: "prod" }],
      resources: { limits: { cpu: "1", memory: "1Gi" }, requests: { cpu: "500m", memory: "512Mi" } },
      volumeMounts: [{ name: "data", mountPath: "/data", readOnly: true }],
      livenessProbe: {
        httpGet: { path: "/healthz", port: "http", scheme: "HTTP", httpHeaders: [{ name: "X-Probe", value: "1" }] },
        periodSeconds: 10,
        successThreshold: 1,
        terminationGracePeriodSeconds: 5
      },
      readinessProbe: { tcpSocket: { port: 80 }, failureThreshold: 3 },
      startupProbe: { grpc: { port: 9090 } },
      lifecycle: { preStop: { sleep: { seconds: 1 } } },
      imagePullPolicy: "IfNotPresent",
      terminationMessagePolicy: "File"
    }
  ],
  restartPolicy: "Always",
  terminationGracePeriodSeconds: 30,
  dnsPolicy: "ClusterFirst",
  nodeSelector: { disk: "ssd" },
  serviceAccountName: "default",
  hostname: "web",
  subdomain: "svc",
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          {
            matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }],
            matchFields: [{ key: "metadata.name", operator: "In", values: ["node-1"] }]
          }
        ]
      },
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 10, preference: { matchExpressions: [{ key: "gpu", operator: "Exists" }] } }
      ]
    },
    podAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { labelSelector: selector, topologyKey: "zone", namespaces: ["default"] }
      ]
    },
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 50, podAffinityTerm: { labelSelector: { matchLabels: { app: "web" } }, topologyKey: "host" } }
      ]
    }
  },
  tolerations: [{ key: "dedicated", operator: "Equal", value: "web", effect: "NoSchedule" }],
  topologySpreadConstraints: [
    { maxSkew: 1, topologyKey: "zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: selector, minDomains: 2 }
  ],
  readinessGates: [{ conditionType: "example.com/ready" }],
  schedulingGates: [{ name: "example.com/gate" }],
  preemptionPolicy: "Never"
}

const containerStatus = (name: string) => ({
  name,
  ready: true,
  started: true,
  restartCount: 2,
  image: "nginx:1.25",
  state: { running: { startedAt: "2024-01-01T00:00:05Z" } },
  lastState: { terminated: { exitCode: 1, signal: 9, reason: "Error", finishedAt: "2024-01-01T00:00:04Z" } }
})

const condition = { type: "Ready", status: "True", reason: "Fine", lastTransitionTime: "2024-01-01T00:00:00Z" }

/** One object per kind with (nearly) every modelled field set. */
const samples: Record<string, unknown> = {
  Pod: {
    apiVersion: "v1",
    kind: "Pod",
    metadata: meta("web", "default"),
    spec: podSpec,
    status: {
      phase: "Running",
      reason: "",
      nominatedNodeName: "node-2",
      conditions: [condition, { type: "Initialized", status: "True" }],
      podIP: "10.1.0.5",
      podIPs: [{ ip: "10.1.0.5" }],
      hostIPs: [{ ip: "192.168.0.2" }],
      initContainerStatuses: [
        { ...containerStatus("init"), state: { terminated: { exitCode: 0, reason: "Completed" } } },
        containerStatus("sidecar")
      ],
      containerStatuses: [
        containerStatus("web"),
        { ...containerStatus("web"), state: { waiting: { reason: "CrashLoopBackOff" } } }
      ]
    }
  },
  Node: {
    apiVersion: "v1",
    kind: "Node",
    metadata: { ...meta("node-1"), labels: { "node-role.kubernetes.io/control-plane": "", "kubernetes.io/role": "x" } },
    spec: {
      podCIDR: "10.1.0.0/24",
      podCIDRs: ["10.1.0.0/24"],
      providerID: "sim://node-1",
      unschedulable: true,
      taints: [{ key: "dedicated", value: "web", effect: "NoSchedule" }]
    },
    status: {
      capacity: { cpu: "4", memory: "8Gi", pods: "110" },
      allocatable: { cpu: "3900m", memory: "7Gi" },
      conditions: [condition],
      addresses: [
        { type: "InternalIP", address: "192.168.0.2" },
        { type: "ExternalIP", address: "1.2.3.4" }
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: { kubeletVersion: "v1.31.0", osImage: "sim", kernelVersion: "6", containerRuntimeVersion: "sim://1" }
    }
  },
  Namespace: {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: meta("team-a"),
    spec: { finalizers: ["kubernetes"] },
    status: { phase: "Active", conditions: [condition] }
  },
  Service: {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta("web", "default"),
    spec: {
      type: "LoadBalancer",
      selector: { app: "web" },
      ports: [
        { name: "http", port: 80, targetPort: "http", protocol: "TCP", nodePort: 30080 },
        { name: "https", port: 443, targetPort: 8443 }
      ],
      clusterIP: "10.96.0.10",
      clusterIPs: ["10.96.0.10"],
      externalIPs: ["1.2.3.4"],
      externalName: "example.com",
      sessionAffinity: "ClientIP",
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
      externalTrafficPolicy: "Local",
      internalTrafficPolicy: "Cluster"
    },
    status: { loadBalancer: { ingress: [{ ip: "5.6.7.8" }, { hostname: "lb.example.com" }] } }
  },
  Endpoints: {
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: meta("web", "default"),
    subsets: [
      {
        addresses: [
          { ip: "10.1.0.5", hostname: "web-0", nodeName: "node-1", targetRef: { kind: "Pod", name: "web-0" } },
          { ip: "fd00::5" }
        ],
        notReadyAddresses: [{ ip: "10.1.0.6" }],
        ports: [
          { name: "http", port: 80, protocol: "TCP" },
          { name: "https", port: 443, protocol: "TCP" }
        ]
      }
    ]
  },
  Event: {
    apiVersion: "v1",
    kind: "Event",
    metadata: meta("web.1", "default"),
    involvedObject: { kind: "Pod", name: "web", namespace: "default", uid: "u", apiVersion: "v1", fieldPath: "spec" },
    reason: "Started",
    message: " Started container web ",
    source: { component: "kubelet", host: "node-1" },
    firstTimestamp: "2024-01-01T00:00:00Z",
    lastTimestamp: "2024-01-01T00:01:00Z",
    eventTime: "2024-01-01T00:00:00.000000Z",
    series: { count: 3, lastObservedTime: "2024-01-01T00:02:00.000000Z" },
    count: 3,
    type: "Normal",
    action: "Start",
    reportingComponent: "kubelet",
    reportingInstance: "node-1"
  },
  Deployment: {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: meta("web", "default"),
    spec: {
      replicas: 3,
      selector,
      template: { metadata: { labels: { app: "web", "example.com/tier": "fe" } }, spec: podSpec },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: "25%" } },
      minReadySeconds: 5,
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      paused: false
    },
    status: {
      observedGeneration: 2,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 2,
      availableReplicas: 2,
      unavailableReplicas: 1,
      conditions: [{ ...condition, type: "Available" }],
      collisionCount: 0
    }
  },
  ReplicaSet: {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: meta("web-1", "default"),
    spec: {
      replicas: 3,
      minReadySeconds: 5,
      selector,
      template: { metadata: { labels: { app: "web", "example.com/tier": "fe" } }, spec: podSpec }
    },
    status: { replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 2, availableReplicas: 2, conditions: [condition] }
  },
  Lease: {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: meta("node-1", "kube-node-lease"),
    spec: {
      holderIdentity: "node-1",
      leaseDurationSeconds: 40,
      acquireTime: "2024-01-01T00:00:00.000000Z",
      renewTime: "2024-01-01T00:00:10.000000Z",
      leaseTransitions: 1
    }
  }
}

const words = [
  "",
  "Always",
  "Never",
  "None",
  "ClusterIP",
  "NodePort",
  "ExternalName",
  "LoadBalancer",
  "Recreate",
  "RollingUpdate",
  "In",
  "NotIn",
  "Exists",
  "DoesNotExist",
  "Gt",
  "NoExecute",
  "True",
  "Ready",
  "0%",
  "150%",
  "http",
  "Bad_Name",
  "a/b/c",
  "2024-01-01T00:00:00Z",
  "not a time"
]

/** A value of the same JSON type as `sample`, often a troublesome one. */
const junk = (sample: string | number | boolean): fc.Arbitrary<unknown> =>
  typeof sample === "string"
    ? fc.oneof(fc.constantFrom(...words), fc.string({ maxLength: 8 }))
    : typeof sample === "number"
      ? fc.oneof(fc.constantFrom(0, -1, 1, 65536), fc.integer())
      : fc.boolean()

/** A random partial copy of `sample`: any field or element may be dropped, any scalar replaced by junk. */
const partial = (sample: unknown): fc.Arbitrary<unknown> => {
  if (Array.isArray(sample)) {
    return sample.length === 0 ? fc.constant([]) : fc.tuple(...sample.map(partial)).chain((xs) => fc.subarray(xs))
  }
  if (sample !== null && typeof sample === "object") {
    const fields = Object.entries(sample).map(([k, v]) => [k, partial(v)] as const)
    return fc.record(Object.fromEntries(fields), { requiredKeys: [] })
  }
  if (typeof sample === "string" || typeof sample === "number" || typeof sample === "boolean") {
    return fc.oneof({ arbitrary: fc.constant(sample), weight: 3 }, { arbitrary: junk(sample), weight: 1 })
  }
  return fc.constant(sample)
}

/** A partial object of a kind; its apiVersion and kind are given or absent, as other values are 400s. */
const partialObject = (sample: unknown): fc.Arbitrary<unknown> => {
  const fields = Object.entries(sample as Record<string, unknown>).map(
    ([k, v]) => [k, k === "apiVersion" || k === "kind" ? fc.constant(v) : partial(v)] as const
  )
  return fc.record(Object.fromEntries(fields), { requiredKeys: [] })
}

const now = "2024-01-02T00:00:00Z"

/** Everything the API server and the printers call on an object of `rt`, after decoding it. */
const exercise = (rt: ResourceType<any>, json: unknown, oldJson: unknown): void => {
  const decoded = decode(rt, json, "Strict")
  const old = decode(rt, oldJson, "Strict")
  // Junk quantities (or a fractional generation) are 400s, not objects the server would go on with.
  fc.pre(Either.isRight(decoded) && Either.isRight(old))
  const obj = decoded.right.object
  const defaulted = rt.defaults(obj)
  rt.validate(defaulted, undefined)
  rt.validate(defaulted, rt.defaults(old.right.object))
  for (const o of [obj, defaulted]) {
    for (const column of rt.columns) column.cell(o, now)
    for (const field of Object.values(rt.fields)) field(o)
    if (rt.scale !== undefined) {
      rt.scale.selector(o)
      rt.scale.specReplicas(rt.scale.withSpecReplicas(o, 2))
      rt.scale.statusReplicas(o)
    }
  }
  // What defaulting stores must still decode as the kind.
  expect(decode(rt, JSON.parse(JSON.stringify(defaulted)), "Strict")._tag).toBe("Right")
}

describe("partial objects", () => {
  for (const rt of resources) {
    it(`${rt.kind}: a full sample is valid once defaulted`, () => {
      const sample = samples[rt.kind]
      expect(sample).toBeDefined()
      const decoded = Either.getOrThrow(decode(rt, sample, "Strict")).object
      expect(rt.validate(rt.defaults(decoded), undefined)).toEqual([])
    })

    it(`${rt.kind}: defaults, validate, columns and fields never throw on partial objects`, () => {
      const arbitrary = partialObject(samples[rt.kind])
      fc.assert(
        fc.property(arbitrary, arbitrary, (obj, old) => exercise(rt, obj, old)),
        { seed: 42, numRuns: 100 }
      )
    })
  }
})
