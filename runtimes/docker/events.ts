/**
 * `docker events` for one node's containers (filtered by its `io.minik8s.node` label) as RuntimeEvents:
 * a container's `start`, `die` and `destroy` become ContainerStarted, ContainerExited and
 * ContainerRemoved, a sandbox's `destroy` SandboxRemoved; a sandbox's start and death have no event
 * (the kubelet's relist notices them). The connection closes when the Stream ends or is interrupted;
 * the engine closing it fails the Stream, so the kubelet reconnects.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { RuntimeError, type RuntimeEvent } from "../../core/runtime/ContainerRuntime.js"
import { chunks, type Engine, lines, toRuntimeError } from "./engine.js"
import { nodeLabel, podUidLabel, typeLabel } from "./labels.js"

interface DockerEvent {
  readonly Type?: string
  readonly Action?: string
  readonly Actor?: { readonly ID?: string; readonly Attributes?: Readonly<Record<string, string>> }
}

const parse = (line: string): DockerEvent | undefined => {
  try {
    return JSON.parse(line) as DockerEvent
  } catch {
    return undefined
  }
}

/** The RuntimeEvent a Docker event means, if any. */
export const runtimeEventOf = (event: DockerEvent): RuntimeEvent | undefined => {
  const attributes = event.Actor?.Attributes ?? {}
  const id = event.Actor?.ID
  const podUid = attributes[podUidLabel]
  if (event.Type !== "container" || id === undefined || podUid === undefined) return undefined
  const sandbox = attributes[typeLabel] === "sandbox"
  switch (event.Action) {
    case "start":
      return sandbox ? undefined : { type: "ContainerStarted", podUid, id }
    case "die":
      return sandbox ? undefined : { type: "ContainerExited", podUid, id }
    case "destroy":
      return { type: sandbox ? "SandboxRemoved" : "ContainerRemoved", podUid, id }
    default:
      return undefined
  }
}

export const events = (engine: Engine, nodeName: string): Stream.Stream<RuntimeEvent, RuntimeError> =>
  Stream.unwrap(
    Effect.map(
      engine.call("watch events", (signal) =>
        engine.docker.getEvents({
          filters: { type: ["container"], event: ["start", "die", "destroy"], label: [`${nodeLabel}=${nodeName}`] },
          abortSignal: signal
        })
      ),
      (response) =>
        Stream.concat(
          lines(chunks(response, (error) => new RuntimeError({ message: `docker events: ${String(error)}` }))).pipe(
            Stream.filterMap((line) => Option.fromNullable(runtimeEventOf(parse(line) ?? {})))
          ),
          Stream.fail(new RuntimeError({ message: "docker events: the Docker engine closed the stream" }))
        )
    ).pipe(Effect.mapError(toRuntimeError))
  )
