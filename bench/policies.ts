/**
 * A whole `minik8s bench` run as a benchmark: one profile over a generated workload, through the
 * simulated control plane, reported as scheduling decisions per wall-second (and simulated seconds
 * per wall-second beside it), against the scheduling cycle alone (framework.schedule + assume over a cache, no
 * API server, queue or kubelets) at the same node count: the ratio is what the rest of the control
 * plane costs on top of the scheduler.
 */
import * as Either from "effect/Either"
import * as Experiment from "./Experiment.js"
import { progress, type Row } from "./harness.js"
import { cycleRate } from "./scheduler.bench.js"
import { generate } from "./workloads/Generators.js"

export interface PolicySize {
  /** A generator spec (`heavy-tailed:nodes=100,pods=5000`). */
  readonly workload: string
  readonly profile: string
  /** Node periods, ms (Experiment's defaults when omitted). */
  readonly heartbeatInterval?: number
  readonly syncFrequency?: number
  readonly relistPeriod?: number
  /** The bookmark interval and the kubelets' minimum watch timeout, ms (Kubernetes' when omitted). */
  readonly watchPeriod?: number
}

/** Small: 20 nodes, 500 pods over 10 minutes. */
export const quick: PolicySize = { workload: "heavy-tailed:nodes=20,pods=500,span=10m", profile: "least-allocated" }
/** The table size: 100 nodes, 5,000 pods. */
export const normal: PolicySize = { workload: "heavy-tailed:nodes=100,pods=5000", profile: "least-allocated" }
/** The scale: 5,000 nodes, 100,000 pods arriving over a simulated day; node and watch periods of an hour. */
export const scale: PolicySize = {
  workload: "uniform:nodes=5000,pods=100000,span=1d",
  profile: "least-allocated",
  heartbeatInterval: 3_600_000,
  syncFrequency: 3_600_000,
  relistPeriod: 3_600_000,
  watchPeriod: 3_600_000
}

export const policyRows = async (size: PolicySize): Promise<Row[]> => {
  const workload = Either.getOrThrow(generate(size.workload, 1))
  const nodes = workload.nodes.reduce((n, g) => n + g.count, 0)
  const pods = workload.arrivals.length
  const suite = `minik8s bench ${size.workload}, ${size.profile}`
  progress(`${suite}: scheduling cycle …`)
  const cycle = cycleRate(size.profile, nodes, Math.min(pods, 2_000))
  const { metrics, timing } = await Experiment.run(workload, {
    profile: size.profile,
    seed: 1,
    ...(size.heartbeatInterval === undefined ? {} : { heartbeatInterval: size.heartbeatInterval }),
    ...(size.syncFrequency === undefined ? {} : { syncFrequency: size.syncFrequency }),
    ...(size.relistPeriod === undefined ? {} : { relistPeriod: size.relistPeriod }),
    ...(size.watchPeriod === undefined ? {} : { watchPeriod: size.watchPeriod }),
    onProgress: (simulated, horizon) => progress(`${suite}: ${Math.floor((100 * simulated) / horizon)}%`)
  })
  progress("")
  const mib = timing.peakRssBytes / 2 ** 20
  return [
    { suite, name: `scheduling cycle alone, ${nodes} nodes`, value: cycle, unit: "pods/s", ratio: 1 },
    {
      suite,
      name: `whole run: decisions per wall-second (${metrics.pods.created} pods, ${timing.wallSeconds.toFixed(1)} s)`,
      value: timing.throughput,
      unit: "pods/s",
      ratio: timing.throughput / cycle,
      note: `${Math.round(metrics.simulatedSeconds / timing.wallSeconds)}x real time, ${metrics.events} events`
    },
    { suite, name: "peak RSS", value: mib, unit: "MiB", ratio: mib / 4096, note: "ratio: to a 4 GiB budget" }
  ]
}
