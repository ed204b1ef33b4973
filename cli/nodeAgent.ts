/**
 * `minik8s node-agent`: one node's kubelet as a process, over the Docker engine. Several agents may
 * share one engine: each owns only the containers labelled with its node name, and a restarted
 * agent re-adopts them. SIGTERM stops the agent and leaves its containers running, as a kubelet does.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Quantity from "../core/api/Quantity.js"
import type { Client } from "../core/client/Client.js"
import * as Kubelet from "../core/kubelet/Kubelet.js"
import * as DockerRuntime from "../runtimes/docker/DockerRuntime.js"
import * as KubeletServer from "../runtimes/http/kubeletServer.js"
import { CliError } from "./errors.js"

export interface NodeAgentOptions {
  readonly nodeName: string
  /** Capacity; default the host's CPUs and memory, 110 pods (the kubelet's `maxPods`). */
  readonly cpu?: string
  readonly memory?: string
  readonly pods: number
  readonly labels: Readonly<Record<string, string>>
  readonly dockerSocket?: string
  readonly podInfraImage?: string
  /** The kubelet server's port; default 0, a free one (several agents share this host). */
  readonly kubeletPort?: number
  /** The node's InternalIP, where its kubelet server listens; default 127.0.0.1 (API server on the same host). */
  readonly nodeIP?: string
}

/** `a=b,c=d` as labels. */
export const parseLabels = (text: string): Effect.Effect<Record<string, string>, CliError> =>
  Effect.try({
    try: () =>
      Object.fromEntries(
        text
          .split(",")
          .filter((pair) => pair !== "")
          .map((pair) => {
            const at = pair.indexOf("=")
            if (at <= 0) throw new Error(`--labels ${text}: want key=value[,key=value…]`)
            return [pair.slice(0, at), pair.slice(at + 1)]
          })
      ),
    catch: (e) => new CliError({ message: e instanceof Error ? e.message : String(e) })
  })

const quantity = (flag: string, text: string): Effect.Effect<string, CliError> =>
  Either.match(Quantity.parse(text), {
    onLeft: (message) => Effect.fail(new CliError({ message: `--${flag} ${text}: ${message}` })),
    onRight: () => Effect.succeed(text)
  })

/** This machine as `status.nodeInfo` tells it (what `kubectl get nodes -o wide` shows). */
const systemInfo = () => {
  const release = Fs.existsSync("/etc/os-release") ? Fs.readFileSync("/etc/os-release", "utf8") : ""
  const prettyName = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(release)?.[1]
  const machineID = Fs.existsSync("/etc/machine-id") ? Fs.readFileSync("/etc/machine-id", "utf8").trim() : undefined
  const arch = Os.arch()
  return {
    operatingSystem: Os.platform() === "win32" ? "windows" : Os.platform(),
    architecture: arch === "x64" ? "amd64" : arch,
    kernelVersion: Os.release(),
    ...(prettyName === undefined ? {} : { osImage: prettyName }),
    ...(machineID === undefined || machineID === "" ? {} : { machineID })
  }
}

export const nodeAgent = (options: NodeAgentOptions): Effect.Effect<never, CliError, Client> =>
  Effect.gen(function* () {
    const cpu = yield* quantity("cpu", options.cpu ?? String(Os.cpus().length))
    const memory = yield* quantity("memory", options.memory ?? `${Math.floor(Os.totalmem() / 1024 / 1024)}Mi`)
    // The kubelet's own server (container logs for the API server), where the node's address says.
    const nodeIP = options.nodeIP ?? "127.0.0.1"
    const kubeletPort = yield* KubeletServer.serve({ port: options.kubeletPort ?? 0, host: nodeIP }).pipe(
      Effect.mapError((e) => new CliError({ message: `cannot serve the kubelet's endpoints: ${String(e.cause)}` }))
    )
    yield* Effect.logInfo(
      `node agent ${options.nodeName} starting: cpu ${cpu}, memory ${memory}, ${options.pods} pods, kubelet port ${kubeletPort}`
    )
    yield* Kubelet.make({
      nodeName: options.nodeName,
      capacity: { cpu, memory, pods: String(options.pods) },
      labels: options.labels,
      nodeIP,
      kubeletPort,
      systemInfo: systemInfo()
    })
    return yield* Effect.never
  }).pipe(
    Effect.provide(
      DockerRuntime.layer({
        nodeName: options.nodeName,
        ...(options.dockerSocket === undefined ? {} : { socketPath: options.dockerSocket }),
        ...(options.podInfraImage === undefined ? {} : { podInfraImage: options.podInfraImage })
      })
    ),
    Effect.scoped,
    Effect.annotateLogs("node", options.nodeName)
  )
