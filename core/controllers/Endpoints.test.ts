import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import type * as Scope from "effect/Scope"
import { type Endpoints, EndpointsResource } from "../api/Endpoints.js"
import { type ContainerPort, type Pod, Pods } from "../api/Pod.js"
import { type Service, Services } from "../api/Service.js"
import { Client } from "../client/Client.js"
import type { SharedInformers } from "../informer/SharedInformers.js"
import * as TestCluster from "../testing/TestCluster.js"
import * as EndpointsController from "./Endpoints.js"

const inCluster = <A, E>(body: Effect.Effect<A, E, Client | SharedInformers | Scope.Scope>) =>
  Effect.gen(function* () {
    yield* EndpointsController.make()
    return yield* body
  }).pipe(
    Logger.withMinimumLogLevel(LogLevel.None),
    Effect.scoped,
    Effect.provide(TestCluster.layer()),
    TestCluster.seeded()
  )

const service = (name: string, spec: Service["spec"], labels?: Record<string, string>): Service => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace: "default", ...(labels === undefined ? {} : { labels }) },
  ...(spec === undefined ? {} : { spec })
})

const web = service("web", {
  selector: { app: "web" },
  ports: [
    { name: "http", port: 80, targetPort: "http" },
    { name: "metrics", port: 9090, targetPort: 9090 }
  ]
})

interface PodSetup {
  readonly ip?: string
  readonly ready?: boolean
  readonly phase?: string
  readonly nodeName?: string
  readonly ports?: ReadonlyArray<ContainerPort>
  readonly labels?: Record<string, string>
}

/** Creates a pod and writes the status a kubelet would have written. */
const pod = (name: string, setup: PodSetup = {}) =>
  Effect.gen(function* () {
    const client = yield* Client
    const created = yield* client.create(Pods, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, namespace: "default", labels: setup.labels ?? { app: "web" } },
      spec: {
        ...(setup.nodeName === undefined ? {} : { nodeName: setup.nodeName }),
        containers: [
          { name: "main", image: "nginx:1.27", ports: setup.ports ?? [{ name: "http", containerPort: 8080 }] }
        ]
      }
    } as Pod)
    return yield* client.updateStatus(Pods, {
      ...created,
      status: {
        ...created.status,
        phase: setup.phase ?? "Running",
        ...(setup.ip === undefined ? {} : { podIP: setup.ip, podIPs: [{ ip: setup.ip }] }),
        conditions: [{ type: "Ready", status: setup.ready === false ? "False" : "True" }]
      }
    })
  })

const endpointsOf = (name: string) =>
  Effect.flatMap(Client, (client) => client.get(EndpointsResource, name, { namespace: "default" }))

const addressNames = (ep: Endpoints) => ({
  ready: (ep.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.targetRef?.name)).sort(),
  notReady: (ep.subsets ?? []).flatMap((s) => (s.notReadyAddresses ?? []).map((a) => a.targetRef?.name)).sort()
})

describe("Endpoints controller", () => {
  it.effect("lists ready pods under addresses and the others under notReadyAddresses, named ports resolved", () =>
    inCluster(
      Effect.gen(function* () {
        const client = yield* Client
        const ready = yield* pod("ready", { ip: "10.1.0.1", nodeName: "node-1" })
        yield* pod("starting", { ip: "10.1.0.2", ready: false, nodeName: "node-1" })
        yield* pod("no-ip", { ready: false })
        yield* pod("failed", { ip: "10.1.0.3", phase: "Failed", ready: false })
        yield* pod("other", { ip: "10.1.0.4", labels: { app: "other" } })
        yield* client.create(Services, web)
        const ep = yield* TestCluster.eventually(endpointsOf("web"))
        expect(ep.subsets).toEqual([
          {
            addresses: [
              {
                ip: "10.1.0.1",
                nodeName: "node-1",
                targetRef: { kind: "Pod", namespace: "default", name: "ready", uid: ready.metadata.uid }
              }
            ],
            notReadyAddresses: [
              {
                ip: "10.1.0.2",
                nodeName: "node-1",
                targetRef: expect.objectContaining({ kind: "Pod", name: "starting" })
              }
            ],
            ports: [
              { name: "http", port: 8080, protocol: "TCP" },
              { name: "metrics", port: 9090, protocol: "TCP" }
            ]
          }
        ])
      })
    )
  )

  it.effect("a pod without the named port serves only the service's other ports", () =>
    inCluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* pod("a", { ip: "10.1.0.1" })
        yield* pod("b", { ip: "10.1.0.2", ports: [] })
        yield* client.create(Services, web)
        const ep = yield* TestCluster.eventually(endpointsOf("web"))
        const byPorts = Object.fromEntries(
          (ep.subsets ?? []).map((s) => [
            (s.ports ?? []).map((p) => p.name).join(","),
            (s.addresses ?? []).map((a) => a.ip)
          ])
        )
        // One subset per set of addresses: http is a's alone, metrics both.
        expect(byPorts).toEqual({ http: ["10.1.0.1"], metrics: ["10.1.0.1", "10.1.0.2"] })
      })
    )
  )

  it.effect("follows readiness, pod deletion and the end of a pod; deleted with its Service", () =>
    inCluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* client.create(Services, web)
        yield* pod("a", { ip: "10.1.0.1" })
        const b = yield* pod("b", { ip: "10.1.0.2", ready: false })
        yield* pod("c", { ip: "10.1.0.3", nodeName: "node-1" })
        yield* TestCluster.eventually(
          Effect.map(endpointsOf("web"), (ep) =>
            expect(addressNames(ep)).toEqual({ ready: ["a", "c"], notReady: ["b"] })
          )
        )
        // b becomes ready.
        yield* client.updateStatus(Pods, {
          ...b,
          status: { ...b.status, conditions: [{ type: "Ready", status: "True" }] }
        })
        yield* TestCluster.eventually(
          Effect.map(endpointsOf("web"), (ep) =>
            expect(addressNames(ep)).toEqual({ ready: ["a", "b", "c"], notReady: [] })
          )
        )
        // a is deleted at once (unbound); c, bound, terminates gracefully and leaves at once too.
        yield* client.delete(Pods, "a", { namespace: "default" })
        yield* client.delete(Pods, "c", { namespace: "default" })
        yield* TestCluster.eventually(
          Effect.map(endpointsOf("web"), (ep) => expect(addressNames(ep)).toEqual({ ready: ["b"], notReady: [] }))
        )
        yield* client.delete(Services, "web", { namespace: "default" })
        yield* TestCluster.eventually(
          Effect.map(Effect.either(endpointsOf("web")), (r) => expect(r).toMatchObject({ _tag: "Left" }))
        )
      })
    )
  )

  it.effect("writes only on a change; an emptied service keeps an Endpoints without subsets", () =>
    inCluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* client.create(Services, { ...web, metadata: { ...web.metadata, labels: { tier: "front" } } })
        const a = yield* pod("a", { ip: "10.1.0.1" })
        const first = yield* TestCluster.eventually(
          Effect.tap(endpointsOf("web"), (ep) => expect(ep.subsets?.length).toBe(1))
        )
        expect(first.metadata.labels).toEqual({ tier: "front" })
        // An annotation changes nothing the Endpoints shows.
        yield* client.update(Pods, { ...a, metadata: { ...a.metadata, annotations: { note: "x" } } })
        yield* TestCluster.settle
        expect((yield* endpointsOf("web")).metadata.resourceVersion).toBe(first.metadata.resourceVersion)
        // A relabelled pod leaves the service.
        const current = yield* client.get(Pods, "a", { namespace: "default" })
        yield* client.update(Pods, { ...current, metadata: { ...current.metadata, labels: { app: "gone" } } })
        const emptied = yield* TestCluster.eventually(
          Effect.tap(endpointsOf("web"), (ep) => expect(ep.subsets).toBeUndefined())
        )
        expect(emptied.metadata.name).toBe("web")
      })
    )
  )

  it.effect("leaves Services without a selector alone; labels headless Services", () =>
    inCluster(
      Effect.gen(function* () {
        const client = yield* Client
        yield* client.create(Services, service("external", { ports: [{ port: 5432 }] }))
        const manual = yield* client.create(EndpointsResource, {
          apiVersion: "v1",
          kind: "Endpoints",
          metadata: { name: "external", namespace: "default" },
          subsets: [{ addresses: [{ ip: "192.168.1.10" }], ports: [{ port: 5432, protocol: "TCP" }] }]
        })
        yield* pod("db", { ip: "10.1.0.9", labels: { app: "db" } })
        yield* client.create(Services, service("db", { clusterIP: "None", selector: { app: "db" } }))
        const headless = yield* TestCluster.eventually(endpointsOf("db"))
        expect(headless.metadata.labels).toEqual({ [EndpointsController.headlessLabel]: "" })
        expect(headless.subsets).toEqual([{ addresses: [expect.objectContaining({ ip: "10.1.0.9" })] }])
        const untouched = yield* endpointsOf("external")
        expect(untouched.metadata.resourceVersion).toBe(manual.metadata.resourceVersion)
      })
    )
  )

  it("repacks per-port subsets into one subset per address set, not-ready winning", () => {
    const a = { ip: "10.0.0.1", targetRef: { uid: "a" } }
    const b = { ip: "10.0.0.2", targetRef: { uid: "b" } }
    const p80 = { name: "http", port: 80, protocol: "TCP" }
    const p81 = { name: "alt", port: 81, protocol: "TCP" }
    expect(
      EndpointsController.repackSubsets([
        { addresses: [b], ports: [p80] },
        { addresses: [a], ports: [p80] },
        { addresses: [a], ports: [p81] },
        { notReadyAddresses: [b], ports: [p81] },
        { addresses: [b], ports: [p81] }
      ])
    ).toEqual([
      { addresses: [a, b], ports: [p80] },
      { addresses: [a], notReadyAddresses: [b], ports: [p81] }
    ])
  })
})
