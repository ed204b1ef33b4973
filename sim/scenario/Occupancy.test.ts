import * as Effect from "effect/Effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { Pod } from "../../core/api/Pod.js"
import * as Occupancy from "./Occupancy.js"
import type { World } from "./World.js"
import { node, pod, setup, simulate } from "./WorldFixtures.js"

/** The counts as a visit of every node and pod makes them: what the occupancy must always equal. */
const recount = (world: World) => {
  const podsPerNode = new Map<string, number>()
  for (const n of world.nodes()) podsPerNode.set(n.metadata.name ?? "", 0)
  let pending = 0
  for (const p of world.unsorted("Pod") as Iterable<Pod>) {
    const phase = p.status?.phase
    if (phase === "Succeeded" || phase === "Failed") continue
    const place = p.spec?.nodeName ?? ""
    if (place === "") pending++
    else podsPerNode.set(place, (podsPerNode.get(place) ?? 0) + 1)
  }
  const readyNodes = world
    .nodes()
    .filter((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")).length
  return { podsPerNode: [...podsPerNode], pending, readyNodes }
}

const read = (occupancy: Occupancy.Occupancy) => ({
  podsPerNode: [...occupancy.podsPerNode()],
  pending: occupancy.pending(),
  readyNodes: occupancy.readyNodes()
})

const nodeNames = ["node-a", "node-b", "node-c"]
const podNames = ["p1", "p2", "p3", "p4", "p5"]

type Op =
  | { readonly op: "pod"; readonly name: string; readonly node: string | undefined; readonly phase: string }
  | { readonly op: "deletePod"; readonly name: string }
  | { readonly op: "node"; readonly name: string; readonly ready: boolean }
  | { readonly op: "deleteNode"; readonly name: string }

const ops: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant("pod" as const),
    name: fc.constantFrom(...podNames),
    node: fc.option(fc.constantFrom(...nodeNames), { nil: undefined }),
    phase: fc.constantFrom("Pending", "Running", "Succeeded", "Failed")
  }),
  fc.record({ op: fc.constant("deletePod" as const), name: fc.constantFrom(...podNames) }),
  fc.record({ op: fc.constant("node" as const), name: fc.constantFrom(...nodeNames), ready: fc.boolean() }),
  fc.record({ op: fc.constant("deleteNode" as const), name: fc.constantFrom(...nodeNames) })
)

describe("Occupancy", () => {
  it("counts what is there at the start, then keeps the counts a full visit would make", () => {
    fc.assert(
      fc.property(fc.array(ops, { maxLength: 40 }), (sequence) => {
        simulate(
          Effect.gen(function* () {
            const { world, put, remove } = yield* setup()
            yield* put(node("node-a"))
            yield* put(pod("p1", { node: "node-a" }))
            yield* world.settled
            const occupancy = Occupancy.make(world)
            expect(read(occupancy)).toEqual(recount(world))
            for (const step of sequence) {
              const present = world.get(
                step.op === "pod" || step.op === "deletePod" ? "Pod" : "Node",
                "default",
                step.name
              )
              if (step.op === "pod")
                yield* put(
                  pod(
                    step.name,
                    step.node === undefined ? { phase: step.phase } : { node: step.node, phase: step.phase }
                  )
                )
              else if (step.op === "node") yield* put(node(step.name, { ready: step.ready }))
              else if (present !== undefined) yield* remove(step.op === "deletePod" ? pod(step.name) : node(step.name))
              yield* world.settled
              expect(read(occupancy)).toEqual(recount(world))
            }
          })
        )
      }),
      { seed: 42, numRuns: 200 }
    )
  })

  it("lists nodes pods are bound to that the world does not know after the known ones, in the pods' order", () => {
    const counts = simulate(
      Effect.gen(function* () {
        const { world, put } = yield* setup()
        yield* put(node("node-b"))
        yield* put(node("node-a", { ready: false }))
        yield* world.settled
        const occupancy = Occupancy.make(world)
        yield* put(pod("p1", { node: "gone-2" }))
        yield* put(pod("p2", { node: "node-b" }))
        yield* put(pod("p3", { node: "gone-1" }))
        yield* put(pod("p4", { node: "gone-2" }))
        yield* put(pod("p5"))
        yield* world.settled
        return read(occupancy)
      })
    )
    expect(counts).toEqual({
      podsPerNode: [
        ["node-a", 0],
        ["node-b", 1],
        ["gone-2", 2],
        ["gone-1", 1]
      ],
      pending: 1,
      readyNodes: 1
    })
  })
})
