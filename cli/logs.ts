/**
 * `minik8s logs POD [-c CONTAINER] [-f] [--tail N] [--previous]`: a container's log through the
 * `pods/log` subresource, as `kubectl logs` prints it. Without `-c` the container is the one the
 * `kubectl.kubernetes.io/default-container` annotation names, else the first, and when the pod has
 * others a `Defaulted container …` line goes to stderr, as kubectl writes it.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { type Pod, Pods } from "../core/api/Pod.js"
import { Client } from "../core/client/Client.js"
import { CliError } from "./errors.js"

export interface LogsArgs {
  /** `NAME` or `pod/NAME`. */
  readonly pod: string
  readonly container: string | undefined
  readonly follow: boolean
  /** -1: every line. */
  readonly tail: number
  readonly previous: boolean
  readonly namespace: string | undefined
}

const defaultContainerAnnotation = "kubectl.kubernetes.io/default-container"

/** `pod/web` or `web` into `web`. */
const podName = (word: string): Effect.Effect<string, CliError> => {
  const [kind, name, ...rest] = word.split("/")
  if (name === undefined) return Effect.succeed(word)
  return (kind === "pod" || kind === "pods" || kind === "po") && name !== "" && rest.length === 0
    ? Effect.succeed(name)
    : Effect.fail(new CliError({ message: `cannot read the logs of ${word}: name a pod, as NAME or pod/NAME` }))
}

/** kubectl's `AllContainerNames`: `web, sidecar, debug (ephem), setup (init)`. */
const allContainerNames = (pod: Pod): string =>
  [
    ...(pod.spec?.containers ?? []).map((c) => c.name ?? ""),
    ...(pod.spec?.ephemeralContainers ?? []).map((c) => `${String((c as { name?: unknown }).name)} (ephem)`),
    ...(pod.spec?.initContainers ?? []).map((c) => `${c.name ?? ""} (init)`)
  ].join(", ")

/** The container kubectl picks when none is named, with the line it writes about it. */
const defaultContainer = (pod: Pod): Effect.Effect<string> =>
  Effect.gen(function* () {
    const containers = pod.spec?.containers ?? []
    const annotated = pod.metadata.annotations?.[defaultContainerAnnotation] ?? ""
    if (annotated !== "") {
      if (
        containers.some((c) => c.name === annotated) ||
        (pod.spec?.initContainers ?? []).some((c) => c.name === annotated)
      ) {
        return annotated
      }
      yield* Console.error(`Default container name "${annotated}" not found in pod ${pod.metadata.name}`)
    }
    const first = containers[0]?.name ?? ""
    const others =
      containers.length > 1 ||
      (pod.spec?.initContainers ?? []).length > 0 ||
      (pod.spec?.ephemeralContainers ?? []).length > 0
    if (others) yield* Console.error(`Defaulted container "${first}" out of: ${allContainerNames(pod)}`)
    return first
  })

export const logs = (args: LogsArgs) =>
  Effect.gen(function* () {
    const client = yield* Client
    const namespace = args.namespace ?? "default"
    const name = yield* podName(args.pod)
    const container = args.container ?? (yield* defaultContainer(yield* client.get(Pods, name, { namespace })))
    yield* client
      .logs(name, {
        namespace,
        container,
        follow: args.follow,
        previous: args.previous,
        ...(args.tail === -1 ? {} : { tailLines: args.tail })
      })
      .pipe(Stream.runForEachChunk((lines) => (lines.length === 0 ? Effect.void : Console.log([...lines].join("\n")))))
  })
