/**
 * Images on the engine: presence is `docker image inspect`; a pull is `docker pull` followed to the end
 * of its progress stream, cancelled when it makes no progress for a minute (dockershim's
 * `--image-pull-progress-deadline`). Every failure of a pull is an ImagePullError with Docker's
 * message, as the kubelet turns any failed PullImage into ErrImagePull.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { ImagePullError, type RuntimeError } from "../../core/runtime/ContainerRuntime.js"
import { chunks, type Engine, hasStatus, lines, toRuntimeError } from "./engine.js"

/** How long a pull may go without a word of progress before it is cancelled. */
export const pullProgressDeadline = Duration.minutes(1)

export const hasImage = (engine: Engine, image: string): Effect.Effect<boolean, RuntimeError> =>
  engine
    .call(`inspect image ${image}`, () => engine.docker.getImage(image).inspect())
    .pipe(
      Effect.as(true),
      Effect.catchIf(hasStatus(404), () => Effect.succeed(false)),
      Effect.mapError(toRuntimeError)
    )

interface Progress {
  readonly status?: string
  readonly error?: string
  readonly errorDetail?: { readonly message?: string }
}

const parseProgress = (line: string): Progress => {
  try {
    return JSON.parse(line) as Progress
  } catch {
    return { status: line }
  }
}

export const pullImage = (
  engine: Engine,
  image: string,
  deadline: Duration.DurationInput = pullProgressDeadline
): Effect.Effect<void, ImagePullError> =>
  Effect.gen(function* () {
    let latest = ""
    const stalled = () =>
      `Cancel pulling image "${image}" because of no progress for ${Duration.format(deadline)}, latest progress: "${latest}"`
    const progress = yield* engine.call(
      `pull ${image}`,
      (signal) => engine.docker.pull(image, { abortSignal: signal }),
      deadline
    )
    yield* lines(Stream.timeoutFail(chunks(progress, String), stalled, deadline)).pipe(
      Stream.runForEach((line) => {
        if (line.trim() === "") return Effect.void
        const step = parseProgress(line)
        if (step.error !== undefined) return Effect.fail(step.errorDetail?.message ?? step.error)
        latest = step.status ?? latest
        return Effect.void
      })
    )
  }).pipe(
    Effect.mapError(
      (failure) => new ImagePullError({ image, message: typeof failure === "string" ? failure : failure.message })
    )
  )
