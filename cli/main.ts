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
import * as Option from "effect/Option"
import type { Client } from "../core/client/Client.js"
import { apiserver } from "./apiserver.js"
import { apply } from "./apply.js"
import * as Connection from "./connection.js"
import { deleteCommand } from "./delete.js"
import { errorLine } from "./errors.js"
import { get } from "./get.js"
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

/** Runs a client command against the resolved server. */
const withClient = <E>(
  flags: { server: Option.Option<string>; token: Option.Option<string>; kubeconfig: Option.Option<string> },
  effect: Effect.Effect<void, E, Client>
) =>
  Effect.flatMap(Connection.resolve(flags), (connection) => Effect.provide(effect, Connection.clientLayer(connection)))

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
    )
  },
  (o) =>
    apiserver({
      port: o.port,
      host: o.host,
      kubeconfigPath: Option.getOrElse(o.kubeconfig, Connection.defaultKubeconfigPath),
      tokenAuth: o.tokenAuth,
      tokenFile: Option.getOrUndefined(o.tokenFile)
    })
).pipe(Command.withDescription("Run the API server (embedded in-memory store) over HTTP"))

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

const minik8s = Command.make("minik8s").pipe(
  Command.withDescription("A small, faithful Kubernetes: real mode over etcd and Docker, or deterministic simulation"),
  Command.withSubcommands([apiserverCommand, applyCommand, getCommand, deleteCmd, scaleCommand, runCommand])
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
  NodeRuntime.runMain({ disableErrorReporting: true })
)
