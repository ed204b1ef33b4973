/**
 * The boundary to the Docker engine: a dockerode call as an Effect that is bounded in time, cancelled
 * through its AbortSignal when interrupted, and fails with the engine's own message and HTTP status;
 * a response stream as a Stream whose finalizer closes the connection.
 */
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import Docker from "dockerode"
import { RuntimeError } from "../../core/runtime/ContainerRuntime.js"

/** A failed engine call: what was asked, the HTTP status when the engine answered one, and its message. */
export class EngineFailure extends Data.TaggedError("EngineFailure")<{
  readonly what: string
  readonly status: number | undefined
  readonly message: string
}> {}

/** How long a plain request may take before it counts as the engine not answering. */
export const requestTimeout = Duration.seconds(30)

export interface Engine {
  readonly docker: Docker
  /** Runs `request` with an AbortSignal that interruption (or the timeout) fires. */
  readonly call: <A>(
    what: string,
    request: (signal: AbortSignal) => Promise<A>,
    timeout?: Duration.DurationInput
  ) => Effect.Effect<A, EngineFailure>
}

interface DockerodeError {
  readonly statusCode?: number
  readonly code?: string
  readonly message?: string
  readonly json?: unknown
}

// dockerode puts the engine's JSON answer (`{"message": …}`) in `json`, sometimes as a Buffer.
const engineMessage = (json: unknown): string | undefined => {
  const parsed = Buffer.isBuffer(json) ? safeParse(json.toString("utf8")) : json
  if (typeof parsed === "object" && parsed !== null && "message" in parsed && typeof parsed.message === "string") {
    return parsed.message
  }
  return typeof parsed === "string" && parsed.length > 0 ? parsed.trim() : undefined
}

const safeParse = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** An Engine on the Unix socket at `socketPath`. */
export const make = (socketPath: string): Engine => {
  const docker = new Docker({ socketPath })
  const failureOf = (what: string, error: unknown): EngineFailure => {
    const e = (typeof error === "object" && error !== null ? error : { message: String(error) }) as DockerodeError
    if (e.statusCode === undefined) {
      return new EngineFailure({
        what,
        status: undefined,
        message: `cannot reach the Docker engine at ${socketPath}: ${e.message ?? String(error)}`
      })
    }
    return new EngineFailure({ what, status: e.statusCode, message: engineMessage(e.json) ?? e.message ?? "" })
  }
  const call: Engine["call"] = (what, request, timeout = requestTimeout) =>
    Effect.tryPromise({ try: request, catch: (error) => failureOf(what, error) }).pipe(
      Effect.timeoutFail({
        duration: timeout,
        onTimeout: () =>
          new EngineFailure({
            what,
            status: undefined,
            message: `the Docker engine at ${socketPath} did not answer within ${Duration.format(timeout)}`
          })
      })
    )
  return { docker, call }
}

/** Whether the engine answered with this HTTP status. */
export const hasStatus =
  (...statuses: ReadonlyArray<number>) =>
  (failure: EngineFailure): boolean =>
    failure.status !== undefined && statuses.includes(failure.status)

export const toRuntimeError = (failure: EngineFailure): RuntimeError =>
  new RuntimeError({ message: `${failure.what}: ${failure.message}` })

/** The chunks of a response body; ending or interrupting the Stream destroys it (closing the connection). */
export const chunks = <E>(readable: NodeJS.ReadableStream, onError: (error: unknown) => E): Stream.Stream<Buffer, E> =>
  Stream.async<Buffer, E>((emit) => {
    readable.on(
      "data",
      (chunk: Buffer | string) => void emit.single(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))
    )
    readable.once("end", () => void emit.end())
    readable.once("close", () => void emit.end())
    readable.once("error", (error) => void emit.fail(onError(error)))
    return Effect.sync(() => (readable as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.())
  }, "unbounded")

/** Splits text chunks into lines (without their "\n"); a last unterminated line is kept. */
export const lines = <E>(text: Stream.Stream<Buffer, E>): Stream.Stream<string, E> =>
  Stream.splitLines(Stream.decodeText(text))
