/**
 * A node's position in the snapshot's node list, for the order-based research policies (FirstFit,
 * RoundRobin). Computed once per snapshot: positions change only when nodes come or go, which
 * makes a new snapshot.
 */
import type { Snapshot } from "../framework/Plugin.js"

const positions = new WeakMap<Snapshot, ReadonlyMap<string, number>>()

/** Node name → index in `snapshot.nodes`. */
export const nodeOrder = (snapshot: Snapshot): ReadonlyMap<string, number> => {
  let order = positions.get(snapshot)
  if (order === undefined) {
    order = new Map(snapshot.nodes.map((n, i) => [n.name, i]))
    positions.set(snapshot, order)
  }
  return order
}
