/**
 * How the kubelet writes pod status (Kubernetes' status manager): through the `status`
 * subresource, only when the status differs from both what the API holds and what was last
 * written, and on a 409 Conflict by re-reading the pod and writing again over the fresh copy
 * (keeping the conditions others own). It remembers each pod's last written status, so the sync
 * reads its own writes before the informer catches up.
 */
import * as Effect from "effect/Effect"
import type { Pod, PodStatus } from "../api/Pod.js"
import { Pods } from "../api/Pod.js"
import { equals } from "../apiserver/JsonValue.js"
import { Client } from "../client/Client.js"

export interface StatusWriter {
  /** The newest status known for the pod: the last one written unless the API has moved past it. */
  readonly latest: (pod: Pod) => PodStatus | undefined
  /** Writes `status` when it changed; false when the pod is gone (or replaced) or the write failed. */
  readonly write: (pod: Pod, status: PodStatus) => Effect.Effect<boolean>
  /** Whether the pod as the informer shows it is one this writer wrote. */
  readonly isOwnWrite: (pod: Pod) => boolean
  /** Forgets the pod. */
  readonly forget: (uid: string) => void
}

interface Written {
  readonly status: PodStatus
  readonly resourceVersion: string
}

/** Write attempts per status before waiting for the next sync (three, as Kubernetes' patch retries). */
const attempts = 3

/** Whether resourceVersion `a` is at or past `b` (store revisions are numbers). */
const atOrPast = (a: string | undefined, b: string): boolean => {
  const [x, y] = [Number(a), Number(b)]
  return Number.isFinite(x) && Number.isFinite(y) ? x >= y : a === b
}

const kubeletConditions = new Set([
  "PodReadyToStartContainers",
  "Initialized",
  "Ready",
  "ContainersReady",
  "PodScheduled"
])

export const make: Effect.Effect<StatusWriter, never, Client> = Effect.gen(function* () {
  const client = yield* Client
  const written = new Map<string, Written>()

  const mine = (pod: Pod): Written | undefined => {
    const w = written.get(pod.metadata.uid ?? "")
    // Once the API shows a newer write than ours (someone else's), the API's status is the truth.
    return w !== undefined && atOrPast(w.resourceVersion, pod.metadata.resourceVersion ?? "") ? w : undefined
  }

  const write = (pod: Pod, status: PodStatus): Effect.Effect<boolean> => {
    const uid = pod.metadata.uid ?? ""
    const last = mine(pod)
    if (equals(status, pod.status ?? {}) || (last !== undefined && equals(status, last.status)))
      return Effect.succeed(true)
    const attempt = (target: Pod, next: PodStatus, left: number): Effect.Effect<boolean> =>
      client.updateStatus(Pods, { ...target, status: next }).pipe(
        Effect.map((updated) => {
          written.set(uid, { status: next, resourceVersion: updated.metadata.resourceVersion ?? "" })
          return true
        }),
        Effect.catchAll((error) => {
          if (error._tag === "NotFound") return Effect.succeed(false)
          if (error._tag !== "Conflict" || left <= 1) {
            return Effect.as(Effect.logWarning(`could not write status of pod ${pod.metadata.name}`, error), false)
          }
          return client.get(Pods, pod.metadata.name ?? "", { namespace: pod.metadata.namespace ?? "default" }).pipe(
            Effect.flatMap((fresh) => {
              if (fresh.metadata.uid !== uid) return Effect.succeed(false)
              // Conditions others set meanwhile (DisruptionTarget, readiness gates) survive our write.
              const others = (fresh.status?.conditions ?? []).filter((c) => !kubeletConditions.has(c.type ?? ""))
              const ours = (status.conditions ?? []).filter((c) => kubeletConditions.has(c.type ?? ""))
              return attempt(fresh, { ...status, conditions: [...others, ...ours] }, left - 1)
            }),
            Effect.catchAll(() => Effect.succeed(false))
          )
        })
      )
    return attempt(pod, status, attempts)
  }

  return {
    latest: (pod) => mine(pod)?.status ?? pod.status,
    write,
    isOwnWrite: (pod) => {
      const w = written.get(pod.metadata.uid ?? "")
      return w !== undefined && w.resourceVersion === pod.metadata.resourceVersion
    },
    forget: (uid) => {
      written.delete(uid)
    }
  }
})
