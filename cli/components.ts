/**
 * `minik8s controller-manager` and `minik8s scheduler`: the `core/` control-plane components as
 * processes over the HTTP client. Each campaigns for its Lease (so a second copy waits as a
 * standby) and runs until SIGTERM or SIGINT.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Os from "node:os"
import * as Crypto from "node:crypto"
import { parseDuration } from "../core/api/duration.js"
import type { Client } from "../core/client/Client.js"
import * as ControllerManager from "../core/controllers/ControllerManager.js"
import * as SharedInformers from "../core/informer/SharedInformers.js"
import * as Scheduler from "../core/scheduler/Scheduler.js"
import { CliError } from "./errors.js"

/** A leader-election identity as Kubernetes makes one: the host name and a unique suffix. */
export const identity = (): string => `${Os.hostname()}_${Crypto.randomUUID()}`

export interface ControllerManagerFlags {
  /** `--node-monitor-grace-period`: how long a node may go without a heartbeat before it is NotReady. */
  readonly nodeMonitorGracePeriod?: string
}

export const controllerManager = (flags: ControllerManagerFlags): Effect.Effect<never, CliError, Client> =>
  Effect.gen(function* () {
    const grace =
      flags.nodeMonitorGracePeriod === undefined
        ? undefined
        : yield* Either.match(parseDuration(flags.nodeMonitorGracePeriod), {
            onLeft: (message) =>
              Effect.fail(
                new CliError({ message: `--node-monitor-grace-period ${flags.nodeMonitorGracePeriod}: ${message}` })
              ),
            onRight: (millis) => Effect.succeed(Duration.millis(millis))
          })
    yield* Effect.logInfo("controller-manager starting")
    return yield* ControllerManager.run({
      identity: identity(),
      ...(grace === undefined ? {} : { nodeLifecycle: { nodeMonitorGracePeriod: grace } })
    })
  })

export const scheduler = (profile: string): Effect.Effect<never, CliError, Client> =>
  Effect.gen(function* () {
    yield* Effect.logInfo(`scheduler starting with profile ${profile}`)
    const informers = yield* SharedInformers.make()
    return yield* Scheduler.run({ profile, identity: identity() }).pipe(
      Effect.provideService(SharedInformers.SharedInformers, informers)
    )
  }).pipe(
    Effect.scoped,
    Effect.catchTag("InvalidSchedulerConfig", (e) => Effect.fail(new CliError({ message: e.message })))
  )
