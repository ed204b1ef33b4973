/**
 * noDuplicateContainers: on a node, at most one container runs per pod (uid) and container name —
 * a kubelet that forgot its containers (a restart without re-adoption) and started new ones
 * beside them breaks it. The runtimes are read at most once per `runtimePollMillis` of virtual time on
 * the world's events, and at the end.
 */
import { type InvariantContext, type InvariantHooks, nameOf, runtimePollMillis } from "./Invariant.js"

export const make = (context: InvariantContext): InvariantHooks => {
  let polled = -Infinity
  // The keys reported and not yet resolved.
  const open = new Set<string>()

  const check = (now: number) => {
    polled = now
    const running = new Map<string, Array<string>>()
    for (const c of context.containers()) {
      if (!c.running) continue
      const key = `${c.node}\u0000${c.podUid}\u0000${c.container}`
      const ids = running.get(key)
      if (ids === undefined) running.set(key, [c.id])
      else ids.push(c.id)
    }
    for (const [key, ids] of running) {
      if (ids.length < 2) continue
      const [node, podUid, container] = key.split("\u0000")
      const pod = context.world.getByUid(podUid)
      const what = pod === undefined ? `uid ${podUid}` : `${nameOf(pod.metadata)} (uid ${podUid})`
      open.add(key)
      context.report(
        key,
        `node ${node}: ${ids.length} running containers ${container} of pod ${what}: ${ids.join(", ")}`
      )
    }
    for (const key of open) {
      if ((running.get(key)?.length ?? 0) >= 2) continue
      open.delete(key)
      context.resolve(key)
    }
  }

  return {
    onEvent: () => {
      const now = context.now()
      if (now - polled >= runtimePollMillis) check(now)
    },
    atEnd: () => check(context.now())
  }
}
