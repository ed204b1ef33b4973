/**
 * The record `minik8s up` keeps of the cluster it started, in `$MINIK8S_HOME/cluster.json`: each
 * process's name, command line, pid and log file, so `down` stops them and a second `up` restarts
 * only the ones that are gone.
 */
import * as Effect from "effect/Effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { CliError } from "./errors.js"

export interface ProcessRecord {
  /** `apiserver`, `controller-manager`, `scheduler`, or the node's name for a node agent. */
  readonly name: string
  /** The `minik8s` subcommand and its flags. */
  readonly args: ReadonlyArray<string>
  readonly pid: number
  readonly log: string
}

export interface ClusterState {
  readonly server: string
  readonly kubeconfig: string
  readonly store: string
  readonly nodes: ReadonlyArray<string>
  readonly dockerSocket?: string
  readonly processes: ReadonlyArray<ProcessRecord>
}

export const statePath = (home: string): string => Path.join(home, "cluster.json")

export const read = (home: string): Effect.Effect<ClusterState | undefined, CliError> =>
  Effect.try({
    try: () =>
      Fs.existsSync(statePath(home))
        ? (JSON.parse(Fs.readFileSync(statePath(home), "utf8")) as ClusterState)
        : undefined,
    catch: (e) => new CliError({ message: `${statePath(home)}: ${e instanceof Error ? e.message : String(e)}` })
  })

export const write = (home: string, state: ClusterState): Effect.Effect<void, CliError> =>
  Effect.try({
    try: () => {
      Fs.mkdirSync(home, { recursive: true })
      Fs.writeFileSync(statePath(home), JSON.stringify(state, null, 2) + "\n")
    },
    catch: (e) => new CliError({ message: `cannot write ${statePath(home)}: ${String(e)}` })
  })

export const remove = (home: string): Effect.Effect<void> =>
  Effect.sync(() => Fs.rmSync(statePath(home), { force: true }))

/** Whether a process with this pid runs: signal 0 only checks; a zombie (exited, not yet reaped) does not count. */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false
  }
  try {
    return !/^\d+ \(.*\) Z/.test(Fs.readFileSync(`/proc/${pid}/stat`, "utf8"))
  } catch {
    return true
  }
}
