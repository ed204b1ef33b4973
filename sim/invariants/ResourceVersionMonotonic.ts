/**
 * resourceVersionMonotonic: on every watch stream a component receives, each object's
 * resourceVersion strictly increases; a BOOKMARK's resourceVersion is at least every one delivered
 * before it, and what follows a bookmark is newer than it (a bookmark says "you have everything up
 * to here"). An ERROR line ends the stream. Objects are told apart by uid (by namespace/name when
 * a line has none, as partial metadata may not).
 */
import type { ApiRequest, WatchLine } from "../../core/apiserver/ApiRequest.js"
import type { InvariantContext, InvariantHooks } from "./Invariant.js"

interface LineMeta {
  readonly kind?: string
  readonly metadata?: {
    readonly uid?: string
    readonly namespace?: string
    readonly name?: string
    readonly resourceVersion?: string
  }
}

/** The line's resourceVersion as a number; undefined when it carries none (a Table row, a Status). */
const revisionOf = (meta: LineMeta): number | undefined => {
  const rv = meta.metadata?.resourceVersion
  return rv !== undefined && /^[0-9]+$/.test(rv) ? Number(rv) : undefined
}

const describe = (meta: LineMeta): string => {
  const namespace = meta.metadata?.namespace
  const name = meta.metadata?.name ?? ""
  return `${meta.kind ?? "object"} ${namespace === undefined ? name : `${namespace}/${name}`}`
}

export const make = (context: InvariantContext): InvariantHooks => {
  let streams = 0
  const onWatchLine = (component: string, request: ApiRequest) => {
    const stream = ++streams
    const where = `${component} watch ${request.path}`
    const last = new Map<string, number>()
    // Everything delivered so far is at or below `highest`; everything after a bookmark is above `bookmark`.
    let highest = 0
    let bookmark = 0
    let ended = false
    return (line: WatchLine) => {
      if (ended) return
      if (line.type === "ERROR") {
        ended = true
        return
      }
      const meta = (line.object ?? {}) as LineMeta
      const rv = revisionOf(meta)
      if (rv === undefined) return
      if (line.type === "BOOKMARK") {
        if (rv < highest)
          context.report(`${stream}/bookmark`, `${where}: BOOKMARK at resourceVersion ${rv} after ${highest}`)
        bookmark = Math.max(bookmark, rv)
        highest = Math.max(highest, rv)
        return
      }
      const id = meta.metadata?.uid ?? `${meta.metadata?.namespace ?? ""}/${meta.metadata?.name ?? ""}`
      const previous = last.get(id)
      if (previous !== undefined && rv <= previous)
        context.report(`${stream}/${id}`, `${where}: ${describe(meta)} resourceVersion ${rv} after ${previous}`)
      else if (rv <= bookmark)
        context.report(
          `${stream}/${id}`,
          `${where}: ${describe(meta)} resourceVersion ${rv} after BOOKMARK ${bookmark}`
        )
      highest = Math.max(highest, rv)
      // Kept after DELETED too: an object that left the selection may come back, and only later.
      last.set(id, Math.max(rv, previous ?? 0))
    }
  }
  return { onWatchLine }
}
