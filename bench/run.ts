/**
 * `npm run bench [-- --quick | --full | --real]`: runs every benchmark suite and latency series and
 * prints one Markdown table to stdout; progress goes to stderr only on a terminal. `--quick` is a
 * short smoke run; `--full` runs the whole-simulation harness at the size (1,000 nodes,
 * 5,000 pods, 1 h), which otherwise runs at 100 nodes, 500 pods and 10 simulated minutes, and the
 * `minik8s bench` run at its scale (5,000 nodes, 100,000 pods over a simulated day), which
 * otherwise runs 100 nodes and 5,000 pods. `--real`
 * runs only the real-mode benchmarks (bench/real.ts: etcd on PATH and a Docker engine), shorter
 * with `--quick`.
 */
import * as Api from "./api.bench.js"
import * as Fuzz from "./fuzz.js"
import { formatRows, runSuite, type Row } from "./harness.js"
import * as Plugins from "./plugins.bench.js"
import * as Policies from "./policies.js"
import * as Real from "./real.js"
import * as Scheduler from "./scheduler.bench.js"
import * as Simulation from "./simulation.js"
import * as Store from "./store.bench.js"

const usage = "usage: npm run bench [-- --quick | --full | --real [--quick]]"

const main = async (args: ReadonlyArray<string>): Promise<void> => {
  const unknown = args.find((arg) => arg !== "--quick" && arg !== "--full" && arg !== "--real")
  if (unknown !== undefined) throw new Error(`unknown option ${unknown}; ${usage}`)
  const quick = args.includes("--quick")
  const full = args.includes("--full")
  if (args.includes("--real"))
    return void process.stdout.write(formatRows(await Real.realRows(quick ? Real.quick : Real.full)) + "\n")
  const rows: Array<Row> = []
  for (const suite of [...Store.suites, ...Api.suites])
    rows.push(...(await runSuite(suite, { maxTime: quick ? 0.1 : 2 })))
  rows.push(...(await Api.latency({ count: quick ? 100 : 1_000 })))
  rows.push(
    ...(await Scheduler.throughput(
      quick
        ? { nodes: [100], pods: 200, runPods: 100, runNodes: [100] }
        : { nodes: [100, 1_000, 5_000, 15_000], pods: 10_000, runPods: 2_000, runNodes: [100, 1_000] }
    ))
  )
  rows.push(
    ...(await Plugins.pluginRows(
      quick ? Plugins.quick : Plugins.normal,
      quick ? { maxTime: 0.1, minSamples: 2, minTime: 0.02 } : { maxTime: 1 }
    ))
  )
  rows.push(...(await Simulation.simulationRows(full ? Simulation.full : quick ? Simulation.smoke : Simulation.quick)))
  rows.push(...(await Fuzz.fuzzRows(quick ? Fuzz.smoke : Fuzz.quick)))
  rows.push(...(await Policies.policyRows(full ? Policies.scale : quick ? Policies.quick : Policies.normal)))
  process.stdout.write(formatRows(rows) + "\n")
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
})
