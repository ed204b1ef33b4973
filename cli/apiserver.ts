/**
 * `minik8s apiserver`: the API server over etcd or an embedded MemoryStore, on HTTP. Writes a
 * kubeconfig so kubectl and client libraries connect, and prints one line with the URL, that path
 * and the token.
 */
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as ApiServer from "../core/apiserver/ApiServer.js"
import type { UserInfo } from "../core/apiserver/Authentication.js"
import { kubeconfig } from "../runtimes/http/kubeconfig.js"
import * as KubeletConnection from "../runtimes/http/kubeletConnection.js"
import * as HttpServer from "../runtimes/http/server.js"
import { CliError } from "./errors.js"
import * as StoreSpec from "./storeSpec.js"

export interface ApiserverOptions {
  readonly port: number
  readonly host: string
  readonly kubeconfigPath: string
  readonly tokenAuth: boolean
  readonly tokenFile: string | undefined
  readonly store: StoreSpec.StoreSpec
  /** How long an Event is kept after its last write, in milliseconds. */
  readonly eventTTL: number
  /** Serve HTTPS with this certificate (PEM file; kubeconfigs trust it as their authority) and key. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string }
}

const readTls = (tls: { readonly certFile: string; readonly keyFile: string }) =>
  Effect.try({
    try: () => ({ cert: Fs.readFileSync(tls.certFile, "utf8"), key: Fs.readFileSync(tls.keyFile, "utf8") }),
    catch: (e) =>
      new CliError({ message: `cannot read the TLS certificate or key: ${e instanceof Error ? e.message : String(e)}` })
  })

/** Kubernetes' static token file: `token,user,uid,"group1,group2"` per line. */
export const readTokenFile = (file: string): Effect.Effect<Record<string, UserInfo>, CliError> =>
  Effect.try({
    try: () => {
      const tokens: Record<string, UserInfo> = {}
      Fs.readFileSync(file, "utf8")
        .split("\n")
        .forEach((raw, index) => {
          const line = raw.trim()
          if (line === "" || line.startsWith("#")) return
          const match = /^([^,]+),([^,]+),([^,]*)(?:,"?([^"]*)"?)?$/.exec(line)
          if (match === null) throw new Error(`line ${index + 1}: want token,user,uid[,"group1,group2"]`)
          tokens[match[1]!] = { user: match[2]!, groups: match[4] ? match[4].split(",") : [] }
        })
      return tokens
    },
    catch: (e) => new CliError({ message: `token file ${file}: ${e instanceof Error ? e.message : String(e)}` })
  })

export const apiserver = (options: ApiserverOptions) =>
  Effect.gen(function* () {
    const tokens = options.tokenFile === undefined ? {} : yield* readTokenFile(options.tokenFile)
    // cli/ may use real randomness: this token guards a real server.
    const adminToken = options.tokenAuth ? Crypto.randomBytes(24).toString("base64url") : undefined
    const allTokens =
      adminToken === undefined ? tokens : { ...tokens, [adminToken]: { user: "admin", groups: ["system:masters"] } }
    const authenticated = options.tokenAuth || options.tokenFile !== undefined
    // The kubeconfig is the administrator's: the new admin token, else the file's first system:masters user.
    const kubeconfigToken =
      adminToken ?? Object.entries(tokens).find(([, user]) => user.groups.includes("system:masters"))?.[0]
    const tls = options.tls === undefined ? undefined : yield* readTls(options.tls)
    const serverLayer = HttpServer.layer({
      port: options.port,
      host: options.host,
      ...(tls === undefined ? {} : { tls })
    }).pipe(
      Layer.provide(
        ApiServer.layer({
          eventTTL: Duration.millis(options.eventTTL),
          ...(authenticated ? { tokens: allTokens } : {})
        })
      ),
      Layer.provide(Layer.merge(StoreSpec.layer(options.store), KubeletConnection.layer()))
    )
    yield* Effect.gen(function* () {
      const url = yield* tls === undefined ? HttpServer.serverUrl : HttpServer.secureServerUrl
      yield* Effect.try({
        try: () => {
          Fs.mkdirSync(Path.dirname(options.kubeconfigPath), { recursive: true })
          Fs.writeFileSync(
            options.kubeconfigPath,
            kubeconfig({
              server: url,
              ...(kubeconfigToken === undefined ? {} : { token: kubeconfigToken }),
              ...(tls === undefined ? {} : { certificateAuthority: tls.cert })
            }),
            { mode: 0o600 }
          )
        },
        catch: (e) => new CliError({ message: `cannot write kubeconfig ${options.kubeconfigPath}: ${String(e)}` })
      })
      yield* Console.log(
        `minik8s apiserver serving on ${url} (store ${StoreSpec.format(options.store)}), kubeconfig ${options.kubeconfigPath}` +
          (adminToken === undefined ? "" : `, token: ${adminToken}`)
      )
      return yield* Effect.never
    }).pipe(
      Effect.provide(serverLayer),
      Effect.catchTag("ServeError", (e) =>
        Effect.fail(new CliError({ message: `cannot listen on ${options.host}:${options.port}: ${String(e.cause)}` }))
      )
    )
  })
