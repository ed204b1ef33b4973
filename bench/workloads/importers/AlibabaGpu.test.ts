import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Fs from "node:fs"
import * as V from "../../../core/api/validation.js"
import type { PodArrival } from "../Workload.js"
import { importOpenbPods, openbNodes } from "./AlibabaGpu.js"

const sample = (name: string) => Fs.readFileSync(new URL(`./testdata/${name}`, import.meta.url), "utf8")
const GiB = 1024 ** 3
const MiB = 1024 ** 2
const errorOf = (result: Either.Either<unknown, { toString(): string }>) =>
  Either.isLeft(result) ? result.left.toString() : "no error"

const header =
  "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time"
const nodeList = Either.getOrThrow(openbNodes(sample("openb_node_list_gpu_node.csv"), "openb_node_list_gpu_node.csv"))
const workload = Either.getOrThrow(
  importOpenbPods(sample("openb_pod_list_sample.csv"), "testdata/openb_pod_list_sample.csv", { nodes: nodeList.nodes })
)
const pod = (name: string) => (workload.arrivals as ReadonlyArray<PodArrival>).find((p) => p.name === name)

describe("Alibaba GPU (openb) pods", () => {
  it("makes a pod per row from creation to deletion, whatever its phase", () => {
    expect(workload.name).toBe("openb_pod_list_sample")
    expect(workload.arrivals.length).toBe(12)
    expect(workload.skipped).toEqual({ badTimes: 1, zeroDuration: 1 })
    expect(workload.arrivals[0]).toEqual({
      kind: "Pod",
      name: "openb-pod-0017",
      at: 0,
      duration: 1_332_357_000,
      labels: { "trace.minik8s.io/qos": "Burstable" },
      requests: {
        cpu: 88_000,
        memory: 327_680 * MiB,
        extended: { "nvidia.com/gpu": 8, "alibabacloud.com/gpu-milli": 8000 }
      }
    })
    // A Failed or Pending pod still asked for its resources; no deletion time: runs to the end.
    expect(pod("openb-pod-0061")?.duration).toBe(125_000)
    expect(pod("openb-pod-0200")?.duration).toBeUndefined()
    expect(pod("openb-pod-0048")?.requests).toEqual({ cpu: 8000, memory: 30_517 * MiB })
  })

  it("counts a GPU share in thousandths, and whole GPUs in both resources", () => {
    expect(pod("openb-pod-0022")).toEqual({
      kind: "Pod",
      name: "openb-pod-0022",
      at: (9_679_175 - 9_437_497) * 1000,
      duration: (9_973_826 - 9_679_175) * 1000,
      labels: { "trace.minik8s.io/qos": "BE" },
      requests: { cpu: 4000, memory: 15_258 * MiB, extended: { "alibabacloud.com/gpu-milli": 220 } }
    })
    expect(pod("openb-pod-0300")?.requests.extended).toEqual({
      "nvidia.com/gpu": 2,
      "alibabacloud.com/gpu-milli": 2000
    })
  })

  it("turns gpu_spec into a node selector that exactly the nodes of those models carry", () => {
    expect(pod("openb-pod-0035")?.nodeSelector).toEqual({ "gpu-spec.minik8s.io/V100M16_V100M32": "true" })
    expect(pod("openb-pod-0301")?.nodeSelector).toBeUndefined()
    const carrying = (key: string) =>
      workload.nodes.filter((g) => g.labels?.[key] === "true").map((g) => `${g.name}×${g.count}`)
    expect(carrying("gpu-spec.minik8s.io/V100M16_V100M32")).toEqual([
      "openb-96c-768g-8gpu-v100m32×2",
      "openb-32c-128g-4gpu-v100m16×1"
    ])
    expect(carrying("gpu-spec.minik8s.io/P100_T4")).toEqual([
      "openb-64c-256g-2gpu-p100×2",
      "openb-96c-384g-4gpu-t4×1",
      "openb-104c-512g-2gpu-t4×1"
    ])
    for (const g of workload.nodes)
      for (const key of Object.keys(g.labels ?? {})) expect(V.qualifiedName(key)).toEqual([])
  })

  it("rejects a malformed row naming file, line, column and column name", () => {
    const ok = "openb-pod-0,4000,15258,1,220,,BE,Running,0,10,0"
    expect(errorOf(importOpenbPods(`${header}\n${ok}\nopenb-pod-1,4000,16GiB,1,220,,BE,Running,0,10,0`, "p.csv"))).toBe(
      'p.csv:3:18: memory_mib: not a number: "16GiB"'
    )
    expect(errorOf(importOpenbPods(`${header}\nopenb-pod-1,4000,15258,1,1200,,BE,Running,0,10,0`, "p.csv"))).toBe(
      "p.csv:2:26: gpu_milli: must be 1–1000 when num_gpu is 1, found 1200"
    )
    expect(errorOf(importOpenbPods(`${header}\nopenb-pod-1,4000,15258,1,220,,HIGH,Running,0,10,0`, "p.csv"))).toBe(
      'p.csv:2:31: qos: unknown value "HIGH" (expected one of LS, BE, Burstable, Guaranteed)'
    )
    expect(errorOf(importOpenbPods("name,cpu_milli\nx,1", "p.csv"))).toBe(
      "p.csv:1:15: memory_mib: missing from the header (name,cpu_milli)"
    )
  })
})

describe("Alibaba GPU (openb) nodes", () => {
  it("folds identical nodes into groups offering whole GPUs and thousandths of them", () => {
    expect(nodeList.nodes.map((g) => [g.name, g.count])).toEqual([
      ["openb-64c-256g-2gpu-p100", 2],
      ["openb-96c-768g-8gpu-v100m32", 2],
      ["openb-32c-128g-4gpu-v100m16", 1],
      ["openb-96c-384g-8gpu-g2", 3],
      ["openb-96c-384g-4gpu-t4", 1],
      ["openb-104c-512g-2gpu-t4", 1],
      ["openb-128c-768g-8gpu-g3", 1]
    ])
    expect(nodeList.nodes[3]).toEqual({
      name: "openb-96c-384g-8gpu-g2",
      count: 3,
      cpu: 96_000,
      memory: 384 * GiB,
      extended: { "nvidia.com/gpu": 8, "alibabacloud.com/gpu-milli": 8000 },
      labels: { "alibabacloud.com/gpu-card-model": "G2" }
    })
    const cpuOnly = Either.getOrThrow(
      openbNodes("sn,cpu_milli,memory_mib,gpu,model\nopenb-node-0227,32000,262144,0,nan", "n.csv")
    )
    expect(cpuOnly.nodes).toEqual([{ name: "openb-32c-256g", count: 1, cpu: 32_000, memory: 256 * GiB }])
  })

  it("rejects a malformed row", () => {
    expect(errorOf(openbNodes("sn,cpu_milli,memory_mib,gpu,model\nopenb-node-0,64000,262144,two,P100", "n.csv"))).toBe(
      'n.csv:2:27: gpu: not a number: "two"'
    )
  })
})
