import { describe, expect, it } from "@effect/vitest"
import { patchStrategy } from "./patchStrategy.js"

const merge = (mergeKey?: string) => (mergeKey === undefined ? { strategy: "merge" } : { strategy: "merge", mergeKey })

describe("patchStrategy", () => {
  // kind, path, the tags Kubernetes declares on that field
  const tagged: ReadonlyArray<readonly [string, string, object]> = [
    ["Pod", "metadata.ownerReferences", merge("uid")],
    ["Pod", "metadata.finalizers", merge()],
    ["Pod", "spec.containers", merge("name")],
    ["Pod", "spec.initContainers", merge("name")],
    ["Pod", "spec.ephemeralContainers", merge("name")],
    ["Pod", "spec.volumes", { strategy: "merge,retainKeys", mergeKey: "name" }],
    ["Pod", "spec.imagePullSecrets", merge("name")],
    ["Pod", "spec.hostAliases", merge("ip")],
    ["Pod", "spec.topologySpreadConstraints", merge("topologyKey")],
    ["Pod", "spec.containers.ports", merge("containerPort")],
    ["Pod", "spec.containers.env", merge("name")],
    ["Pod", "spec.initContainers.volumeMounts", merge("mountPath")],
    ["Pod", "spec.containers.volumeDevices", merge("devicePath")],
    ["Pod", "status.conditions", merge("type")],
    ["Pod", "status.podIPs", merge("ip")],
    ["Deployment", "metadata.finalizers", merge()],
    ["Deployment", "spec.strategy", { strategy: "retainKeys" }],
    ["Deployment", "spec.template.metadata.ownerReferences", merge("uid")],
    ["Deployment", "spec.template.spec.containers", merge("name")],
    ["Deployment", "spec.template.spec.containers.env", merge("name")],
    ["Deployment", "status.conditions", merge("type")],
    ["ReplicaSet", "spec.template.spec.volumes", { strategy: "merge,retainKeys", mergeKey: "name" }],
    ["ReplicaSet", "status.conditions", merge("type")],
    ["Node", "spec.podCIDRs", merge()],
    ["Node", "status.conditions", merge("type")],
    ["Node", "status.addresses", merge("type")],
    ["Service", "spec.ports", merge("port")],
    ["Service", "status.conditions", merge("type")],
    ["Namespace", "status.conditions", merge("type")],
    ["Event", "metadata.ownerReferences", merge("uid")],
    ["Lease", "metadata.finalizers", merge()],
    ["Endpoints", "metadata.finalizers", merge()]
  ]
  it.each(tagged)("%s %s", (kind, path, expected) => {
    expect(patchStrategy(kind, path.split("."))).toStrictEqual(expected)
  })

  // Fields Kubernetes leaves atomic (replaced by a patch), and paths that name nothing.
  const untagged: ReadonlyArray<readonly [string, string]> = [
    ["Pod", "spec.tolerations"],
    ["Pod", "spec.readinessGates"],
    ["Pod", "spec.containers.envFrom"],
    ["Pod", "spec.containers.command"],
    ["Pod", "status.containerStatuses"],
    ["Node", "spec.taints"],
    ["Endpoints", "subsets"],
    ["Namespace", "spec.finalizers"],
    ["Deployment", "spec.template.spec.tolerations"],
    ["Deployment", "spec.selector.matchExpressions"],
    ["Pod", "spec"],
    ["Pod", ""],
    ["Widget", "spec.containers"],
    ["constructor", ""],
    ["Pod", "constructor"],
    ["Pod", "spec.containers.toString"]
  ]
  it.each(untagged)("%s %s has none", (kind, path) => {
    expect(patchStrategy(kind, path === "" ? [] : path.split("."))).toBeUndefined()
  })
})
