/**
 * noContainerAfterDelete: no container runs for a pod that has been gone from the store for longer
 * than its grace period (the larger of `deletionGracePeriodSeconds` and
 * `terminationGracePeriodSeconds`, default 30 s) plus one heartbeat interval, plus twice its
 * kubelet's recent watch lag (WatchLag.ts: it learns late of a deletion under a slow network or
 * with a lagging informer). A kubelet that cannot act — its node down (it holds nothing then),
 * stopped, cut off from the API server — is silent (no heartbeat for longer than 1.5 heartbeat
 * intervals): its containers are not judged while it is, and the grace period counts from when
 * its heartbeats resumed.
 *
 * The runtimes are read at most once per `runtimePollMillis` of virtual time on the world's
 * events, and at the end.
 */
import type { Pod } from "../../core/api/Pod.js"
import * as Heartbeats from "./Heartbeats.js"
import { type InvariantContext, type InvariantHooks, nameOf, runtimePollMillis } from "./Invariant.js"
import * as WatchLag from "./WatchLag.js"

const defaultGraceMillis = 30_000

const seconds = (millis: number) => `${Math.round(millis / 100) / 10}s`

export const make = (context: InvariantContext): InvariantHooks => {
  const interval = context.timing.heartbeatInterval
  const silence = 1.5 * interval
  const heartbeats = Heartbeats.make(silence)
  const lag = WatchLag.make(context.now)
  const startedAt = context.now()
  // Pods gone from the store, by uid: when, and their grace period.
  const gone = new Map<string, { readonly name: string; readonly at: number; readonly grace: number }>()
  let polled = -Infinity

  const check = (now: number) => {
    polled = now
    for (const c of context.containers()) {
      if (!c.running || context.world.getByUid(c.podUid)?.kind === "Pod") continue
      const last = heartbeats.last(c.node)
      if (last !== undefined && now - last > silence) continue
      const pod = gone.get(c.podUid)
      const deadline =
        Math.max(pod?.at ?? startedAt, heartbeats.resumed(c.node) ?? -Infinity) +
        (pod?.grace ?? defaultGraceMillis) +
        interval +
        2 * lag.recent(c.node)
      if (now <= deadline) continue
      const what = pod === undefined ? `uid ${c.podUid}` : `${pod.name} (uid ${c.podUid})`
      context.report(
        `${c.node}/${c.id}`,
        `node ${c.node}: container ${c.container} of pod ${what} still runs ${seconds(now - (pod?.at ?? startedAt))} after the pod was deleted`
      )
    }
  }

  return {
    onEvent: (event) => {
      const now = context.now()
      heartbeats.see(event.kind, event.object, event.type === "DELETED", now)
      lag.applied(event, now)
      if (event.kind === "Pod" && event.type === "DELETED") {
        const pod = event.object as Pod
        const grace = Math.max(
          pod.metadata.deletionGracePeriodSeconds ?? 0,
          pod.spec?.terminationGracePeriodSeconds ?? defaultGraceMillis / 1000
        )
        gone.set(pod.metadata.uid ?? "", {
          name: nameOf(pod.metadata),
          at: now,
          grace: grace * 1000
        })
      }
      if (now - polled >= runtimePollMillis) check(now)
    },
    onWatchLine: lag.onWatchLine,
    atEnd: () => check(context.now())
  }
}
