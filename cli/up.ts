/**
 * `minik8s up`: a real cluster on this machine as separate processes — the API server (over etcd
 * or memory), the controller-manager, the scheduler and N node agents over Docker — each a
 * `minik8s` subcommand in the background with its log in `$MINIK8S_HOME/logs/`. Waits until the
 * nodes are Ready, writes and prints the kubeconfig, and records the processes for `minik8s down`.
 * Run again while the cluster is up, it restarts only the processes that are gone.
 */
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import { spawn } from "node:child_process"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { Nodes, nodeStatus } from "../core/api/Node.js"
import { Client } from "../core/client/Client.js"
import * as Tls from "../runtimes/http/tls.js"
import * as ClusterState from "./clusterState.js"
import * as Connection from "./connection.js"
import { CliError } from "./errors.js"
import type { LogLevelName } from "./logging.js"
import * as StoreSpec from "./storeSpec.js"

export interface UpOptions {
  /** Where the kubeconfig, token file, state and logs go (`$MINIK8S_HOME`, default ~/.minik8s). */
  readonly home: string
  readonly store: StoreSpec.StoreSpec
  readonly nodes: number
  /** Node names are `<nodePrefix>-1` … `<nodePrefix>-N`. */
  readonly nodePrefix: string
  /** The API server's port; 0 picks a free one (kept across restarts). */
  readonly port: number
  readonly profile: string
  readonly logLevel: LogLevelName
  readonly dockerSocket?: string
  /** The API server's `--event-ttl` (checked by the caller); default its own, 1h. */
  readonly eventTTL?: string
  /** The controller-manager's `--node-monitor-grace-period`. */
  readonly nodeMonitorGracePeriod?: string
  /** How long to wait for the API server and then for the nodes; default 60 s each. */
  readonly timeout?: Duration.DurationInput
}

const binPath = fileURLToPath(new URL("../bin/minik8s.js", import.meta.url))

interface Started {
  readonly record: ClusterState.ProcessRecord
  /** Set when the process ended while `up` was still watching it. */
  readonly exited: () => string | undefined
}

/** Starts `minik8s <args>` in the background, its stdout and stderr appended to `log`. */
const start = (home: string, name: string, args: ReadonlyArray<string>): Effect.Effect<Started, CliError> =>
  Effect.try({
    try: () => {
      const log = Path.join(home, "logs", `${name}.log`)
      Fs.mkdirSync(Path.dirname(log), { recursive: true })
      const fd = Fs.openSync(log, "a")
      const child = spawn(process.execPath, [binPath, ...args], { detached: true, stdio: ["ignore", fd, fd] })
      Fs.closeSync(fd)
      let exited: string | undefined
      child.once("exit", (code, signal) => (exited = signal === null ? `exit code ${code}` : `signal ${signal}`))
      child.unref()
      if (child.pid === undefined) throw new Error(`cannot start ${name}`)
      return { record: { name, args, pid: child.pid, log }, exited: () => exited }
    },
    catch: (e) => new CliError({ message: `cannot start ${name}: ${e instanceof Error ? e.message : String(e)}` })
  })

/** The last non-empty line of a log, to say why a process ended. */
const lastLine = (file: string): string =>
  (Fs.existsSync(file) ? Fs.readFileSync(file, "utf8") : "")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .at(-1) ?? "(empty log)"

const describe = (e: unknown): string =>
  typeof e === "object" && e !== null && "message" in e ? String(e.message) : String(e)

class ProcessEnded extends Data.TaggedError("ProcessEnded")<{ readonly message: string }> {}

/** Retries `check` every 200 ms until it succeeds, failing at once if a started process ended, or after `timeout`. */
const waitFor = <A>(
  what: string,
  started: ReadonlyArray<Started>,
  check: Effect.Effect<A, unknown>,
  timeout: Duration.DurationInput
): Effect.Effect<A, CliError> => {
  const died = Effect.suspend(() => {
    const dead = started.find((s) => s.exited() !== undefined)
    return dead === undefined
      ? Effect.void
      : Effect.fail(
          new ProcessEnded({
            message: `${dead.record.name} ended (${dead.exited()}): ${lastLine(dead.record.log)} (log ${dead.record.log})`
          })
        )
  })
  let last: unknown
  return Effect.zipRight(died, check).pipe(
    Effect.tapError((e) => Effect.sync(() => (last = e))),
    Effect.retry({ schedule: Schedule.spaced("200 millis"), while: (e) => !(e instanceof ProcessEnded) }),
    Effect.timeoutFail({
      duration: timeout,
      onTimeout: () => new CliError({ message: `timed out waiting for ${what}: ${describe(last)}` })
    }),
    Effect.mapError((e) => (e instanceof CliError ? e : new CliError({ message: describe(e) })))
  )
}

const withKubeconfigClient = <A, E>(kubeconfig: string, effect: Effect.Effect<A, E, Client>) =>
  Effect.flatMap(Connection.readKubeconfig(kubeconfig), (connection) =>
    Effect.provide(effect, Connection.clientLayer(connection))
  )

/** Whether every named node is registered and Ready. */
const nodesReady = (kubeconfig: string, names: ReadonlyArray<string>) =>
  withKubeconfigClient(
    kubeconfig,
    Effect.gen(function* () {
      const nodes = yield* (yield* Client).list(Nodes)
      const ready = new Set(nodes.items.filter((n) => nodeStatus(n).startsWith("Ready")).map((n) => n.metadata.name))
      const missing = names.filter((n) => !ready.has(n))
      if (missing.length > 0) return yield* Effect.fail(`not Ready yet: ${missing.join(", ")}`)
    })
  )

/** The admin token file the API server checks (kept across `up`s, so an old kubeconfig keeps working). */
const tokenFile = (home: string): Effect.Effect<string, CliError> =>
  Effect.try({
    try: () => {
      const file = Path.join(home, "tokens.csv")
      if (!Fs.existsSync(file)) {
        Fs.mkdirSync(home, { recursive: true })
        // cli/ may use real randomness: this token guards a real server.
        const token = Crypto.randomBytes(24).toString("base64url")
        Fs.writeFileSync(file, `${token},admin,admin,"system:masters"\n`, { mode: 0o600 })
      }
      return file
    },
    catch: (e) => new CliError({ message: `cannot write the token file in ${home}: ${String(e)}` })
  })

/** The API server's serving certificate, made once and kept (kubeconfigs written before stay valid). */
const servingCertificate = (home: string): Effect.Effect<{ certFile: string; keyFile: string }, CliError> =>
  Effect.gen(function* () {
    const certFile = Path.join(home, "pki", "apiserver.crt")
    const keyFile = Path.join(home, "pki", "apiserver.key")
    if (Fs.existsSync(certFile) && Fs.existsSync(keyFile)) return { certFile, keyFile }
    const { cert, key } = yield* Tls.selfSigned
    yield* Effect.try({
      try: () => {
        Fs.mkdirSync(Path.dirname(certFile), { recursive: true })
        Fs.writeFileSync(keyFile, key, { mode: 0o600 })
        Fs.writeFileSync(certFile, cert)
      },
      catch: (e) => new CliError({ message: `cannot write the serving certificate in ${home}: ${String(e)}` })
    })
    return { certFile, keyFile }
  })

/** The server URL the kubeconfig names. */
const serverOf = (kubeconfig: string) => Effect.map(Connection.readKubeconfig(kubeconfig), (c) => c.server)

const restartMissing = (home: string, state: ClusterState.ClusterState, timeout: Duration.DurationInput) =>
  Effect.gen(function* () {
    const gone = state.processes.filter((p) => !ClusterState.alive(p.pid))
    if (gone.length === 0) return yield* Console.log(`minik8s up: the cluster in ${home} is already up`)
    const restarted: Array<Started> = []
    for (const p of gone) restarted.push(yield* start(home, p.name, p.args))
    const pids = new Map(restarted.map((s) => [s.record.name, s.record]))
    yield* ClusterState.write(home, {
      ...state,
      processes: state.processes.map((p) => pids.get(p.name) ?? p)
    })
    yield* waitFor("the nodes to be Ready", restarted, nodesReady(state.kubeconfig, state.nodes), timeout)
    yield* Console.log(`minik8s up: restarted ${gone.map((p) => p.name).join(", ")}`)
  })

export const up = (options: UpOptions): Effect.Effect<void, CliError> =>
  Effect.gen(function* () {
    const { home } = options
    const timeout = options.timeout ?? Duration.seconds(60)
    const existing = yield* ClusterState.read(home)
    if (existing !== undefined && existing.processes.some((p) => ClusterState.alive(p.pid)))
      return yield* restartMissing(home, existing, timeout)

    const began = Date.now()
    const kubeconfig = Path.join(home, "kubeconfig")
    const tokens = yield* tokenFile(home)
    const { certFile, keyFile } = yield* servingCertificate(home)
    const logLevel = ["--log-level", options.logLevel]
    const client = ["--kubeconfig", kubeconfig, ...logLevel]
    const docker = options.dockerSocket === undefined ? [] : ["--docker-socket", options.dockerSocket]
    const nodes = Array.from({ length: options.nodes }, (_, i) => `${options.nodePrefix}-${i + 1}`)
    const apiserverArgs = (port: number) => [
      "apiserver",
      ...["--port", String(port), "--store", StoreSpec.format(options.store)],
      ...["--tls-cert-file", certFile, "--tls-private-key-file", keyFile],
      ...["--token-file", tokens, "--kubeconfig", kubeconfig, ...logLevel],
      ...(options.eventTTL === undefined ? [] : ["--event-ttl", options.eventTTL])
    ]
    const started: Array<Started> = []
    const stopStarted = Effect.sync(() => {
      for (const s of started) if (s.exited() === undefined) process.kill(s.record.pid, "SIGTERM")
    })

    yield* Effect.gen(function* () {
      yield* Effect.sync(() => Fs.rmSync(kubeconfig, { force: true }))
      started.push(yield* start(home, "apiserver", apiserverArgs(options.port)))
      const answers = withKubeconfigClient(
        kubeconfig,
        Effect.flatMap(Client, (c) => c.list(Nodes))
      )
      yield* waitFor("the API server", started, answers, timeout)
      const server = yield* serverOf(kubeconfig)
      // Port 0 picked a port: a restarted API server must come back on the same one.
      const apiserver = { ...started[0]!.record, args: apiserverArgs(Number(new URL(server).port)) }
      started.push(
        yield* start(home, "controller-manager", [
          "controller-manager",
          ...(options.nodeMonitorGracePeriod === undefined
            ? []
            : ["--node-monitor-grace-period", options.nodeMonitorGracePeriod]),
          ...client
        ])
      )
      started.push(yield* start(home, "scheduler", ["scheduler", "--profile", options.profile, ...client]))
      for (const node of nodes)
        started.push(yield* start(home, node, ["node-agent", "--node-name", node, ...docker, ...client]))
      yield* waitFor("the nodes to be Ready", started, nodesReady(kubeconfig, nodes), timeout)
      yield* ClusterState.write(home, {
        server,
        kubeconfig,
        store: StoreSpec.format(options.store),
        nodes,
        ...(options.dockerSocket === undefined ? {} : { dockerSocket: options.dockerSocket }),
        processes: [apiserver, ...started.slice(1).map((s) => s.record)]
      })
      const seconds = ((Date.now() - began) / 1000).toFixed(1)
      yield* Console.log(
        `minik8s up: ready in ${seconds}s — apiserver ${server} (store ${StoreSpec.format(options.store)}), ` +
          `controller-manager, scheduler, ${nodes.length} node${nodes.length === 1 ? "" : "s"} (${nodes.join(", ")})`
      )
      yield* Console.log(`kubeconfig ${kubeconfig} (export KUBECONFIG=${kubeconfig}):`)
      yield* Console.log(Fs.readFileSync(kubeconfig, "utf8").trimEnd())
      yield* Console.log(`logs in ${Path.join(home, "logs")}; stop with: minik8s down`)
    }).pipe(Effect.tapError(() => stopStarted))
  })
