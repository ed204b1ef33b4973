import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import { readFileSync } from "node:fs"
import type { Node } from "../../core/api/Node.js"
import type { CustomInvariant } from "../invariants/Invariant.js"
import { parse } from "../scenario/Parse.js"
import * as Run from "../scenario/Run.js"
import type { Scenario } from "../scenario/Scenario.js"
import { fuzz, type FuzzOptions, type FuzzResult } from "./Fuzz.js"
import * as Token from "./Token.js"

const file = "sim/fuzz/testdata/small.yaml"
const text = readFileSync(file, "utf8")

const load = (source: string): Scenario =>
  Either.getOrElse(
    parse(source, file, () => ""),
    (error) => {
      throw new Error(error.toString())
    }
  )

const scenario = load(text)

/** Fails as soon as any node's Ready condition is not True after it was: a node crash or a cut-off kubelet shows. */
const nodesStayReady: CustomInvariant = {
  name: "nodesStayReady",
  make: (context) => ({
    onEvent: (event) => {
      if (event.kind !== "Node") return
      const ready = (event.object as Node).status?.conditions?.find((c) => c.type === "Ready")
      if (ready !== undefined && ready.status !== "True" && event.type === "MODIFIED")
        context.report(event.object.metadata.name ?? "", `node ${event.object.metadata.name} is ${ready.status}`)
    }
  })
}

const options: FuzzOptions = {
  runs: 20,
  seed: 7,
  kinds: ["crashNode", "compactStore", "cutWatches"],
  maxFaults: 4,
  interleave: "fifo",
  invariants: ["noDoubleBinding"],
  heal: 30_000,
  longest: 20_000,
  custom: [nodesStayReady]
}

describe("fuzz", () => {
  it("finds a violation, shrinks it to the one fault that matters, and the pasted fragment fails the same way", async () => {
    const result = await fuzz(scenario, options)
    const failure = result.failure
    expect(failure?.violation.invariant).toBe("nodesStayReady")
    expect(failure!.schedule).toHaveLength(1)
    expect(failure!.schedule[0]!.fault._tag).toBe("crashNode")
    expect(failure!.fragment).toContain("crashNode")

    // Pasted under spec: (replacing the keys it names), `minik8s run` breaks the same invariant.
    const pasted = load(
      text.replace(/  seed: 3\n  duration: 2m\n/, "").replace("  cluster:\n", `${failure!.fragment}\n  cluster:\n`)
    )
    const summary = await Run.run(pasted, { custom: [nodesStayReady] })
    expect(summary.invariantViolations.map((v) => v.invariant)).toContain("nodesStayReady")

    // The token replays the very run: the same trace hash.
    const token = Either.getOrThrow(Token.decode(failure!.token))
    const again = await fuzz(scenario, { ...options, runs: 1 }, token.path)
    expect(again.failure?.summary.traceSha256).toBe(failure!.summary.traceSha256)
  }, 60_000)

  it("with --interleave random, the choice tape is drawn, shrunk and replayed with the schedule", async () => {
    const result = await fuzz(scenario, { ...options, interleave: "random" })
    const failure = result.failure!
    expect(failure.violation.invariant).toBe("nodesStayReady")
    const token = Either.getOrThrow(Token.decode(failure.token))
    expect(token.interleave).toBe("random")
    const again = await fuzz(scenario, { ...options, interleave: "random", runs: 1 }, token.path)
    expect(again.failure?.tape).toEqual(failure.tape)
    expect(again.failure?.summary.traceSha256).toBe(failure.summary.traceSha256)
  }, 60_000)

  it("passes when no invariant breaks, counting faults fired per kind and runs whose faults never fired", async () => {
    const result = await fuzz(scenario, {
      ...options,
      runs: 6,
      kinds: ["compactStore", "crashAtWrite"],
      custom: [],
      invariants: ["noDoubleBinding", "converged"]
    })
    expect(result.failure).toBeUndefined()
    expect(result.runs).toBe(6)
    const drawn = Object.values(result.coverage).reduce((n, c) => n + c.drawn, 0)
    expect(drawn).toBeGreaterThan(0)
    // A fault waiting on a trigger that never came (a pod deleted, say) did not fire.
    const compactions = result.coverage["compactStore"]!
    expect(compactions.fired).toBeGreaterThan(0)
    expect(compactions.fired).toBeLessThanOrEqual(compactions.drawn)
    expect(result.faultsInjected).toBe(Object.values(result.coverage).reduce((n, c) => n + c.fired, 0))
    expect(result.vacuous).toBeLessThanOrEqual(result.runs)
  }, 60_000)

  /** What a session answers but its thread count; a failure's run summary by its trace hash. */
  const outcome = ({ workers: _, ...result }: FuzzResult) => ({
    ...result,
    ...(result.failure === undefined
      ? {}
      : { failure: { ...result.failure, summary: result.failure.summary.traceSha256 } })
  })

  it("on threads plays the same runs, counts them alike, and finds and shrinks the same failure (the same token)", async () => {
    const passing: FuzzOptions = { ...options, runs: 6, kinds: ["compactStore", "crashAtWrite"], custom: [] }
    const threads = await fuzz(scenario, { ...passing, workers: 2 })
    expect(threads.workers).toBe(2)
    expect(outcome(threads)).toEqual(outcome(await fuzz(scenario, passing)))

    // A planted bug (a custom invariant is a function, which keeps the runs in this thread).
    const planted: FuzzOptions = {
      ...options,
      kinds: ["stopKubelet", "compactStore"],
      invariants: ["nodeMonitorGrace"],
      custom: [],
      bugs: new Set(["nodeLifecycleNoGrace"])
    }
    const alone = await fuzz(scenario, planted)
    expect(alone.failure?.violation.invariant).toBe("nodeMonitorGrace")
    expect(alone.workers).toBe(1)
    expect(outcome(await fuzz(scenario, { ...planted, workers: 2 }))).toEqual(outcome(alone))
  }, 180_000)
})
