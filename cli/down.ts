/**
 * `minik8s down`: stops the processes `minik8s up` recorded (node agents first, the API server
 * last; SIGTERM, then SIGKILL after 10 s) and removes every container of the cluster's nodes.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { removeNodeContainers } from "../runtimes/docker/cleanup.js"
import * as ClusterState from "./clusterState.js"
import { CliError } from "./errors.js"

const graceMillis = 10_000

/** SIGTERM, wait up to the grace period, then SIGKILL; answers whether it had to kill. */
const stop = (p: ClusterState.ProcessRecord) =>
  Effect.gen(function* () {
    if (!ClusterState.alive(p.pid)) return false
    yield* Effect.sync(() => process.kill(p.pid, "SIGTERM"))
    for (let waited = 0; waited < graceMillis; waited += 100) {
      if (!ClusterState.alive(p.pid)) return false
      yield* Effect.sleep("100 millis")
    }
    yield* Effect.sync(() => process.kill(p.pid, "SIGKILL"))
    return true
  }).pipe(Effect.catchAllDefect(() => Effect.succeed(false)))

const order = (p: ClusterState.ProcessRecord) => (p.args[0] === "node-agent" ? 0 : p.name === "apiserver" ? 2 : 1)

export const down = (home: string): Effect.Effect<void, CliError> =>
  Effect.gen(function* () {
    const state = yield* ClusterState.read(home)
    if (state === undefined) return yield* Console.log(`minik8s down: no cluster recorded in ${home}`)
    const running = state.processes.filter((p) => ClusterState.alive(p.pid))
    const byOrder = [0, 1, 2].map((o) => running.filter((p) => order(p) === o))
    const killed: Array<string> = []
    for (const group of byOrder) {
      const results = yield* Effect.forEach(group, stop, { concurrency: "unbounded" })
      group.forEach((p, i) => results[i] && killed.push(p.name))
    }
    const removed = yield* removeNodeContainers(state.nodes, state.dockerSocket).pipe(
      Effect.mapError(
        (e) => new CliError({ message: `processes stopped, but containers were not removed: ${e.message}` })
      )
    )
    yield* ClusterState.remove(home)
    yield* Console.log(
      `minik8s down: stopped ${running.length} process${running.length === 1 ? "" : "es"}` +
        (killed.length === 0 ? "" : ` (killed after ${graceMillis / 1000}s: ${killed.join(", ")})`) +
        `, removed ${removed} container${removed === 1 ? "" : "s"}`
    )
  })
