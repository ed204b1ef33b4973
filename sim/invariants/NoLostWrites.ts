/**
 * noLostWrites: every write a component got a 2xx answer for (AcknowledgedWrite.ts) is in the
 * store's history — the world saw that object (kind, namespace, name) at that revision. The
 * answer travels after the write, so it is judged once the world has applied that revision (at
 * once, mostly), and at the end; a write answered at a revision the store never reaches is lost too.
 */
import type { ApiRequest, ApiResponse } from "../../core/apiserver/ApiRequest.js"
import { acknowledged, type AcknowledgedWrite, writeKey } from "./AcknowledgedWrite.js"
import { type InvariantContext, type InvariantHooks, nameOf } from "./Invariant.js"

const verbs: Record<AcknowledgedWrite["method"], string> = {
  POST: "create",
  PUT: "update",
  PATCH: "patch",
  DELETE: "delete"
}

export const make = (context: InvariantContext): InvariantHooks => {
  const { world } = context
  // Per object, every revision the world saw it at.
  const seen = new Map<string, Set<number>>()
  // Acknowledged writes whose revision the world has not applied yet.
  let pending: Array<{ readonly key: string; readonly write: AcknowledgedWrite; readonly component: string }> = []

  const judge = (key: string, write: AcknowledgedWrite, component: string) => {
    if (seen.get(key)?.has(write.revision) === true) return
    const name = nameOf({ namespace: write.namespace === "" ? undefined : write.namespace, name: write.name })
    context.report(
      `${key}@${write.revision}`,
      `${write.kind} ${name}: ${verbs[write.method]} acknowledged to ${component} at resourceVersion ${write.revision}, which the store never had`
    )
  }

  const judgeApplied = () => {
    const applied = world.revision()
    if (!pending.some((p) => p.write.revision <= applied)) return
    const due = pending.filter((p) => p.write.revision <= applied)
    pending = pending.filter((p) => p.write.revision > applied)
    for (const p of due) judge(p.key, p.write, p.component)
  }

  return {
    onEvent: (event) => {
      const { metadata } = event.object
      const key = writeKey(event.kind, metadata.namespace, metadata.name)
      let revisions = seen.get(key)
      if (revisions === undefined) {
        revisions = new Set()
        seen.set(key, revisions)
      }
      // The object's own revision: what is there when checking starts is shown at the world's.
      const rv = Number(metadata.resourceVersion)
      revisions.add(Number.isSafeInteger(rv) ? rv : event.revision)
      if (pending.length > 0) judgeApplied()
    },
    onResponse: (component: string, request: ApiRequest, response: ApiResponse) => {
      const write = acknowledged(request, response)
      if (write === undefined) return
      const key = writeKey(write.kind, write.namespace, write.name)
      if (write.revision <= world.revision()) judge(key, write, component)
      else pending.push({ key, write, component })
    },
    atEnd: () => {
      for (const p of pending) judge(p.key, p.write, p.component)
    }
  }
}
