/**
 * The Kubernetes objects a workload's arrivals become, the same for a bench run (bench/Experiment)
 * and for the workload written as a scenario (WorkloadFile.toScenario): a bare pod with the
 * `sim.minik8s.io/run-for` annotation when it has a duration (restartPolicy Never, so it Succeeds),
 * or a Deployment; labels carry the workload, the app and the batch group.
 */
import { runForAnnotation } from "../../core/runtime/MemoryRuntime.js"
import { cpuText, durationText, memoryText } from "./Units.js"
import type { Arrival, Requests, Workload } from "./Workload.js"

/** The label naming a pod's batch job (job completion time is per group). */
export const groupLabel = "minik8s.io/group"
export const workloadLabel = "minik8s.io/workload"

const resourceRequirements = (requests: Requests) => {
  const list: Record<string, string | number> = { cpu: cpuText(requests.cpu), memory: memoryText(requests.memory) }
  const extra = Object.entries(requests.extended ?? {}).filter(([, n]) => n > 0)
  for (const [name, n] of extra) list[name] = n
  // Extended resources cannot be overcommitted: Kubernetes wants their limit equal to the request.
  return extra.length === 0 ? { requests: list } : { requests: list, limits: Object.fromEntries(extra) }
}

const podSpec = (workload: Workload, a: Arrival, labels: Readonly<Record<string, string>>, restartPolicy: string) => ({
  restartPolicy,
  ...(a.priority === undefined ? {} : { priority: a.priority }),
  ...(a.nodeSelector === undefined ? {} : { nodeSelector: a.nodeSelector }),
  ...(a.tolerations === undefined ? {} : { tolerations: a.tolerations }),
  ...(a.spread === undefined
    ? {}
    : {
        topologySpreadConstraints: a.spread.map((c) => ({
          ...c,
          labelSelector: c.labelSelector ?? { matchLabels: labels }
        }))
      }),
  containers: [{ name: "task", image: `${workload.name}:1`, resources: resourceRequirements(a.requests) }]
})

/** The object an arrival creates: a Pod (with its run-for annotation) or a Deployment, in the default namespace. */
export const manifestOf = (workload: Workload, a: Arrival): Record<string, unknown> => {
  if (a.kind === "Pod") {
    const labels = {
      ...a.labels,
      [workloadLabel]: workload.name,
      app: a.group ?? a.name,
      ...(a.group === undefined ? {} : { [groupLabel]: a.group })
    }
    return {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: a.name,
        labels,
        ...(a.duration === undefined ? {} : { annotations: { [runForAnnotation]: durationText(a.duration) } })
      },
      spec: podSpec(workload, a, labels, a.duration === undefined ? "Always" : "Never")
    }
  }
  const labels = { ...a.labels, [workloadLabel]: workload.name, app: a.name }
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: a.name, labels },
    spec: {
      replicas: a.replicas,
      selector: { matchLabels: { app: a.name } },
      template: { metadata: { labels }, spec: podSpec(workload, a, labels, "Always") }
    }
  }
}
