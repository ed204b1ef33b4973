/**
 * The `minik8s` command: parses flags with @effect/cli, picks the layers, runs one command. Errors
 * print as one line on stderr and exit non-zero.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { parseDuration } from "../core/api/duration.js"
import type { Client } from "../core/client/Client.js"
import { apiserver } from "./apiserver.js"
import { apply } from "./apply.js"
import * as Components from "./components.js"
import * as Connection from "./connection.js"
import { deleteCommand } from "./delete.js"
import { down } from "./down.js"
import * as Logging from "./logging.js"
import { nodeAgent, parseLabels } from "./nodeAgent.js"
import * as StoreSpec from "./storeSpec.js"
import { up } from "./up.js"
import { CliError, errorLine } from "./errors.js"
import { get } from "./get.js"
import { logs } from "./logs.js"
import { scale } from "./scale.js"

const connectionOptions = {
  server: Options.text("server").pipe(
    Options.withAlias("s"),
    Options.withDescription("API server URL (default: $MINIK8S_SERVER, else the kubeconfig's)"),
    Options.optional
  ),
  token: Options.text("token").pipe(
    Options.withDescription("bearer token (default: $MINIK8S_TOKEN, else the kubeconfig's)"),
    Options.optional
  ),
  kubeconfig: Options.file("kubeconfig").pipe(
    Options.withDescription(
      "kubeconfig to read the server and token from (default: $KUBECONFIG, else ~/.minik8s/kubeconfig)"
    ),
    Options.optional
  )
}
const namespace = Options.text("namespace").pipe(
  Options.withAlias("n"),
  Options.withDescription("namespace (default: default)"),
  Options.optional
)

const logOptions = {
  logLevel: Options.choice("log-level", Logging.logLevels).pipe(
    Options.withDefault("info" as const),
    Options.withDescription("lowest level logged (to stderr)")
  ),
  logFormat: Options.choice("log-format", Logging.logFormats).pipe(
    Options.withDefault("logfmt" as const),
    Options.withDescription("log line format: logfmt or json")
  )
}

/** Runs a long-running process with its structured logger. */
const withLogging = <A, E, R>(
  flags: { logLevel: Logging.LogLevelName; logFormat: Logging.LogFormat },
  effect: Effect.Effect<A, E, R>
) => Effect.provide(effect, Logging.layer(flags.logLevel, flags.logFormat))

/** `$MINIK8S_HOME`, else ~/.minik8s: where `up` keeps its kubeconfig, state and logs. */
const home = () => Connection.minik8sHome()

/** `{ [key]: value }` when the flag was given, else nothing (options are exact: absent, never undefined). */
const given = <K extends string, A>(key: K, option: Option.Option<A>): { [P in K]?: A } =>
  Option.match(option, { onNone: () => ({}), onSome: (value) => ({ [key]: value }) as { [P in K]?: A } })

/** Runs a client command against the resolved server. */
const withClient = <E>(
  flags: { server: Option.Option<string>; token: Option.Option<string>; kubeconfig: Option.Option<string> },
  effect: Effect.Effect<void, E, Client>
) =>
  Effect.flatMap(Connection.resolve(flags), (connection) => Effect.provide(effect, Connection.clientLayer(connection)))

const storeOption = Options.text("store").pipe(
  Options.withDefault("memory"),
  Options.withDescription("memory, or etcd://HOST:PORT[,HOST:PORT…][/PREFIX] (keys under /registry by default)")
)

const dockerSocket = Options.text("docker-socket").pipe(
  Options.withDescription("the Docker engine's socket (default /var/run/docker.sock)"),
  Options.optional
)

const eventTTL = Options.text("event-ttl").pipe(
  Options.withDefault("1h"),
  Options.withDescription("how long an Event is kept after its last write (Kubernetes' --event-ttl)")
)

/** `--event-ttl` in milliseconds; a value that is not a duration of at least a second is one line. */
const eventTTLOf = (text: string): Effect.Effect<number, CliError> => {
  const parsed = parseDuration(text)
  if (Either.isLeft(parsed)) return Effect.fail(new CliError({ message: `--event-ttl: ${parsed.left}` }))
  if (parsed.right < 1_000) return Effect.fail(new CliError({ message: "--event-ttl: must be at least 1s" }))
  return Effect.succeed(parsed.right)
}

const apiserverCommand = Command.make(
  "apiserver",
  {
    port: Options.integer("port").pipe(
      Options.withDefault(6443),
      Options.withDescription("port to listen on (0 picks a free one)")
    ),
    host: Options.text("host").pipe(Options.withDefault("127.0.0.1"), Options.withDescription("address to listen on")),
    kubeconfig: Options.text("kubeconfig").pipe(
      Options.withDescription("where to write the kubeconfig (default: ~/.minik8s/kubeconfig)"),
      Options.optional
    ),
    tokenAuth: Options.boolean("token-auth").pipe(
      Options.withDescription("require a bearer token; prints a new admin token")
    ),
    tokenFile: Options.file("token-file").pipe(
      Options.withDescription('static token file (token,user,uid,"group1,group2" per line); implies token auth'),
      Options.optional
    ),
    store: storeOption,
    tlsCertFile: Options.file("tls-cert-file").pipe(
      Options.withDescription("serve HTTPS with this certificate (PEM); the kubeconfig trusts it"),
      Options.optional
    ),
    tlsPrivateKeyFile: Options.file("tls-private-key-file").pipe(
      Options.withDescription("the certificate's private key (PEM)"),
      Options.optional
    ),
    eventTTL,
    ...logOptions
  },
  (o) =>
    Effect.flatMap(Effect.zip(StoreSpec.parse(o.store), eventTTLOf(o.eventTTL)), ([store, eventTTL]) =>
      Option.isSome(o.tlsCertFile) !== Option.isSome(o.tlsPrivateKeyFile)
        ? Effect.fail(new CliError({ message: "--tls-cert-file and --tls-private-key-file go together" }))
        : withLogging(
            o,
            apiserver({
              port: o.port,
              host: o.host,
              kubeconfigPath: Option.getOrElse(o.kubeconfig, Connection.defaultKubeconfigPath),
              tokenAuth: o.tokenAuth,
              tokenFile: Option.getOrUndefined(o.tokenFile),
              store,
              eventTTL,
              ...given(
                "tls",
                Option.map(Option.all([o.tlsCertFile, o.tlsPrivateKeyFile]), ([certFile, keyFile]) => ({
                  certFile,
                  keyFile
                }))
              )
            })
          )
    )
).pipe(Command.withDescription("Run the API server over HTTP, on etcd or an in-memory store"))

const nodeMonitorGracePeriod = Options.text("node-monitor-grace-period").pipe(
  Options.withDescription("how long a node may miss heartbeats before it is NotReady (default 40s)"),
  Options.optional
)

const controllerManagerCommand = Command.make(
  "controller-manager",
  { ...connectionOptions, ...logOptions, nodeMonitorGracePeriod },
  (o) =>
    withLogging(
      o,
      withClient(o, Components.controllerManager(given("nodeMonitorGracePeriod", o.nodeMonitorGracePeriod)))
    )
).pipe(Command.withDescription("Run the controllers (ReplicaSet, Deployment, GC, node lifecycle…) against a server"))

const schedulerCommand = Command.make(
  "scheduler",
  {
    ...connectionOptions,
    ...logOptions,
    profile: Options.text("profile").pipe(
      Options.withDefault("default"),
      Options.withDescription("scheduling profile: default, least-allocated, most-allocated, balanced, spread, random…")
    )
  },
  (o) => withLogging(o, withClient(o, Components.scheduler(o.profile)))
).pipe(Command.withDescription("Run the scheduler against a server"))

const nodeAgentCommand = Command.make(
  "node-agent",
  {
    ...connectionOptions,
    ...logOptions,
    nodeName: Options.text("node-name").pipe(Options.withDescription("this node's name")),
    cpu: Options.text("cpu").pipe(Options.withDescription("CPU capacity (default: the host's CPUs)"), Options.optional),
    memory: Options.text("memory").pipe(
      Options.withDescription("memory capacity, e.g. 4Gi (default: the host's memory)"),
      Options.optional
    ),
    pods: Options.integer("pods").pipe(Options.withDefault(110), Options.withDescription("most pods on this node")),
    labels: Options.text("labels").pipe(
      Options.withDefault(""),
      Options.withDescription("node labels, key=value[,key=value…]")
    ),
    dockerSocket,
    nodeIP: Options.text("node-ip").pipe(
      Options.withDescription("the node's address, where its kubelet server listens (default 127.0.0.1)"),
      Options.optional
    ),
    podInfraImage: Options.text("pod-infra-image").pipe(
      Options.withDescription("image of the container that holds each pod's network (default busybox:1.36)"),
      Options.optional
    )
  },
  (o) =>
    Effect.flatMap(parseLabels(o.labels), (labels) =>
      withLogging(
        o,
        withClient(
          o,
          nodeAgent({
            nodeName: o.nodeName,
            ...given("cpu", o.cpu),
            ...given("memory", o.memory),
            pods: o.pods,
            labels,
            ...given("dockerSocket", o.dockerSocket),
            ...given("podInfraImage", o.podInfraImage),
            ...given("nodeIP", o.nodeIP)
          })
        )
      )
    )
).pipe(Command.withDescription("Run a node's agent (kubelet) over the Docker engine"))

const upCommand = Command.make(
  "up",
  {
    store: storeOption,
    nodes: Options.integer("nodes").pipe(Options.withDefault(1), Options.withDescription("how many node agents")),
    nodePrefix: Options.text("node-prefix").pipe(
      Options.withDefault("node"),
      Options.withDescription("nodes are named PREFIX-1 … PREFIX-N")
    ),
    port: Options.integer("port").pipe(
      Options.withDefault(6443),
      Options.withDescription("the API server's port (0 picks a free one)")
    ),
    profile: Options.text("profile").pipe(
      Options.withDefault("default"),
      Options.withDescription("scheduling profile")
    ),
    dockerSocket,
    nodeMonitorGracePeriod,
    eventTTL,
    logLevel: logOptions.logLevel
  },
  (o) =>
    Effect.flatMap(Effect.zip(StoreSpec.parse(o.store), eventTTLOf(o.eventTTL)), ([store]) =>
      up({
        home: home(),
        store,
        nodes: o.nodes,
        nodePrefix: o.nodePrefix,
        port: o.port,
        profile: o.profile,
        logLevel: o.logLevel,
        ...given("nodeMonitorGracePeriod", o.nodeMonitorGracePeriod),
        eventTTL: o.eventTTL,
        ...given("dockerSocket", o.dockerSocket)
      })
    )
).pipe(
  Command.withDescription(
    "Start a cluster of processes on this machine (API server, controller-manager, scheduler, node agents); again restarts what is gone"
  )
)

const downCommand = Command.make("down", {}, () => down(home())).pipe(
  Command.withDescription("Stop the cluster `minik8s up` started and remove its containers")
)

const applyCommand = Command.make(
  "apply",
  {
    ...connectionOptions,
    namespace,
    file: Options.text("filename").pipe(
      Options.withAlias("f"),
      Options.withDescription("manifest file (YAML or JSON, several documents allowed; - for stdin)")
    )
  },
  (o) => withClient(o, apply(o.file, Option.getOrUndefined(o.namespace)))
).pipe(Command.withDescription("Create or update objects from a manifest file, like kubectl apply"))

const getCommand = Command.make(
  "get",
  {
    ...connectionOptions,
    namespace,
    kind: Args.text({ name: "KIND" }).pipe(Args.withDescription("a kind: pods, deploy, deployments.apps, no, svc …")),
    name: Args.text({ name: "NAME" }).pipe(Args.withDescription("one object's name"), Args.optional),
    allNamespaces: Options.boolean("all-namespaces").pipe(
      Options.withAlias("A"),
      Options.withDescription("list across all namespaces")
    ),
    selector: Options.text("selector").pipe(
      Options.withAlias("l"),
      Options.withDescription("label selector, e.g. app=web,tier!=db"),
      Options.optional
    ),
    output: Options.choice("output", ["table", "wide", "json", "yaml", "name"]).pipe(
      Options.withAlias("o"),
      Options.withDefault("table" as const),
      Options.withDescription("output format")
    ),
    watch: Options.boolean("watch").pipe(
      Options.withAlias("w"),
      Options.withDescription("after listing, print changes as they happen")
    )
  },
  (o) =>
    withClient(
      o,
      get({
        kind: o.kind,
        name: Option.getOrUndefined(o.name),
        namespace: Option.getOrUndefined(o.namespace),
        allNamespaces: o.allNamespaces,
        selector: Option.getOrUndefined(o.selector),
        output: o.output,
        watch: o.watch
      })
    )
).pipe(Command.withDescription("Show objects of a kind (a table as kubectl prints it, or -o json|yaml|wide|name)"))

const deleteCmd = Command.make(
  "delete",
  {
    ...connectionOptions,
    namespace,
    first: Args.text({ name: "KIND or KIND/NAME" }).pipe(Args.withDescription("what to delete"), Args.optional),
    second: Args.text({ name: "NAME" }).pipe(Args.withDescription("the name, when KIND is given alone"), Args.optional),
    file: Options.text("filename").pipe(
      Options.withAlias("f"),
      Options.withDescription("delete the objects named in a manifest file"),
      Options.optional
    ),
    cascade: Options.choice("cascade", ["background", "foreground", "orphan"]).pipe(
      Options.withDefault("background" as const),
      Options.withDescription("what happens to dependents (ownerReferences)")
    )
  },
  (o) =>
    withClient(
      o,
      deleteCommand({
        first: Option.getOrUndefined(o.first),
        second: Option.getOrUndefined(o.second),
        file: Option.getOrUndefined(o.file),
        namespace: Option.getOrUndefined(o.namespace),
        propagation: o.cascade === "foreground" ? "Foreground" : o.cascade === "orphan" ? "Orphan" : "Background"
      })
    )
).pipe(Command.withDescription("Delete an object"))

const scaleCommand = Command.make(
  "scale",
  {
    ...connectionOptions,
    namespace,
    first: Args.text({ name: "KIND/NAME or KIND" }).pipe(
      Args.withDescription("what to scale: deployment/web or deployment")
    ),
    second: Args.text({ name: "NAME" }).pipe(Args.withDescription("the name, when KIND is given alone"), Args.optional),
    replicas: Options.integer("replicas").pipe(Options.withDescription("the new number of replicas"))
  },
  (o) =>
    withClient(
      o,
      scale({
        first: o.first,
        second: Option.getOrUndefined(o.second),
        replicas: o.replicas,
        namespace: Option.getOrUndefined(o.namespace)
      })
    )
).pipe(Command.withDescription("Set the replicas of a Deployment or ReplicaSet"))

const logsCommand = Command.make(
  "logs",
  {
    ...connectionOptions,
    namespace,
    pod: Args.text({ name: "POD" }).pipe(Args.withDescription("the pod, as NAME or pod/NAME")),
    container: Options.text("container").pipe(
      Options.withAlias("c"),
      Options.withDescription("the container (default: the pod's default container, else its first)"),
      Options.optional
    ),
    follow: Options.boolean("follow").pipe(Options.withAlias("f"), Options.withDescription("keep printing new lines")),
    tail: Options.integer("tail").pipe(
      Options.withDefault(-1),
      Options.withDescription("only the last N lines (-1: all)")
    ),
    previous: Options.boolean("previous").pipe(
      Options.withAlias("p"),
      Options.withDescription("the log of the container's previous instance")
    )
  },
  (o) =>
    withClient(
      o,
      logs({
        pod: o.pod,
        container: Option.getOrUndefined(o.container),
        follow: o.follow,
        tail: o.tail,
        previous: o.previous,
        namespace: Option.getOrUndefined(o.namespace)
      })
    )
).pipe(Command.withDescription("Print a container's log, like kubectl logs"))

const runCommand = Command.make(
  "run",
  {
    paths: Args.text({ name: "SCENARIO" }).pipe(
      Args.withDescription("scenario files, or folders of them"),
      Args.atLeast(1)
    ),
    seed: Options.integer("seed").pipe(Options.withDescription("overrides the scenario's seed"), Options.optional),
    interleave: Options.choice("interleave", ["fifo", "random"]).pipe(
      Options.withDefault("fifo" as const),
      Options.withDescription("order of runnable fibers: fifo, or random (seeded) to explore races")
    ),
    trace: Options.text("trace").pipe(Options.withDescription("write the JSONL trace to this file"), Options.optional),
    report: Options.text("report").pipe(
      Options.withDescription("write summary.json and report.html into this folder"),
      Options.optional
    ),
    json: Options.boolean("json").pipe(Options.withDescription("print only the summary, as JSON")),
    quiet: Options.boolean("quiet").pipe(Options.withDescription("no timeline, only the closing lines"))
  },
  (o) =>
    // Loaded on use: the simulation and the report's plotting libraries are heavy for the other commands.
    Effect.flatMap(
      Effect.flatMap(
        Effect.promise(() => import("./run.js")),
        ({ run }) =>
          run({
            paths: o.paths,
            seed: Option.getOrUndefined(o.seed),
            interleave: o.interleave,
            trace: Option.getOrUndefined(o.trace),
            report: Option.getOrUndefined(o.report),
            json: o.json,
            quiet: o.quiet
          })
      ),
      (code) => Effect.sync(() => (process.exitCode = code))
    )
).pipe(Command.withDescription("Run scenario files in simulation (exit 0 pass, 1 fail, 2 invalid file)"))

const fuzzCommand = Command.make(
  "fuzz",
  {
    path: Args.text({ name: "SCENARIO" }).pipe(Args.withDescription("the scenario file to inject faults into")),
    runs: Options.integer("runs").pipe(Options.withDefault(100), Options.withDescription("how many runs to draw")),
    seed: Options.integer("seed").pipe(
      Options.withDescription("fast-check's seed (default: drawn, and printed)"),
      Options.optional
    ),
    faults: Options.text("faults").pipe(
      Options.withDescription("the fault kinds to draw, comma-separated (default: all)"),
      Options.optional
    ),
    maxFaults: Options.integer("max-faults").pipe(
      Options.withDefault(3),
      Options.withDescription("at most this many faults per run")
    ),
    interleave: Options.choice("interleave", ["fifo", "random"]).pipe(
      Options.withDefault("fifo" as const),
      Options.withDescription("random: fast-check also draws (and shrinks) the order of runnable fibers")
    ),
    invariants: Options.text("invariants").pipe(
      Options.withDescription(
        "invariants to check, comma-separated; default: all, with converged, quiet and differential"
      ),
      Options.optional
    ),
    heal: Options.text("heal").pipe(
      Options.withDefault("2m"),
      Options.withDescription("the heal phase after the longest fault, before liveness is judged")
    ),
    longest: Options.text("longest").pipe(
      Options.withDefault("1m"),
      Options.withDescription("the longest a timed fault lasts (or a crashed node stays down)")
    ),
    replay: Options.text("replay").pipe(
      Options.withDescription("run again the failure of a replay token, exactly"),
      Options.optional
    ),
    workers: Options.integer("workers").pipe(
      Options.withDescription("threads to play the runs on (default: the cores; 1 plays them in this thread)"),
      Options.optional
    )
  },
  (o) =>
    Effect.flatMap(
      Effect.flatMap(
        Effect.promise(() => import("./fuzz.js")),
        ({ fuzz }) =>
          fuzz({
            path: o.path,
            runs: o.runs,
            seed: Option.getOrUndefined(o.seed),
            faults: Option.getOrUndefined(o.faults),
            maxFaults: o.maxFaults,
            interleave: o.interleave,
            invariants: Option.getOrUndefined(o.invariants),
            heal: o.heal,
            longest: o.longest,
            replay: Option.getOrUndefined(o.replay),
            workers: Option.getOrUndefined(o.workers)
          })
      ),
      (code) => Effect.sync(() => (process.exitCode = code))
    )
).pipe(
  Command.withDescription(
    "Inject drawn fault schedules into a scenario, check invariants, shrink a failure (exit 0 pass, 1 fail, 2 invalid)"
  )
)

const benchCommand = Command.make(
  "bench",
  {
    workload: Options.text("workload").pipe(
      Options.withDescription(
        "a workload file (YAML, or a trace: Alibaba v2018 / GPU, Google 2019) or a generator: NAME[:key=value,…]"
      )
    ),
    format: Options.text("format").pipe(
      Options.withDescription("the trace format of --workload, when its name does not tell"),
      Options.optional
    ),
    profiles: Options.text("profiles").pipe(
      Options.withDefault("least-allocated,most-allocated,random"),
      Options.withDescription("scheduler profiles to compare, comma-separated (shipped, or from --plugins)")
    ),
    baseline: Options.text("baseline").pipe(
      Options.withDescription("the profile ratios are against (default: the first)"),
      Options.optional
    ),
    repeat: Options.integer("repeat").pipe(
      Options.withDefault(1),
      Options.withDescription("runs per profile, with seeds --seed, --seed+1, … (confidence intervals over them)")
    ),
    seed: Options.integer("seed").pipe(Options.withDefault(1), Options.withDescription("the first seed")),
    workers: Options.integer("workers").pipe(
      Options.withDescription("worker threads (default: the cores; 1 runs in this thread)"),
      Options.optional
    ),
    report: Options.text("report").pipe(
      Options.withDescription("write table.md, table.csv, summary.json, timing.json and report.html here"),
      Options.optional
    ),
    plugins: Options.text("plugins").pipe(
      Options.withDescription("a TypeScript module exporting `registry` (plugins) and `profiles`"),
      Options.optional
    ),
    heartbeat: Options.text("heartbeat").pipe(
      Options.withDescription(
        "node Lease renewal period (default 1m; the kubelet's own is 10s; longer simulates faster)"
      ),
      Options.optional
    ),
    syncFrequency: Options.text("sync-frequency").pipe(
      Options.withDescription("kubelets' periodic pod resync (default 1m, the kubelet's; longer simulates faster)"),
      Options.optional
    ),
    export: Options.choice("export", ["workload", "scenario"]).pipe(
      Options.withDescription("print the workload as a workload file or a scenario (first profile) and stop"),
      Options.optional
    ),
    relist: Options.text("relist").pipe(
      Options.withDescription(
        "kubelets' runtime relist period (default 5m, as Evented PLEG; the kubelet's own is 10s)"
      ),
      Options.optional
    ),
    watchPeriod: Options.text("watch-period").pipe(
      Options.withDescription(
        "API server bookmark interval and kubelets' minimum watch timeout (default 1m and 5m, Kubernetes'; longer simulates thousands of nodes faster)"
      ),
      Options.optional
    )
  },
  (o) =>
    Effect.flatMap(
      Effect.flatMap(
        Effect.promise(() => import("./bench.js")),
        ({ bench }) =>
          bench({
            workload: o.workload,
            format: Option.getOrUndefined(o.format),
            profiles: o.profiles,
            baseline: Option.getOrUndefined(o.baseline),
            repeat: o.repeat,
            seed: o.seed,
            workers: Option.getOrUndefined(o.workers),
            report: Option.getOrUndefined(o.report),
            plugins: Option.getOrUndefined(o.plugins),
            heartbeat: Option.getOrUndefined(o.heartbeat),
            syncFrequency: Option.getOrUndefined(o.syncFrequency),
            relist: Option.getOrUndefined(o.relist),
            watchPeriod: Option.getOrUndefined(o.watchPeriod),
            export: Option.getOrUndefined(o.export)
          })
      ),
      (code) => Effect.sync(() => (process.exitCode = code))
    )
).pipe(
  Command.withDescription(
    "Compare scheduler profiles on a workload in simulation: metrics table, CSV, JSON and an HTML report"
  )
)

const minik8s = Command.make("minik8s").pipe(
  Command.withDescription("A small, faithful Kubernetes: real mode over etcd and Docker, or deterministic simulation"),
  Command.withSubcommands([
    upCommand,
    downCommand,
    apiserverCommand,
    controllerManagerCommand,
    schedulerCommand,
    nodeAgentCommand,
    applyCommand,
    getCommand,
    deleteCmd,
    scaleCommand,
    logsCommand,
    runCommand,
    fuzzCommand,
    benchCommand
  ])
)

const cli = Command.run(minik8s, { name: "minik8s", version: "0.1.0" })

cli(process.argv).pipe(
  Effect.catchAll((error) =>
    // @effect/cli has already printed its own usage errors; ours get one line.
    (typeof error === "object" &&
      error !== null &&
      "_tag" in error &&
      String(error._tag).startsWith("ValidationError")) ||
    (typeof error === "object" && error !== null && "type" in error)
      ? Effect.sync(() => (process.exitCode = 2))
      : Console.error(errorLine(error)).pipe(Effect.andThen(Effect.sync(() => (process.exitCode = 1))))
  ),
  // A defect (a bug) still gets one line and exit 1, not silence: runMain reports nothing here.
  Effect.catchAllDefect((defect) =>
    Console.error(errorLine(defect).split("\n")[0]).pipe(Effect.andThen(Effect.sync(() => (process.exitCode = 1))))
  ),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true })
)
