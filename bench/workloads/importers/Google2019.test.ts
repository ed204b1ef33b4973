import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Fs from "node:fs"
import type { PodArrival } from "../Workload.js"
import { importInstanceEvents, machineEvents } from "./Google2019.js"

const sample = (name: string) => Fs.readFileSync(new URL(`./testdata/${name}`, import.meta.url), "utf8")
const GiB = 1024 ** 3
const errorOf = (result: Either.Either<unknown, { toString(): string }>) =>
  Either.isLeft(result) ? result.left.toString() : "no error"

describe("Google 2019 instance_events", () => {
  const workload = Either.getOrThrow(
    importInstanceEvents(sample("instance_events.jsonl"), "testdata/instance_events.jsonl")
  )
  const pod = (name: string) => (workload.arrivals as ReadonlyArray<PodArrival>).find((p) => p.name === name)

  it("makes a pod per task, arriving at SUBMIT and running for its scheduled time", () => {
    expect(workload.arrivals.map((a) => [a.name, a.at])).toEqual([
      ["400465207745-0", 0],
      ["400465207745-1", 0],
      ["400465207801-0", 5000],
      ["400465207790-0", 10_000],
      ["400465207812-0", 60_000]
    ])
    // cpus 0.0208 of 64 cores, memory 0.0052 of 256 GiB; SCHEDULE 600.5 s → FINISH 900.5 s.
    expect(pod("400465207745-0")).toEqual({
      kind: "Pod",
      name: "400465207745-0",
      at: 0,
      duration: 300_000,
      group: "400465207745",
      priority: 200,
      labels: { "trace.minik8s.io/scheduling-class": "2" },
      requests: { cpu: 1331, memory: 1_429_365_116 }
    })
    // Evicted after 100 s, rescheduled for 50 s more.
    expect(pod("400465207745-1")?.duration).toBe(150_000)
    // Still scheduled at the end (its FINISH is at 2^63−1): runs to the end, with the request updated while pending.
    expect(pod("400465207812-0")?.duration).toBeUndefined()
    expect(pod("400465207812-0")?.requests).toEqual({ cpu: 1280, memory: Math.round(0.03 * 256 * GiB) })
    expect(pod("400465207790-0")?.priority).toBe(0)
  })

  it("counts the tasks it leaves out, by reason", () => {
    expect(workload.skipped).toEqual({ inAlloc: 1, incomplete: 1, neverRan: 1, zeroDuration: 1 })
  })

  it("scales normalised requests by the largest machine's size", () => {
    const w = Either.getOrThrow(
      importInstanceEvents(sample("instance_events.jsonl"), "e.jsonl", {
        machineCpu: 100_000,
        machineMemory: 100 * GiB
      })
    )
    expect(w.arrivals[0]!.requests).toEqual({ cpu: 2080, memory: Math.round(0.0052 * 100 * GiB) })
    expect(w.nodes).toEqual([{ name: "machine-100c-100g", count: 100, cpu: 100_000, memory: 100 * GiB }])
  })

  it("rejects a malformed line naming file, line, column and field", () => {
    const line = (fields: string) =>
      `{"time":"600000000",${fields},"collection_id":"1","instance_index":0,"resource_request":{"cpus":0.1,"memory":0.1}}`
    expect(errorOf(importInstanceEvents(`${line('"type":0')}\n${line('"type":"STARTED"')}`, "events.jsonl"))).toBe(
      'events.jsonl:2:28: type: unknown value "STARTED" (expected one of SUBMIT, QUEUE, ENABLE, SCHEDULE, EVICT, FAIL, FINISH, KILL, LOST, UPDATE_PENDING, UPDATE_RUNNING or 0–10)'
    )
    expect(errorOf(importInstanceEvents(line('"type":0').replace('"cpus":0.1', '"cpus":-0.1'), "events.jsonl"))).toBe(
      "events.jsonl:1:96: resource_request.cpus: must not be negative: -0.1"
    )
    expect(errorOf(importInstanceEvents('{"time":"600000000","type":0}', "events.jsonl"))).toBe(
      "events.jsonl:1:1: collection_id: missing"
    )
  })
})

describe("Google 2019 machine_events", () => {
  it("gives each machine the capacity of its first ADD or UPDATE that has one", () => {
    expect(Either.getOrThrow(machineEvents(sample("machine_events.jsonl"), "testdata/machine_events.jsonl"))).toEqual({
      nodes: [
        { name: "machine-32c-128g", count: 4, cpu: 32_000, memory: 128 * GiB },
        { name: "machine-64c-256g", count: 1, cpu: 64_000, memory: 256 * GiB }
      ],
      skipped: { machinesWithoutCapacity: 1 }
    })
  })

  it("rejects a malformed line", () => {
    expect(errorOf(machineEvents('{"time":"0","machine_id":"m1","type":1}', "machines.jsonl"))).toBe(
      'machines.jsonl:1:26: machine_id: not a whole non-negative number: "m1"'
    )
  })
})
