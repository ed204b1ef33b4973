/**
 * Where a client command sends its requests: `--server`/`--token`, else `$MINIK8S_SERVER`/`$MINIK8S_TOKEN`,
 * else the kubeconfig (`--kubeconfig`, `$KUBECONFIG`, else the one `minik8s apiserver` writes).
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Layer from "effect/Layer"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as YAML from "yaml"
import * as Client from "../core/client/Client.js"
import * as HttpTransport from "../runtimes/http/transport.js"
import { CliError } from "./errors.js"

export interface Connection {
  readonly server: string
  readonly token?: string
  /** PEM of the authority an https server's certificate chains to (the kubeconfig's). */
  readonly certificateAuthority?: string
}

/** `$MINIK8S_HOME`, else ~/.minik8s: the kubeconfig, and what `minik8s up` keeps (state, tokens, logs). */
export const minik8sHome = (): string => process.env["MINIK8S_HOME"] ?? Path.join(Os.homedir(), ".minik8s")

/** Where `minik8s apiserver` and `minik8s up` write their kubeconfig unless told otherwise. */
export const defaultKubeconfigPath = (): string => Path.join(minik8sHome(), "kubeconfig")

export const defaultServer = "http://127.0.0.1:6443"

/** Server and token of a kubeconfig's current context. */
export const readKubeconfig = (file: string): Effect.Effect<Connection, CliError> =>
  Effect.try({
    try: () => {
      const config = YAML.parse(Fs.readFileSync(file, "utf8")) as {
        "current-context"?: string
        contexts?: Array<{ name: string; context: { cluster: string; user: string } }>
        clusters?: Array<{
          name: string
          cluster: { server: string; "certificate-authority-data"?: string; "certificate-authority"?: string }
        }>
        users?: Array<{ name: string; user: { token?: string } }>
      }
      const context = config.contexts?.find((c) => c.name === config["current-context"]) ?? config.contexts?.[0]
      const cluster = config.clusters?.find((c) => c.name === context?.context.cluster)
      if (cluster === undefined) throw new Error("it names no cluster for its current context")
      const token = config.users?.find((u) => u.name === context?.context.user)?.user.token
      const data = cluster.cluster["certificate-authority-data"]
      const authorityFile = cluster.cluster["certificate-authority"]
      const certificateAuthority =
        data !== undefined
          ? Buffer.from(data, "base64").toString("utf8")
          : authorityFile !== undefined
            ? Fs.readFileSync(Path.resolve(Path.dirname(file), authorityFile), "utf8")
            : undefined
      return {
        server: cluster.cluster.server,
        ...(token === undefined ? {} : { token }),
        ...(certificateAuthority === undefined ? {} : { certificateAuthority })
      }
    },
    catch: (e) => new CliError({ message: `kubeconfig ${file}: ${e instanceof Error ? e.message : String(e)}` })
  })

export const resolve = (flags: {
  readonly server: Option.Option<string>
  readonly token: Option.Option<string>
  readonly kubeconfig: Option.Option<string>
}): Effect.Effect<Connection, CliError> =>
  Effect.gen(function* () {
    const token = Option.getOrUndefined(flags.token) ?? process.env["MINIK8S_TOKEN"]
    const server = Option.getOrUndefined(flags.server) ?? process.env["MINIK8S_SERVER"]
    if (server !== undefined) return token === undefined ? { server } : { server, token }
    const file = Option.getOrUndefined(flags.kubeconfig) ?? process.env["KUBECONFIG"]?.split(":")[0]
    const fallback = defaultKubeconfigPath()
    const fromFile =
      file !== undefined
        ? yield* readKubeconfig(file)
        : Fs.existsSync(fallback)
          ? yield* readKubeconfig(fallback)
          : { server: defaultServer }
    return token === undefined ? fromFile : { ...fromFile, token }
  })

/** The Client over HTTP to the given server. */
export const clientLayer = (connection: Connection): Layer.Layer<Client.Client> =>
  Client.layer.pipe(Layer.provide(HttpTransport.layer(connection)))
