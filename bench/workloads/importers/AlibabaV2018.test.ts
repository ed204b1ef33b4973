import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Fs from "node:fs"
import type { PodArrival } from "../Workload.js"
import { importBatchTask, importContainerMeta, machineMeta } from "./AlibabaV2018.js"

const sample = (name: string) => Fs.readFileSync(new URL(`./testdata/${name}`, import.meta.url), "utf8")
const GiB = 1024 ** 3

const pods = (w: { readonly arrivals: ReadonlyArray<unknown> }) => w.arrivals as ReadonlyArray<PodArrival>
const errorOf = (result: Either.Either<unknown, { toString(): string }>) =>
  Either.isLeft(result) ? result.left.toString() : "no error"

describe("Alibaba v2018 batch_task", () => {
  const workload = Either.getOrThrow(importBatchTask(sample("batch_task.csv"), "testdata/batch_task.csv"))
  const byName = new Map(pods(workload).map((p) => [p.name, p]))

  it("makes instance_num pods per task in the job's group, from the first start", () => {
    expect(workload.name).toBe("batch_task")
    expect(workload.arrivals.length).toBe(29)
    expect(pods(workload).filter((p) => p.group === "j_1001").length).toBe(16)
    expect(workload.arrivals[0]).toEqual({
      kind: "Pod",
      name: "j-1002-m1-0",
      at: 0,
      duration: 60_000,
      group: "j_1002",
      requests: { cpu: 1000, memory: 608_167_369 }
    })
    // plan_cpu 300 = 3 cores; plan_mem 1.17 % of 96 GiB; start 86600 − 86400, end − start = 390 s.
    expect(byName.get("j-1001-j3-1-2-0")).toEqual({
      kind: "Pod",
      name: "j-1001-j3-1-2-0",
      at: 200_000,
      duration: 390_000,
      group: "j_1001",
      requests: { cpu: 3000, memory: 1_206_026_817 }
    })
    expect(byName.get("j-1006-m1-2")?.duration).toBeUndefined()
    expect(byName.get("j-1012-m1-5")?.duration).toBe(300_000)
    expect([...byName.keys()].filter((n) => n.startsWith("j-1004-task-ltg0"))).toHaveLength(2)
  })

  it("counts the tasks it leaves out, by reason", () => {
    expect(workload.skipped).toEqual({ badTimes: 1, incomplete: 1, neverRan: 3, noInstances: 1, zeroDuration: 1 })
  })

  it("runs on default machines of the trace's size and scales memory by the machine size", () => {
    expect(workload.nodes).toEqual([{ name: "machine-96c-96g", count: 100, cpu: 96_000, memory: 96 * GiB }])
    const big = Either.getOrThrow(
      importBatchTask(sample("batch_task.csv"), "b.csv", { machineMemory: 192 * GiB, machines: 3, limit: 5 })
    )
    expect(big.arrivals.length).toBe(5)
    expect(pods(big)[0]!.requests.memory).toBe(2 * 608_167_369)
    expect(big.nodes).toEqual([{ name: "machine-96c-192g", count: 3, cpu: 96_000, memory: 192 * GiB }])
  })

  it("rejects a malformed row naming file, line, column and column name", () => {
    const ok = "M1,1,j_1,1,Terminated,86412,86530,100,0.39\n"
    expect(errorOf(importBatchTask(`${ok}M1,ten,j_2,1,Terminated,1,2,100,0.39\n`, "batch_task.csv"))).toBe(
      'batch_task.csv:2:4: instance_num: not a number: "ten"'
    )
    expect(errorOf(importBatchTask("M1,1,j_1,1,Terminated,86412,86530,-1,0.39", "batch_task.csv"))).toBe(
      "batch_task.csv:1:35: plan_cpu: must not be negative: -1"
    )
    expect(errorOf(importBatchTask("M1,1,j_1,1,Done,86412,86530,100,0.39", "batch_task.csv"))).toBe(
      'batch_task.csv:1:12: status: unknown value "Done" (expected one of Terminated, Failed, Interrupted, Running, Waiting, Ready, Cancelled)'
    )
    expect(errorOf(importBatchTask(`${ok}${ok}M1,1,j_1,1,Terminated,86412,86530,100`, "batch_task.csv"))).toBe(
      "batch_task.csv:3:38: plan_mem: expected 9 columns, found 8"
    )
  })
})

describe("Alibaba v2018 container_meta", () => {
  const workload = Either.getOrThrow(importContainerMeta(sample("container_meta.csv"), "testdata/container_meta.csv"))

  it("makes one long-running pod per container from its earliest complete row", () => {
    expect(pods(workload).map((p) => [p.name, p.at])).toEqual([
      ["c-1", 0],
      ["c-2", 0],
      ["c-3", 0],
      ["c-7", 99_000_000],
      ["c-4", 120_000_000],
      ["c-5", 210_000_000]
    ])
    expect(workload.arrivals[0]).toEqual({
      kind: "Pod",
      name: "c-1",
      at: 0,
      labels: { "trace.minik8s.io/app-du": "app_5052" },
      requests: { cpu: 4000, memory: 1_608_035_756 }
    })
    expect(pods(workload).find((p) => p.name === "c-5")?.requests).toEqual({ cpu: 1000, memory: 804_017_878 })
    expect(workload.skipped).toEqual({ incomplete: 1 })
  })

  it("rejects a malformed row", () => {
    expect(errorOf(importContainerMeta("c_1,m_1,0,app_1,running,400,400,1.5", "container_meta.csv"))).toBe(
      'container_meta.csv:1:17: status: unknown value "running" (expected one of started, allocated, stopped, unknown)'
    )
    expect(errorOf(importContainerMeta("c_1,m_1,0,app_1,started,400,400,1.5GB", "container_meta.csv"))).toBe(
      'container_meta.csv:1:33: mem_size: not a number: "1.5GB"'
    )
  })
})

describe("Alibaba v2018 machine_meta", () => {
  it("folds machines into node groups by cpu_num and mem_size", () => {
    const nodes = Either.getOrThrow(machineMeta(sample("machine_meta.csv"), "testdata/machine_meta.csv"))
    expect(nodes).toEqual({
      nodes: [
        { name: "machine-96c-96g", count: 3, cpu: 96_000, memory: 96 * GiB },
        { name: "machine-64c-48g", count: 2, cpu: 64_000, memory: 48 * GiB }
      ],
      skipped: { machinesIncomplete: 1 }
    })
  })

  it("rejects a malformed row", () => {
    expect(errorOf(machineMeta("m_1,0,65,86,96,100,USING\nm_2,0,65,86,96 cores,100,USING", "machine_meta.csv"))).toBe(
      'machine_meta.csv:2:13: cpu_num: not a number: "96 cores"'
    )
  })
})
