/**
 * The known-bug catalogue as the fuzzer meets it: each planted bug (core/testing/KnownBugs.ts), its
 * scenario (sim/fuzz/bugs/NAME.yaml), the invariant that must catch it, and the budget — runs and
 * fault kinds, as `--runs` and `--faults` would give them. The tests run each planted, and the
 * correct code with the same budget.
 */
import * as Either from "effect/Either"
import { readFileSync } from "node:fs"
import type { KnownBug } from "../../core/testing/KnownBugs.js"
import { type FaultKind, faultKinds } from "../faults/Arbitrary.js"
import { parse } from "../scenario/Parse.js"
import type { Scenario } from "../scenario/Scenario.js"
import { defaultInvariants, type FuzzOptions } from "./Fuzz.js"

export interface CatalogueEntry {
  readonly bug: KnownBug
  /** The invariant that must break. */
  readonly invariant: string
  readonly runs: number
  readonly kinds: ReadonlyArray<FaultKind>
}

export const catalogue: ReadonlyArray<CatalogueEntry> = [
  { bug: "replicaSetStaleCache", invariant: "replicaSetBounded", runs: 40, kinds: faultKinds },
  { bug: "replicaSetIgnoresOwnership", invariant: "differential", runs: 40, kinds: faultKinds },
  { bug: "deploymentIgnoresMaxSurge", invariant: "replicasBounded", runs: 40, kinds: faultKinds },
  { bug: "schedulerIgnoresAssumed", invariant: "capacityRespected", runs: 40, kinds: faultKinds },
  { bug: "kubeletForgetsContainers", invariant: "noDuplicateContainers", runs: 40, kinds: faultKinds },
  { bug: "nodeLifecycleNoGrace", invariant: "nodeMonitorGrace", runs: 40, kinds: faultKinds },
  { bug: "endpointsIncludeNotReady", invariant: "endpointsReady", runs: 40, kinds: faultKinds },
  // Needs the controller-manager's Node informer alone to lag while a node joins (Lease seen before its Node).
  { bug: "gcIgnoresLiveOwner", invariant: "differential", runs: 100, kinds: ["delayWatches"] },
  // Needs a node kept from registering across PodGC's 20 s look: a partition, rarely drawn among all kinds.
  { bug: "podGcNoQuarantine", invariant: "differential", runs: 40, kinds: ["partition"] }
]

/** The bug's scenario, parsed. */
export const scenarioOf = (bug: KnownBug): Scenario => {
  const file = `sim/fuzz/bugs/${bug}.yaml`
  return Either.getOrThrowWith(
    parse(readFileSync(file, "utf8"), file, () => ""),
    (error) => new Error(error.toString())
  )
}

/** The fuzz options of an entry: its budget, a fixed seed, a short heal phase. */
export const optionsOf = (entry: CatalogueEntry, planted: boolean): FuzzOptions => ({
  runs: entry.runs,
  seed: 42,
  kinds: entry.kinds,
  maxFaults: 3,
  interleave: "fifo",
  invariants: defaultInvariants,
  heal: 60_000,
  longest: 20_000,
  ...(planted ? { bugs: new Set([entry.bug]) } : {})
})
