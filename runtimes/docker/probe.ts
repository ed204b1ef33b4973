/**
 * Probes as the kubelet's prober runs them: an exec probe is `docker exec` and succeeds on exit code 0
 * (its output is the message); an HTTP probe is a GET from the node to the pod IP, successful for a
 * status from 200 to 399 (certificates are not verified); a TCP probe succeeds when a connection
 * opens. Each is bounded by the probe's timeout, and running out of it is a Failure saying so.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Http from "node:http"
import * as Https from "node:https"
import * as Net from "node:net"
import type { ProbeAction, ProbeResult, RuntimeError } from "../../core/runtime/ContainerRuntime.js"
import { chunks, type Engine, type EngineFailure, hasStatus, toRuntimeError } from "./engine.js"
import { demultiplexedLines } from "./logs.js"

const success: ProbeResult = { result: "Success" }
const failure = (message: string): ProbeResult => ({ result: "Failure", message })

/** Kubernetes' probe User-Agent; a probe's own headers replace it. */
const userAgent = "kube-probe/1.31"

const bounded = <E>(probe: Effect.Effect<ProbeResult, E>, timeoutSeconds: number, timedOut: string) =>
  Effect.timeoutTo(probe, {
    duration: Duration.seconds(timeoutSeconds),
    onSuccess: (result) => result,
    onTimeout: () => failure(timedOut)
  })

/** Runs `command` in the container; the container is gone or not running: a Failure. */
export const execProbe = (
  engine: Engine,
  containerId: string,
  command: ReadonlyArray<string>,
  timeoutSeconds: number
): Effect.Effect<ProbeResult, RuntimeError> => {
  const container = engine.docker.getContainer(containerId)
  const quoted = JSON.stringify(command.join(" "))
  const run = Effect.gen(function* () {
    const exec = yield* engine.call(`exec in ${containerId}`, (signal) =>
      container.exec({ Cmd: [...command], AttachStdout: true, AttachStderr: true, abortSignal: signal })
    )
    const output = yield* engine.call(`start exec in ${containerId}`, (signal) =>
      exec.start({ hijack: true, stdin: false, abortSignal: signal })
    )
    const text = yield* demultiplexedLines(chunks(output, (error) => error)).pipe(
      Stream.runCollect,
      Effect.map((collected) => [...collected].join("\n")),
      Effect.orElseSucceed(() => "")
    )
    const { ExitCode } = yield* engine.call(`inspect exec in ${containerId}`, (signal) =>
      exec.inspect({ abortSignal: signal })
    )
    if (ExitCode === 0) return success
    return failure(text !== "" ? text : `command ${quoted} exited with ${ExitCode ?? "no exit code"}`)
  })
  return bounded(
    run.pipe(
      Effect.catchIf(hasStatus(404, 409), (notRunning: EngineFailure) => Effect.succeed(failure(notRunning.message))),
      Effect.mapError(toRuntimeError)
    ),
    timeoutSeconds,
    `command ${quoted} timed out`
  )
}

const hostPort = (host: string, port: number) => (host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`)

/** GET `scheme://host:port/path` with the probe's headers. */
export const httpProbe = (
  action: Extract<ProbeAction, { readonly _tag: "HttpGet" }>,
  host: string,
  timeoutSeconds: number
): Effect.Effect<ProbeResult> => {
  const path = action.path.startsWith("/") ? action.path : `/${action.path}`
  const url = `${action.scheme.toLowerCase()}://${hostPort(host, action.port)}${path}`
  const headers: Record<string, string> = { "User-Agent": userAgent, Accept: "*/*" }
  for (const header of action.headers) headers[header.name] = header.value
  const get = Effect.async<ProbeResult>((resume) => {
    const options = { host, port: action.port, path, method: "GET", headers }
    const request =
      action.scheme === "HTTPS" ? Https.request({ ...options, rejectUnauthorized: false }) : Http.request(options)
    request.once("response", (response) => {
      response.resume()
      const status = response.statusCode ?? 0
      resume(
        Effect.succeed(
          status >= 200 && status < 400 ? success : failure(`HTTP probe failed with statuscode: ${status}`)
        )
      )
      request.destroy()
    })
    request.once("error", (error) => resume(Effect.succeed(failure(`Get "${url}": ${error.message}`))))
    request.end()
    return Effect.sync(() => request.destroy())
  })
  return bounded(
    get,
    timeoutSeconds,
    `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`
  )
}

/** Opens (and closes) a TCP connection to `host:port`. */
export const tcpProbe = (host: string, port: number, timeoutSeconds: number): Effect.Effect<ProbeResult> => {
  const address = hostPort(host, port)
  const connect = Effect.async<ProbeResult>((resume) => {
    const socket = Net.connect({ host, port })
    socket.once("connect", () => {
      socket.destroy()
      resume(Effect.succeed(success))
    })
    socket.once("error", (error) => resume(Effect.succeed(failure(`dial tcp ${address}: ${error.message}`))))
    return Effect.sync(() => socket.destroy())
  })
  return bounded(connect, timeoutSeconds, `dial tcp ${address}: i/o timeout`)
}
