import { describe, expect, it } from "@effect/vitest"
import type { Binding, Container, Pod } from "./Pod.js"
import { defaultPullPolicy, Pods, summarize, validateBinding } from "./Pod.js"

const lines = (errors: ReadonlyArray<{ field: string; message: string }>) =>
  errors.map((e) => `${e.field}: ${e.message}`)

const pod = (
  containers: ReadonlyArray<Container> = [{ name: "web", image: "nginx:1.25" }],
  extra: Partial<Pod> = {}
): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", namespace: "default", creationTimestamp: "2024-01-01T00:00:00Z" },
  spec: { containers },
  ...extra
})

const now = "2024-01-01T00:05:12Z"
const cells = (p: Pod) => Object.fromEntries(Pods.columns.map((c) => [c.name, c.cell(p, now)]))

describe("Pod defaults", () => {
  it("fills the pod spec, container, probe and admission defaults", () => {
    const probe = { httpGet: { port: 8080 } }
    const p = Pods.defaults(
      pod([{ name: "web", image: "nginx", ports: [{ containerPort: 80 }], readinessProbe: probe }])
    )
    expect(p.spec).toMatchObject({
      restartPolicy: "Always",
      terminationGracePeriodSeconds: 30,
      dnsPolicy: "ClusterFirst",
      schedulerName: "default-scheduler",
      enableServiceLinks: true,
      serviceAccountName: "default",
      priority: 0,
      preemptionPolicy: "PreemptLowerPriority",
      tolerations: [
        { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
        { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }
      ]
    })
    expect(p.spec?.containers?.[0]).toMatchObject({
      imagePullPolicy: "Always",
      terminationMessagePath: "/dev/termination-log",
      terminationMessagePolicy: "File",
      ports: [{ containerPort: 80, protocol: "TCP" }],
      readinessProbe: {
        httpGet: { port: 8080, path: "/", scheme: "HTTP" },
        timeoutSeconds: 1,
        periodSeconds: 10,
        successThreshold: 1,
        failureThreshold: 3
      }
    })
    // Status (phase, QoS class) is the API server's to set on create, not a default.
    expect(p.status).toBeUndefined()
  })

  it("picks the pull policy from the tag", () => {
    expect(defaultPullPolicy("nginx")).toBe("Always")
    expect(defaultPullPolicy("nginx:latest")).toBe("Always")
    expect(defaultPullPolicy("nginx:1.25")).toBe("IfNotPresent")
    expect(defaultPullPolicy("registry:5000/nginx")).toBe("Always")
    expect(defaultPullPolicy("nginx@sha256:abc")).toBe("IfNotPresent")
  })

  it("defaults requests to limits and canonicalises quantities", () => {
    const p = Pods.defaults(
      pod([
        { name: "web", image: "x:1", resources: { limits: { cpu: 1, memory: "1024Mi" }, requests: { cpu: "500m" } } }
      ])
    )
    expect(p.spec?.containers?.[0]?.resources).toEqual({
      limits: { cpu: "1", memory: "1Gi" },
      requests: { cpu: "500m", memory: "1Gi" }
    })
  })

  it("never overwrites given values, and keeps existing not-ready tolerations", () => {
    const tolerations = [{ operator: "Exists" }]
    const given = pod([{ name: "web", image: "x:1", imagePullPolicy: "Never" }], {})
    const p = Pods.defaults({
      ...given,
      spec: { ...given.spec, restartPolicy: "Never", terminationGracePeriodSeconds: 5, tolerations }
    })
    expect(p.spec?.restartPolicy).toBe("Never")
    expect(p.spec?.terminationGracePeriodSeconds).toBe(5)
    expect(p.spec?.containers?.[0]?.imagePullPolicy).toBe("Never")
    expect(p.spec?.tolerations).toEqual(tolerations)
    expect(Pods.defaults(p)).toEqual(p)
  })
})

describe("Pod validation", () => {
  const valid = Pods.defaults(pod())

  it("accepts a defaulted pod", () => {
    expect(Pods.validate(valid, undefined)).toEqual([])
  })

  it("requires containers, images and unique valid names", () => {
    const p = Pods.defaults(pod([{ name: "web" }, { name: "web", image: "x:1" }, { name: "Bad_Name", image: "x:1" }]))
    expect(lines(Pods.validate(p, undefined))).toEqual([
      "spec.containers[0].image: Required value",
      'spec.containers[1].name: Duplicate value: "web"',
      expect.stringMatching(
        /^spec\.containers\[2\]\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 label must consist/
      )
    ])
    expect(lines(Pods.validate(Pods.defaults(pod([])), undefined))).toEqual(["spec.containers: Required value"])
  })

  it("reports absent required fields as Required (Go decodes them as zero values)", () => {
    const { spec: _, ...specless } = pod()
    expect(lines(Pods.validate(Pods.defaults(specless), undefined))).toEqual(["spec.containers: Required value"])
    const p = Pods.defaults(
      pod([
        {
          image: "x:1",
          env: [{ value: "v" }],
          volumeMounts: [{}],
          readinessProbe: { httpGet: { httpHeaders: [{ value: "v" }] } },
          livenessProbe: { grpc: {} }
        }
      ])
    )
    const gated = { ...p, spec: { ...p.spec, readinessGates: [{}], schedulingGates: [{}], volumes: [{}] } }
    expect(lines(Pods.validate(gated, undefined))).toEqual([
      "spec.volumes[0].name: Required value",
      "spec.containers[0].name: Required value",
      "spec.containers[0].env[0].name: Required value",
      "spec.containers[0].volumeMounts[0].name: Required value",
      "spec.containers[0].volumeMounts[0].mountPath: Required value",
      "spec.containers[0].livenessProbe.grpc.port: Invalid value: 0: must be between 1 and 65535, inclusive",
      "spec.containers[0].readinessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive",
      `spec.containers[0].readinessProbe.httpGet.httpHeaders: Invalid value: "": a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')`,
      'spec.readinessGates[0].conditionType: Invalid value: "": name part must be non-empty',
      expect.stringMatching(/^spec\.readinessGates\[0\]\.conditionType: Invalid value: "": name part must consist/),
      'spec.schedulingGates[0]: Invalid value: "": name part must be non-empty',
      expect.stringMatching(/^spec\.schedulingGates\[0\]: Invalid value: "": name part must consist/)
    ])
  })

  it("validates a binding's target", () => {
    const binding = (target: Binding["target"]): Binding => ({
      apiVersion: "v1",
      kind: "Binding",
      metadata: { name: "web" },
      ...(target === undefined ? {} : { target })
    })
    expect(validateBinding(binding({ kind: "Node", name: "node-1" }))).toEqual([])
    expect(lines(validateBinding(binding(undefined)))).toEqual(["target.name: Required value"])
    expect(lines(validateBinding(binding({ kind: "Pod", name: "x" })))).toEqual([
      'target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>"'
    ])
  })

  it("checks enums, ports and requests against limits", () => {
    const container: Container = {
      name: "web",
      image: "x:1",
      ports: [{ containerPort: 0, protocol: "ICMP" }, { containerPort: 70000 }],
      resources: { limits: { cpu: "1" }, requests: { cpu: "2", memory: "-1" } }
    }
    const p = Pods.defaults(pod([container]))
    expect(lines(Pods.validate({ ...p, spec: { ...p.spec, restartPolicy: "Sometimes" } }, undefined))).toEqual([
      "spec.containers[0].ports[0].containerPort: Required value",
      'spec.containers[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
      "spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
      'spec.containers[0].resources.requests[memory]: Invalid value: "-1": must be greater than or equal to 0',
      'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'
    ])
  })

  it("checks tolerations, affinity and topology spread", () => {
    const p = Pods.defaults(
      pod(undefined, {
        spec: {
          containers: [{ name: "web", image: "x:1" }],
          tolerations: [
            { key: "", operator: "Equal", value: "x" },
            { key: "k", effect: "NoSchedule", tolerationSeconds: 5 }
          ],
          affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } },
          topologySpreadConstraints: [{ maxSkew: 0, topologyKey: "zone", whenUnsatisfiable: "Sometimes" }]
        }
      })
    )
    expect(lines(Pods.validate(p, undefined))).toEqual([
      'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
      "spec.tolerations[1].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set",
      "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term",
      "spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero",
      'spec.topologySpreadConstraints[0].whenUnsatisfiable: Unsupported value: "Sometimes": supported values: "DoNotSchedule", "ScheduleAnyway"'
    ])
  })

  it("lets an update change only images, a shorter deadline and added tolerations", () => {
    const withImage = {
      ...valid,
      spec: { ...valid.spec, containers: [{ ...valid.spec?.containers?.[0], image: "nginx:1.26" }] }
    }
    expect(Pods.validate(withImage, valid)).toEqual([])
    const added = {
      ...valid,
      spec: { ...valid.spec, tolerations: [...(valid.spec?.tolerations ?? []), { key: "x", operator: "Exists" }] }
    }
    expect(Pods.validate(added, valid)).toEqual([])
    const moved = { ...valid, spec: { ...valid.spec, nodeName: "node-2" } }
    expect(lines(Pods.validate(moved, valid))).toEqual([
      expect.stringMatching(
        /^spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\]\.image`/
      )
    ])
    const removed = { ...valid, spec: { ...valid.spec, tolerations: [] } }
    expect(lines(Pods.validate(removed, valid))).toContain(
      "spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"
    )
    const renamed = { ...valid, metadata: { ...valid.metadata, name: "other" } }
    expect(lines(Pods.validate(renamed, valid))).toEqual(['metadata.name: Invalid value: "other": field is immutable'])
  })
})

describe("Pod printing", () => {
  const running = (
    statuses: NonNullable<Pod["status"]>["containerStatuses"],
    extra: Partial<NonNullable<Pod["status"]>> = {}
  ) =>
    Pods.defaults({
      ...pod([
        { name: "a", image: "x:1" },
        { name: "b", image: "x:1" }
      ]),
      status: { phase: "Running", containerStatuses: statuses, ...extra }
    })

  it("shows ready/total, STATUS, RESTARTS and AGE as kubectl does", () => {
    const p = running([
      {
        name: "a",
        ready: true,
        restartCount: 0,
        image: "x:1",
        state: { running: { startedAt: "2024-01-01T00:00:01Z" } }
      },
      {
        name: "b",
        ready: false,
        restartCount: 3,
        image: "x:1",
        state: { waiting: { reason: "CrashLoopBackOff" } },
        lastState: { terminated: { exitCode: 1, finishedAt: "2024-01-01T00:04:12Z" } }
      }
    ])
    expect(cells(p)).toMatchObject({
      Name: "web",
      Ready: "1/2",
      Status: "CrashLoopBackOff",
      Restarts: "3 (60s ago)",
      Age: "5m12s"
    })
  })

  it("shows Completed, exit codes, init progress and Terminating", () => {
    const done = running([
      {
        name: "a",
        ready: false,
        restartCount: 0,
        image: "x:1",
        state: { terminated: { exitCode: 0, reason: "Completed" } }
      },
      { name: "b", ready: false, restartCount: 0, image: "x:1", state: { terminated: { exitCode: 2 } } }
    ])
    expect(summarize(done).reason).toBe("Completed")
    const initializing = Pods.defaults({
      ...pod(),
      spec: { containers: [{ name: "web", image: "x:1" }], initContainers: [{ name: "init", image: "x:1" }] },
      status: {
        phase: "Pending",
        initContainerStatuses: [{ name: "init", ready: false, restartCount: 0, image: "x:1", state: { running: {} } }]
      }
    })
    expect(summarize(initializing).reason).toBe("Init:0/1")
    const deleting = {
      ...running([]),
      metadata: { ...running([]).metadata, deletionTimestamp: "2024-01-01T00:05:00Z" }
    }
    expect(summarize(deleting).reason).toBe("Terminating")
  })

  it("shows IP, node and readiness gates with -o wide", () => {
    const p = running([], {
      podIP: "10.1.0.5",
      podIPs: [{ ip: "10.1.0.5" }],
      conditions: [{ type: "example.com/ready", status: "True" }]
    })
    const wide = cells({
      ...p,
      spec: { ...p.spec, nodeName: "node-1", readinessGates: [{ conditionType: "example.com/ready" }] }
    })
    expect(wide).toMatchObject({ IP: "10.1.0.5", Node: "node-1", "Nominated Node": "<none>", "Readiness Gates": "1/1" })
    expect(Pods.columns.filter((c) => c.priority === 0).map((c) => c.name)).toEqual([
      "Name",
      "Ready",
      "Status",
      "Restarts",
      "Age"
    ])
  })

  it("exposes the field-selector fields", () => {
    const p = running([])
    expect(Pods.fields["status.phase"](p)).toBe("Running")
    expect(Pods.fields["spec.nodeName"](p)).toBe("")
    expect(Pods.fields["spec.schedulerName"](p)).toBe("default-scheduler")
  })
})
