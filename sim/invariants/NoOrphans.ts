/**
 * noOrphans (at the end, after quiescence): no object whose controller owner is gone, and no
 * container whose pod is gone. An object already being deleted is not an orphan: the garbage
 * collector has acted on it (pods on a dead node stay Terminating until the node comes back).
 */
import { resources } from "../../core/api/registry.js"
import { controllerOf } from "../../core/controllers/ControllerRef.js"
import { type InvariantContext, type InvariantHooks, nameOf } from "./Invariant.js"

export const make = (context: InvariantContext): InvariantHooks => ({
  atEnd: (end) => {
    const { world } = context
    for (const type of resources) {
      for (const obj of world.list(type.kind)) {
        const ref = controllerOf(obj)
        if (ref === undefined || obj.metadata.deletionTimestamp !== undefined) continue
        if (world.getByUid(ref.uid ?? "") !== undefined) continue
        context.report(
          obj.metadata.uid ?? "",
          `${type.kind} ${nameOf(obj.metadata)}: its controller ${ref.kind} ${ref.name} (uid ${ref.uid}) is gone`
        )
      }
    }
    const containers = [...end.containers].sort((a, b) =>
      a.node !== b.node ? (a.node < b.node ? -1 : 1) : a.podUid < b.podUid ? -1 : a.podUid > b.podUid ? 1 : 0
    )
    for (const { node, podUid } of containers) {
      if (world.getByUid(podUid)?.kind === "Pod") continue
      context.report(`${node}/${podUid}`, `node ${node}: a container of pod uid ${podUid}, which no longer exists`)
    }
  }
})
