/**
 * What a run ends with (SCENARIOS.md "Output"): the summary `--json` prints, and with its `series`
 * the summary.json and report.html of `--report DIR`.
 */
import { formatTime } from "./Time.js"

/** An expectation that did not hold. */
export interface Failure {
  /** The step's 1-based index in the file. */
  readonly step: number
  /** When it failed, as `formatTime` writes it. */
  readonly time: string
  /** The check as written: `deployment/web`, `pods`, `exists: deployment/web`. */
  readonly check: string
  /** What was found against what was wanted: `readyReplicas 2, want 3`. */
  readonly message: string
}

export interface InvariantViolation {
  readonly invariant: string
  readonly time: string
  readonly message: string
}

/** A fault of the fault track (`spec.faults`) and whether it fired: a trigger never met, or nothing to act on, is not firing. */
export interface FaultOutcome {
  /** Its line in the scenario file (0 for a fault added by `minik8s fuzz`). */
  readonly line: number
  /** The fault as scheduled: `1m crashNode node-1`. */
  readonly fault: string
  readonly fired: boolean
  /** When it was injected (or its write armed), as `formatTime` writes it; absent when its time or trigger never came. */
  readonly at?: string
}

/** The state of the cluster at one instant of the run, for the report's plots. */
export interface Sample {
  /** Simulated seconds since the start. */
  readonly t: number
  /** Bound non-terminated pods of every node that exists at `t`. */
  readonly podsPerNode: Readonly<Record<string, number>>
  /** Pods not bound to a node yet. */
  readonly pending: number
  readonly readyNodes: number
  readonly notReadyNodes: number
}

/** How a step ended: an action `done` (or `failed`), an expectation `passed` or `failed`. */
export type StepOutcome = "done" | "passed" | "failed"

export interface StepResult {
  readonly index: number
  /** Simulated seconds since the start when the step ran (for `within`, when it passed or failed). */
  readonly time: number
  /** The action in short: `apply deployment/web`, `fault crashNode node-1`, `expect 3 checks`. */
  readonly action: string
  readonly result: StepOutcome
}

export interface Summary {
  readonly scenario: string
  readonly passed: boolean
  readonly seed: number
  readonly expectations: { readonly passed: number; readonly total: number }
  readonly failures: ReadonlyArray<Failure>
  readonly invariantViolations: ReadonlyArray<InvariantViolation>
  readonly simulatedSeconds: number
  readonly wallSeconds: number
  /** The simulation's event count (tasks run and timers fired). */
  readonly events: number
  /** Effect operations the run's fibers ran: its work, the same on every machine (unlike wall time). */
  readonly operations: number
  readonly traceSha256: string
  readonly steps: ReadonlyArray<StepResult>
  /** Samples in time order; only in summary.json, not in what `--json` prints. */
  readonly series: ReadonlyArray<Sample>
  /** The fault track's faults, when the scenario has any. */
  readonly faults?: ReadonlyArray<FaultOutcome>
}

/** The summary as `--json` prints it: every field but `series`. */
export const toJson = (summary: Summary): string => {
  const { series: _series, ...printed } = summary
  return JSON.stringify(printed, null, 2)
}

/**
 * The line a run closes with: `scenario node-failure: PASS 4/4 expectations, 0 invariant violations,
 * 10m simulated in 0.41s (1463x), seed 7, trace sha256 3f2a…` (the whole hash).
 */
export const closingLine = (summary: Summary): string => {
  const violations = summary.invariantViolations.length
  const speed = summary.wallSeconds > 0 ? ` (${Math.round(summary.simulatedSeconds / summary.wallSeconds)}x)` : ""
  return (
    `scenario ${summary.scenario}: ${summary.passed ? "PASS" : "FAIL"} ` +
    `${summary.expectations.passed}/${summary.expectations.total} expectations, ` +
    `${violations} invariant ${violations === 1 ? "violation" : "violations"}, ` +
    `${formatTime(summary.simulatedSeconds * 1_000)} simulated in ${summary.wallSeconds.toFixed(2)}s${speed}, ` +
    `seed ${summary.seed}, trace sha256 ${summary.traceSha256}`
  )
}
