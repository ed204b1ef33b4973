/**
 * Real mode (`npm run bench -- --real`): a cluster from `minik8s up --store etcd --nodes 2` over a
 * private etcd and the Docker engine, each figure against the engine underneath driven directly in
 * the same run — a Deployment to all Ready against the same containers started with `docker run -d`,
 * creates through the API server (its own process, https, bearer token) against raw etcd3 puts of
 * the same bytes, and the latency of single creates against single puts.
 */
import Docker from "dockerode"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import { Etcd3 } from "etcd3"
import { execFile } from "node:child_process"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { performance } from "node:perf_hooks"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { type Deployment, Deployments } from "../core/api/Deployment.js"
import { type Lease, Leases } from "../core/api/Lease.js"
import { Pods } from "../core/api/Pod.js"
import { objectKey } from "../core/apiserver/StorageKey.js"
import * as Client from "../core/client/Client.js"
import * as Connection from "../cli/connection.js"
import { removeNodeContainers } from "../runtimes/docker/cleanup.js"
import { nodeLabel } from "../runtimes/docker/labels.js"
import { dockerSocket, type EtcdProcess, startEtcd, testImage } from "../runtimes/e2e.js"
import { latencyRows, measureLatency, progress, type Row } from "./harness.js"

export interface RealOptions {
  /** Replicas of the Deployment, and containers of the `docker run` baseline. */
  readonly replicas: number
  /** Start-ups timed per side; the median is reported. */
  readonly repetitions: number
  /** Writes per side for the throughput figure, `concurrency` in flight. */
  readonly writes: number
  readonly concurrency: number
  /** Single creates (and puts) one after another for the latency figures. */
  readonly creates: number
  /** Untimed writes per side, `concurrency` in flight, before any timed one. */
  readonly warmUp: number
}

/** The sizes. */
export const full: RealOptions = {
  replicas: 20,
  repetitions: 3,
  writes: 5_000,
  concurrency: 16,
  creates: 500,
  warmUp: 5_000
}

/** `--real --quick`: one start-up, fewer writes. */
export const quick: RealOptions = { ...full, repetitions: 1, writes: 1_000, creates: 100, warmUp: 1_000 }

/** What the test suite runs: every figure, at a size that takes seconds. */
export const smoke: RealOptions = { replicas: 2, repetitions: 1, writes: 40, concurrency: 4, creates: 20, warmUp: 5 }

const run = promisify(execFile)
const bin = fileURLToPath(new URL("../bin/minik8s.js", import.meta.url))

/** The label on the baseline's containers, valued with the run's id. */
const benchLabel = "io.minik8s.bench"
const namespace = "default"
const sleepCommand = ["sleep", "100000"]

interface Cluster {
  readonly client: Client.Client["Type"]
  readonly etcd: Etcd3
  readonly docker: Docker
  /** The API server's etcd prefix: its keys are this + the store key. */
  readonly storePrefix: string
  readonly nodes: ReadonlyArray<string>
  readonly runId: string
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const message = (e: unknown) => (e instanceof Error ? e.message : String(e))

/** Calls `check` every `intervalMs` until it answers true; after `seconds`, throws saying `what` it waited for. */
const until = async (what: () => string, check: () => Promise<boolean>, intervalMs: number, seconds: number) => {
  const deadline = performance.now() + seconds * 1000
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${seconds}s waiting for ${what()}`)
    await sleep(intervalMs)
  }
}

const onPath = (command: string) =>
  (process.env["PATH"] ?? "").split(Path.delimiter).some((dir) => dir !== "" && Fs.existsSync(Path.join(dir, command)))

/** Fails with one line naming what is missing. */
const requireServices = async (docker: Docker) => {
  if (!onPath("etcd")) throw new Error("--real needs etcd on PATH (it starts a private one on free ports)")
  await docker.ping().catch((e: unknown) => {
    throw new Error(`--real needs a Docker engine at ${dockerSocket}: ${message(e)}`)
  })
}

/**
 * Runs `use` on a cluster that `minik8s up` starts over a fresh private etcd, then takes everything
 * down — processes, containers (the cluster's and the baseline's), etcd and its data — also when
 * `use` fails or the process is interrupted.
 */
const withCluster = async <A>(use: (cluster: Cluster) => Promise<A>): Promise<A> => {
  const docker = new Docker({ socketPath: dockerSocket })
  await requireServices(docker)
  const runId = Crypto.randomBytes(3).toString("hex")
  const home = Fs.mkdtempSync(Path.join(Os.tmpdir(), "minik8s-bench-"))
  const env = { ...process.env, MINIK8S_HOME: home }
  const nodes = [`bench${runId}-1`, `bench${runId}-2`]
  const storePrefix = `/bench${runId}`
  const scope = await Effect.runPromise(Scope.make())
  let etcdProcess: EtcdProcess | undefined
  let etcd: Etcd3 | undefined

  const teardown = async () => {
    progress("real: tearing down …")
    const steps: Array<() => Promise<unknown>> = [
      () => Effect.runPromise(Scope.close(scope, Exit.void)),
      () => run(process.execPath, [bin, "down"], { env, timeout: 90_000 }),
      () => Effect.runPromise(removeNodeContainers(nodes, dockerSocket)),
      () => removeBaseline(docker, runId),
      async () => etcd?.close(),
      async () => etcdProcess?.close(),
      async () => Fs.rmSync(home, { recursive: true, force: true })
    ]
    const failures: Array<string> = []
    for (const step of steps) await step().catch((e: unknown) => failures.push(message(e)))
    progress("")
    if (failures.length > 0) process.stderr.write(`bench: clean-up incomplete: ${failures.join("; ")}\n`)
  }
  let tornDown: Promise<void> | undefined
  const teardownOnce = () => (tornDown ??= teardown())
  const interrupted = (signal: NodeJS.Signals) => {
    void teardownOnce().finally(() => process.kill(process.pid, signal))
  }
  process.once("SIGINT", interrupted)
  process.once("SIGTERM", interrupted)
  try {
    progress("real: starting etcd and minik8s up --nodes 2 …")
    etcdProcess = await startEtcd()
    etcd = new Etcd3({ hosts: `http://${etcdProcess.endpoint}` })
    await run(
      process.execPath,
      [
        ...[bin, "up", "--store", `etcd://${etcdProcess.endpoint}${storePrefix}`, "--nodes", "2"],
        ...["--node-prefix", `bench${runId}`, "--port", "0", "--log-level", "warning"]
      ],
      { env, timeout: 150_000 }
    ).catch((e: { stderr?: string; message?: string }) => {
      throw new Error(`minik8s up failed: ${(e.stderr ?? "").trim() || e.message}`)
    })
    const connection = await Effect.runPromise(Connection.readKubeconfig(Path.join(home, "kubeconfig")))
    const context = await Effect.runPromise(Layer.buildWithScope(Connection.clientLayer(connection), scope))
    return await use({ client: Context.get(context, Client.Client), etcd, docker, storePrefix, nodes, runId })
  } finally {
    await teardownOnce()
    process.off("SIGINT", interrupted)
    process.off("SIGTERM", interrupted)
  }
}

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

const secondsSince = (start: number) => (performance.now() - start) / 1000

// The `docker run -d` baseline.

const baselineFilter = (runId: string, running: boolean) => ({
  label: [`${benchLabel}=${runId}`],
  ...(running ? { status: ["running"] } : {})
})

const removeBaseline = async (docker: Docker, runId: string) => {
  const containers = await docker.listContainers({ all: true, filters: baselineFilter(runId, false) })
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true })))
}

/** `docker run -d busybox sleep 100000`: create, then start. */
const dockerRun = async (cluster: Cluster, name: string) => {
  const container = await cluster.docker.createContainer({
    name,
    Image: testImage,
    Cmd: sleepCommand,
    Labels: { [benchLabel]: cluster.runId }
  })
  await container.start()
}

/** Seconds from the first `docker run` to all `count` containers running, in parallel or one after another. */
const timeDockerRuns = async (cluster: Cluster, count: number, parallel: boolean, attempt: number) => {
  const names = Array.from({ length: count }, (_, i) => `minik8s-bench-${cluster.runId}-${attempt}-${i}`)
  const start = performance.now()
  if (parallel) await Promise.all(names.map((name) => dockerRun(cluster, name)))
  else for (const name of names) await dockerRun(cluster, name)
  const running = async () =>
    (await cluster.docker.listContainers({ filters: baselineFilter(cluster.runId, true) })).length === count
  await until(() => `${count} containers running`, running, 20, 60)
  const seconds = secondsSince(start)
  await removeBaseline(cluster.docker, cluster.runId)
  return seconds
}

// The Deployment through minik8s.

const deployment = (name: string, replicas: number): Deployment => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, namespace },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        terminationGracePeriodSeconds: 0,
        containers: [
          {
            name: "main",
            image: testImage,
            command: sleepCommand,
            resources: { requests: { cpu: "10m", memory: "16Mi" } }
          }
        ]
      }
    }
  }
})

const call = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)

/** Seconds from the create of a Deployment to `readyReplicas` = `replicas` (polled every 100 ms). */
const timeDeployment = async (cluster: Cluster, replicas: number, attempt: number) => {
  const name = `bench-${attempt}`
  const start = performance.now()
  await call(cluster.client.create(Deployments, deployment(name, replicas)))
  let ready = 0
  const allReady = async () => {
    ready = (await call(cluster.client.get(Deployments, name, { namespace }))).status?.readyReplicas ?? 0
    return ready >= replicas
  }
  await until(() => `Deployment ${name} to be ready (${ready}/${replicas})`, allReady, 100, 120)
  const seconds = secondsSince(start)
  await removeDeployment(cluster, name)
  return seconds
}

/** Deletes the Deployment and waits until its pods and every container of the cluster's nodes are gone. */
const removeDeployment = async (cluster: Cluster, name: string) => {
  await call(cluster.client.delete(Deployments, name, { namespace, propagationPolicy: "Background" }))
  const gone = async () => {
    const pods = await call(cluster.client.list(Pods, { namespace, labelSelector: `app=${name}` }))
    if (pods.items.length > 0) return false
    for (const node of cluster.nodes) {
      const left = await cluster.docker.listContainers({ all: true, filters: { label: [`${nodeLabel}=${node}`] } })
      if (left.length > 0) return false
    }
    return true
  }
  await until(() => `Deployment ${name}'s pods and containers to be removed`, gone, 250, 120)
}

const startUpRows = async (cluster: Cluster, options: RealOptions): Promise<Row[]> => {
  const { replicas, repetitions } = options
  const parallel: Array<number> = []
  const sequential: Array<number> = []
  const minik8s: Array<number> = []
  for (let attempt = 0; attempt < repetitions; attempt++) {
    const of = `${attempt + 1}/${repetitions}`
    progress(`real: ${replicas} × docker run -d in parallel (${of}) …`)
    parallel.push(await timeDockerRuns(cluster, replicas, true, 2 * attempt))
    progress(`real: ${replicas} × docker run -d one after another (${of}) …`)
    sequential.push(await timeDockerRuns(cluster, replicas, false, 2 * attempt + 1))
    progress(`real: Deployment of ${replicas} replicas (${of}) …`)
    minik8s.push(await timeDeployment(cluster, replicas, attempt))
  }
  const [baseline, oneByOne, deployed] = [median(parallel), median(sequential), median(minik8s)]
  const suite = `real: ${replicas} containers started (median of ${repetitions})`
  return [
    {
      suite,
      name: `docker run -d × ${replicas}, all in flight`,
      value: baseline,
      unit: "s",
      ratio: 1,
      note: "create + start through dockerode, until all running"
    },
    {
      suite,
      name: `docker run -d × ${replicas}, one after another`,
      value: oneByOne,
      unit: "s",
      ratio: oneByOne / baseline
    },
    {
      suite,
      name: `minik8s Deployment of ${replicas} replicas, create to readyReplicas = ${replicas}`,
      value: deployed,
      unit: "s",
      ratio: deployed / baseline,
      note: `2 nodes, ${2 * replicas} containers: sandbox + app per pod; ${(deployed / oneByOne).toFixed(2)}x the one-after-another run`
    }
  ]
}

// Writes through the API server against raw etcd puts.

const lease = (name: string): Lease => ({
  apiVersion: "coordination.k8s.io/v1",
  kind: "Lease",
  metadata: { name, namespace, labels: { app: "bench" } },
  spec: { holderIdentity: "bench", leaseDurationSeconds: 40, renewTime: "2025-01-01T00:00:00.000000Z" }
})

const createLease = (cluster: Cluster, name: string) => call(Effect.asVoid(cluster.client.create(Leases, lease(name))))

const rawPut = (cluster: Cluster, name: string, value: Buffer) =>
  cluster.etcd
    .put(`/bench-raw${cluster.storePrefix}/${name}`)
    .value(value)
    .exec()
    .then(() => undefined)

/** Writes per second of `count` calls of `write`, `concurrency` of them in flight. */
const writeRate = async (count: number, concurrency: number, write: (i: number) => Promise<void>) => {
  let next = 0
  const worker = async () => {
    while (next < count) await write(next++)
  }
  const start = performance.now()
  await Promise.all(Array.from({ length: concurrency }, worker))
  return count / secondsSince(start)
}

/** What the API server stored for a Lease: the raw puts write these same bytes. */
const storedLease = async (cluster: Cluster, name: string): Promise<Buffer> => {
  const key = cluster.storePrefix + objectKey(Leases, namespace, name)
  const value = await cluster.etcd.get(key).buffer()
  if (value === null) throw new Error(`the API server's Lease is not at ${key} in etcd`)
  return value
}

const writeRows = async (cluster: Cluster, options: RealOptions): Promise<Row[]> => {
  const { writes, concurrency, warmUp, creates } = options
  // Both sides reach steady state first: a freshly started API server (and the clients here) run
  // their write paths unoptimised until V8 has compiled them, which takes thousands of calls.
  progress(`real: warming up (${warmUp} writes per side) …`)
  await writeRate(warmUp, concurrency, (i) => createLease(cluster, `warm-${i}`))
  const value = await storedLease(cluster, "warm-0")
  await writeRate(warmUp, concurrency, (i) => rawPut(cluster, `warm-${i}`, value))

  progress(`real: ${writes} etcd3 puts, ${concurrency} in flight …`)
  const raw = await writeRate(writes, concurrency, (i) => rawPut(cluster, `w-${i}`, value))
  progress(`real: ${writes} API server creates, ${concurrency} in flight …`)
  const api = await writeRate(writes, concurrency, (i) => createLease(cluster, `w-${i}`))
  const suite = `real: writes through etcd (${writes.toLocaleString("en-US")}, ${concurrency} in flight)`
  const throughput: Row[] = [
    { suite, name: `etcd3 put of ${value.length} bytes`, value: raw, unit: "ops/s", ratio: 1 },
    {
      suite,
      name: "API server create of a Lease",
      value: api,
      unit: "ops/s",
      ratio: api / raw,
      note: "minik8s apiserver process, https + token, etcd txn"
    }
  ]

  progress(`real: ${creates} single puts and creates …`)
  const series = [
    {
      name: "etcd3 put",
      latency: await measureLatency(creates, (i) => rawPut(cluster, `l-${i}`, value))
    },
    {
      name: "API server create",
      latency: await measureLatency(creates, (i) => createLease(cluster, `l-${i}`))
    }
  ]
  const latencySuite = `real: create latency (${creates.toLocaleString("en-US")} one after another)`
  const means = series.map(({ name, latency }): Row => ({
    suite: latencySuite,
    name: `${name} mean`,
    value: 1000 / latency.opsPerSec,
    unit: "ms",
    ratio: series[0]!.latency.opsPerSec / latency.opsPerSec
  }))
  progress("")
  return [...throughput, ...latencyRows(latencySuite, series), ...means]
}

/**
 * Every real-mode figure on one cluster, taken down afterwards; fails with one line when etcd is not
 * on PATH or the Docker engine does not answer.
 */
export const realRows = (options: RealOptions): Promise<Row[]> =>
  withCluster(async (cluster) => [...(await startUpRows(cluster, options)), ...(await writeRows(cluster, options))])
