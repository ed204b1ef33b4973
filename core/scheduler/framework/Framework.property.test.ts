import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as fc from "fast-check"
import type { Node, Taint } from "../../api/Node.js"
import type { Pod, Toleration, TopologySpreadConstraint } from "../../api/Pod.js"
import { bindTo, cycleState, node, nodeInfo, pod } from "../plugins/Fixtures.js"
import { profiles } from "../Profile.js"
import { defaultRegistry } from "../registry.js"
import * as Framework from "./Framework.js"
import * as Plugin from "./Plugin.js"
import * as Snapshot from "./Snapshot.js"

const handle: Plugin.Handle = { bind: () => Effect.succeed(Plugin.success) }

const taintChoices: ReadonlyArray<Taint> = [
  { key: "dedicated", value: "gpu", effect: "NoSchedule" },
  { key: "spot", effect: "NoExecute" },
  { key: "soft", value: "x", effect: "PreferNoSchedule" }
]
const tolerationChoices: ReadonlyArray<Toleration> = [
  { key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" },
  { key: "dedicated", operator: "Equal", value: "cpu" },
  { key: "spot", operator: "Exists" }
]

const nodeArb = fc.record({
  cpu: fc.constantFrom("1", "2", "4", "8"),
  memory: fc.constantFrom("1Gi", "2Gi", "4Gi", "8Gi"),
  pods: fc.integer({ min: 1, max: 8 }),
  zone: fc.option(fc.constantFrom("a", "b", "c"), { nil: undefined }),
  disk: fc.option(fc.constantFrom("ssd", "hdd"), { nil: undefined }),
  taints: fc.subarray([...taintChoices])
})

const podArb = fc.record({
  cpu: fc.constantFrom(undefined, "100m", "500m", "1", "2"),
  memory: fc.constantFrom(undefined, "128Mi", "1Gi", "2Gi"),
  group: fc.constantFrom("g1", "g2"),
  ssd: fc.boolean(),
  zones: fc.option(fc.subarray(["a", "b", "c"], { minLength: 1 }), { nil: undefined }),
  tolerations: fc.subarray([...tolerationChoices]),
  spread: fc.option(
    fc.record({ maxSkew: fc.integer({ min: 1, max: 2 }), key: fc.constantFrom("zone", "kubernetes.io/hostname") }),
    { nil: undefined }
  )
})

type PodSpec = typeof podArb extends fc.Arbitrary<infer A> ? A : never

const toPod = (name: string, s: PodSpec): Pod =>
  pod(name, {
    ...(s.cpu === undefined ? {} : { cpu: s.cpu }),
    ...(s.memory === undefined ? {} : { memory: s.memory }),
    labels: { app: s.group },
    ...(s.ssd ? { nodeSelector: { disk: "ssd" } } : {}),
    ...(s.zones === undefined
      ? {}
      : {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "In", values: s.zones }] }]
              }
            }
          }
        }),
    tolerations: s.tolerations,
    ...(s.spread === undefined
      ? {}
      : {
          spread: [
            {
              maxSkew: s.spread.maxSkew,
              topologyKey: s.spread.key,
              whenUnsatisfiable: "DoNotSchedule",
              labelSelector: { matchLabels: { app: s.group } }
            } satisfies TopologySpreadConstraint
          ]
        })
  })

// Independent re-statements of the filters, from the pod and node objects alone.
const milli = (v: string | number | undefined) => {
  const q = v === undefined ? undefined : String(v)
  return q === undefined ? 0 : q.endsWith("m") ? Number(q.slice(0, -1)) : Number(q) * 1000
}
const bytes = (v: string | number | undefined) => {
  const q = v === undefined ? undefined : String(v)
  return q === undefined ? 0 : q.endsWith("Gi") ? Number(q.slice(0, -2)) * 2 ** 30 : Number(q.slice(0, -2)) * 2 ** 20
}
const request = (p: Pod) => p.spec!.containers![0].resources?.requests
const labels = (n: Node) => n.metadata.labels ?? {}

const tolerates = (p: Pod, t: Taint) =>
  (p.spec?.tolerations ?? []).some(
    (x) =>
      (x.key === undefined || x.key === t.key) &&
      (x.effect === undefined || x.effect === t.effect) &&
      (x.operator === "Exists" || (x.value ?? "") === (t.value ?? ""))
  )

const matchesNode = (p: Pod, n: Node) => {
  const l = labels(n)
  if (Object.entries(p.spec?.nodeSelector ?? {}).some(([k, v]) => l[k] !== v)) return false
  const terms = p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms
  return terms === undefined || terms.some((t) => t.matchExpressions!.every((e) => e.values!.includes(l[e.key!])))
}

const fits = (p: Pod, n: Node, placed: ReadonlyArray<Pod>, all: ReadonlyMap<Node, ReadonlyArray<Pod>>) => {
  const alloc = n.status!.allocatable!
  const cpu = [...placed, p].reduce((s, x) => s + milli(request(x)?.cpu), 0)
  const memory = [...placed, p].reduce((s, x) => s + bytes(request(x)?.memory), 0)
  if (cpu > milli(alloc.cpu) || memory > bytes(alloc.memory) || placed.length + 1 > Number(alloc.pods)) return false
  if (!matchesNode(p, n)) return false
  if ((n.spec?.taints ?? []).some((t) => t.effect !== "PreferNoSchedule" && !tolerates(p, t))) return false
  for (const c of p.spec?.topologySpreadConstraints ?? []) {
    const key = c.topologyKey!
    if (labels(n)[key] === undefined) return false
    const counts = new Map<string, number>()
    for (const [other, pods] of all) {
      if (labels(other)[key] === undefined || !matchesNode(p, other)) continue
      const d = labels(other)[key]
      const matching = pods.filter((x) => x.metadata.labels?.app === p.metadata.labels?.app).length
      counts.set(d, (counts.get(d) ?? 0) + matching)
    }
    const min = Math.min(...counts.values())
    if ((counts.get(labels(n)[key]) ?? 0) + 1 - min > c.maxSkew!) return false
  }
  return true
}

describe("Framework property", () => {
  it("binds only where every filter holds, and leaves a pod pending only when no node fits", () => {
    fc.assert(
      fc.property(
        fc.array(nodeArb, { minLength: 1, maxLength: 8 }),
        fc.array(podArb, { minLength: 1, maxLength: 30 }),
        fc.constantFrom(...Object.keys(profiles)),
        fc.integer(),
        (nodeSpecs, podSpecs, profileName, seed) => {
          const nodes = nodeSpecs.map((s, i) =>
            node(`n${i}`, {
              cpu: s.cpu,
              memory: s.memory,
              pods: s.pods,
              labels: { ...(s.zone ? { zone: s.zone } : {}), ...(s.disk ? { disk: s.disk } : {}) },
              taints: s.taints
            })
          )
          const infos = nodes.map((n) => nodeInfo(n))
          const placed = new Map<Node, Array<Pod>>(nodes.map((n) => [n, []]))
          const snapshot = Snapshot.make(infos)
          const framework = Either.getOrThrow(Framework.make(profiles[profileName], defaultRegistry, handle))
          podSpecs.forEach((s, i) => {
            const p = toPod(`p${i}`, s)
            const feasible = nodes.filter((n) => fits(p, n, placed.get(n)!, placed))
            const result = framework.schedule(cycleState(seed + i), p, snapshot)
            if (result._tag === "Scheduled") {
              const n = nodes.find((x) => x.metadata.name === result.nodeName)!
              expect(feasible, `${p.metadata.name} on ${result.nodeName}`).toContain(n)
              bindTo(snapshot.get(result.nodeName)!, p)
              placed.get(n)!.push(p)
            } else {
              expect(result._tag).toBe("Unschedulable")
              expect(
                feasible.map((n) => n.metadata.name),
                `${p.metadata.name} left pending`
              ).toEqual([])
            }
          })
        }
      ),
      { seed: 42, numRuns: 300 }
    )
  })
})
