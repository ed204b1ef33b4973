import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { guessFormat, importTrace } from "./ImportTrace.js"

const testdata = fileURLToPath(new URL("./testdata/", import.meta.url))
const at = (name: string) => Path.join(testdata, name)
const errorOf = (result: Either.Either<unknown, { toString(): string }>) =>
  Either.isLeft(result) ? result.left.toString() : "no error"

describe("importTrace", () => {
  it("guesses the format from the names the traces publish their files under", () => {
    expect(guessFormat("/data/batch_task.csv")).toBe("alibaba-v2018")
    expect(guessFormat("container_meta.csv")).toBe("alibaba-v2018")
    expect(guessFormat("csv/openb_pod_list_gpuspec33.csv")).toBe("alibaba-gpu")
    expect(guessFormat("cell-a/instance_events-000000000042.json")).toBe("google-2019")
    expect(guessFormat("workload.yaml")).toBeUndefined()
  })

  it("reads the machine file beside the trace and adds its skipped machines", () => {
    const batch = Either.getOrThrow(importTrace(undefined, at("batch_task.csv")))
    expect(batch.nodes.map((g) => [g.name, g.count])).toEqual([
      ["machine-96c-96g", 3],
      ["machine-64c-48g", 2]
    ])
    expect(batch.skipped).toMatchObject({ machinesIncomplete: 1, neverRan: 3 })
    expect(batch.arrivals.length).toBe(29)

    const containers = Either.getOrThrow(importTrace("alibaba-v2018", at("container_meta.csv")))
    expect([containers.arrivals.length, containers.nodes.length]).toEqual([6, 2])

    const gpu = Either.getOrThrow(importTrace(undefined, at("openb_pod_list_sample.csv")))
    expect(gpu.nodes.reduce((n, g) => n + g.count, 0)).toBe(11)
    expect(gpu.nodes.filter((g) => g.labels?.["gpu-spec.minik8s.io/T4"] === "true").length).toBe(2)

    const google = Either.getOrThrow(importTrace(undefined, at("instance_events.jsonl")))
    expect(google.nodes.map((g) => [g.name, g.count])).toEqual([
      ["machine-32c-128g", 4],
      ["machine-64c-256g", 1]
    ])
    expect(google.skipped).toEqual({
      inAlloc: 1,
      incomplete: 1,
      machinesWithoutCapacity: 1,
      neverRan: 1,
      zeroDuration: 1
    })
  })

  it("lets options choose the nodes, the name and how many pods", () => {
    const nodes = [{ name: "big", count: 2, cpu: 128_000, memory: 2 ** 40 }]
    const w = Either.getOrThrow(
      importTrace("google-2019", at("instance_events.jsonl"), { nodes, name: "cell-a", limit: 2 })
    )
    expect([w.name, w.nodes, w.arrivals.length, w.skipped.machinesWithoutCapacity]).toEqual([
      "cell-a",
      nodes,
      2,
      undefined
    ])
    const own = Either.getOrThrow(
      importTrace(undefined, at("batch_task.csv"), { nodeFile: at("machine_meta.csv"), machineMemory: 2 ** 40 })
    )
    expect(own.nodes[0]).toEqual({ name: "machine-96c-1024g", count: 3, cpu: 96_000, memory: 2 ** 40 })
  })

  it("says in one line what is wrong with the format or the file", () => {
    expect(errorOf(importTrace(undefined, "workload.csv"))).toBe(
      "workload.csv: cannot tell the trace format from the file name; give one of alibaba-v2018, alibaba-gpu, google-2019"
    )
    expect(errorOf(importTrace("alibaba", "batch_task.csv"))).toBe(
      'batch_task.csv: unknown trace format "alibaba" (known: alibaba-v2018, alibaba-gpu, google-2019)'
    )
    expect(errorOf(importTrace(undefined, at("missing/batch_task.csv")))).toMatch(
      /missing\/batch_task\.csv: cannot read: ENOENT/
    )
    expect(errorOf(importTrace("alibaba-gpu", at("batch_task.csv")))).toMatch(
      /batch_task\.csv:1:47: name: missing from the header/
    )
  })
})
