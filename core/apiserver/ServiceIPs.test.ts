import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as TestContext from "effect/TestContext"
import * as fc from "fast-check"
import { type Harness, harness, send } from "./Harness.js"
import { ipPrefix, parseRange } from "./ServiceIPs.js"

const services = "/api/v1/namespaces/default/services"

const service = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name },
  spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec }
})

/** The IPs the store holds allocations for, in order. */
const allocated = (h: Harness) =>
  Effect.map(h.store.list(ipPrefix), (r) => r.entries.map((e) => e.key.slice(ipPrefix.length)).sort())

/** A /28: 14 usable addresses and no lower band, so tests can fill it. */
const small = { serviceClusterIPRange: "10.0.0.0/28" }

describe("service cluster IPs", () => {
  it("parses ranges as Kubernetes sizes them", () => {
    expect(parseRange("10.96.0.0/12")).toEqual(
      Either.right({ cidr: "10.96.0.0/12", network: 0x0a600000, first: 0x0a600001, size: 2 ** 20 - 2, offset: 256 })
    )
    expect(Either.map(parseRange("10.0.0.5/24"), (r) => [r.cidr, r.size, r.offset])).toEqual(
      Either.right(["10.0.0.0/24", 254, 16])
    )
    expect(Either.isLeft(parseRange("10.0.0.0/8"))).toBe(true)
    expect(Either.isLeft(parseRange("fd00::/108"))).toBe(true)
  })

  it.effect("a new Service gets a cluster IP from the upper band, with the single-stack fields", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const created = yield* send(h, "POST", services, { json: service("web") })
      expect(created.status).toBe(201)
      const spec = created.body.spec
      expect(spec).toMatchObject({
        clusterIPs: [spec.clusterIP],
        ipFamilies: ["IPv4"],
        ipFamilyPolicy: "SingleStack",
        internalTrafficPolicy: "Cluster"
      })
      const [a, b, c, d] = (spec.clusterIP as string).split(".").map(Number)
      const n = ((a! << 24) | (b! << 16) | (c! << 8) | d!) >>> 0
      expect(n).toBeGreaterThan(0x0a600000 + 256)
      expect(n).toBeLessThan(0x0a700000 - 1)
      expect(yield* allocated(h)).toEqual([spec.clusterIP])
      const listed = yield* send(h, "GET", `${services}/web`)
      expect(listed.body.spec.clusterIP).toBe(spec.clusterIP)
      // The same seed gives the same IP.
      const again = yield* harness()
      expect((yield* send(again, "POST", services, { json: service("web") })).body.spec.clusterIP).toBe(spec.clusterIP)
    })
  )

  it.effect("a requested IP is honoured; a taken one or one outside the range is a 422", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const dns = yield* send(h, "POST", services, { json: service("dns", { clusterIP: "10.96.0.10" }) })
      expect(dns.status).toBe(201)
      expect(dns.body.spec.clusterIPs).toEqual(["10.96.0.10"])
      const taken = yield* send(h, "POST", services, { json: service("other", { clusterIP: "10.96.0.10" }) })
      expect(taken.status).toBe(422)
      expect(taken.body.message).toBe(
        'Service "other" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: provided IP is already allocated'
      )
      const outside = yield* send(h, "POST", services, { json: service("far", { clusterIP: "192.168.0.1" }) })
      expect(outside.status).toBe(422)
      expect(outside.body.message).toContain("provided IP 192.168.0.1 is not in the valid range")
      // The network and broadcast addresses are not allocatable.
      expect((yield* send(h, "POST", services, { json: service("net", { clusterIP: "10.96.0.0" }) })).status).toBe(422)
      expect((yield* send(h, "POST", services, { json: service("bc", { clusterIP: "10.111.255.255" }) })).status).toBe(
        422
      )
      expect(yield* allocated(h)).toEqual(["10.96.0.10"])
    })
  )

  it.effect("headless and ExternalName Services get no IP", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const headless = yield* send(h, "POST", services, { json: service("db", { clusterIP: "None" }) })
      expect(headless.status).toBe(201)
      expect(headless.body.spec).toMatchObject({
        clusterIP: "None",
        clusterIPs: ["None"],
        ipFamilies: ["IPv4"],
        ipFamilyPolicy: "SingleStack"
      })
      const external = yield* send(h, "POST", services, {
        json: {
          apiVersion: "v1",
          kind: "Service",
          metadata: { name: "ext" },
          spec: { type: "ExternalName", externalName: "example.com" }
        }
      })
      expect(external.status).toBe(201)
      expect(external.body.spec.clusterIP).toBeUndefined()
      expect(yield* allocated(h)).toEqual([])
      expect((yield* send(h, "DELETE", `${services}/db`)).status).toBe(200)
    })
  )

  it.effect("dual-stack requests are refused on this single-stack cluster", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const dual = yield* send(h, "POST", services, { json: service("a", { ipFamilyPolicy: "RequireDualStack" }) })
      expect(dual.status).toBe(422)
      const v6 = yield* send(h, "POST", services, { json: service("b", { ipFamilies: ["IPv6"] }) })
      expect(v6.status).toBe(422)
      expect(yield* allocated(h)).toEqual([])
    })
  )

  it.effect("an update keeps the IP; changing it is refused", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const created = (yield* send(h, "POST", services, { json: service("web") })).body
      const ip = created.spec.clusterIP
      // A PUT without the allocated fields (as from a manifest) keeps them.
      const put = yield* send(h, "PUT", `${services}/web`, { json: service("web", { ports: [{ port: 8080 }] }) })
      expect(put.status).toBe(200)
      expect(put.body.spec).toMatchObject({
        clusterIP: ip,
        clusterIPs: [ip],
        ipFamilies: ["IPv4"],
        ipFamilyPolicy: "SingleStack"
      })
      const moved = yield* send(h, "PUT", `${services}/web`, { json: service("web", { clusterIP: "10.96.0.20" }) })
      expect(moved.status).toBe(422)
      expect(moved.body.message).toContain("field is immutable")
      expect(yield* allocated(h)).toEqual([ip])
    })
  )

  it.effect("a delete releases the IP, so it can be requested again", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      yield* send(h, "POST", services, { json: service("dns", { clusterIP: "10.96.0.10" }) })
      expect((yield* send(h, "DELETE", `${services}/dns`)).status).toBe(200)
      expect(yield* allocated(h)).toEqual([])
      const again = yield* send(h, "POST", services, { json: service("dns2", { clusterIP: "10.96.0.10" }) })
      expect(again.status).toBe(201)
    })
  )

  it.effect("a Service kept by a finalizer holds its IP until the last finalizer goes", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const held = { ...service("web"), metadata: { name: "web", finalizers: ["example.com/hold"] } }
      const ip = (yield* send(h, "POST", services, { json: held })).body.spec.clusterIP
      yield* send(h, "DELETE", `${services}/web`)
      expect(yield* allocated(h)).toEqual([ip])
      const patched = yield* send(h, "PATCH", `${services}/web`, {
        headers: { "content-type": "application/merge-patch+json" },
        json: { metadata: { finalizers: null } }
      })
      expect(patched.status).toBe(200)
      expect((yield* send(h, "GET", `${services}/web`)).status).toBe(404)
      expect(yield* allocated(h)).toEqual([])
    })
  )

  it.effect("a failed create leaks nothing; a dry run allocates nothing", () =>
    Effect.gen(function* () {
      const h = yield* harness(small)
      const first = (yield* send(h, "POST", services, { json: service("web") })).body.spec.clusterIP
      // The name is taken: the IP drawn for the second create is given back.
      expect((yield* send(h, "POST", services, { json: service("web") })).status).toBe(409)
      expect((yield* send(h, "POST", services, { json: service("web", { clusterIP: "10.0.0.3" }) })).status).toBe(409)
      expect(yield* allocated(h)).toEqual([first])
      const dry = yield* send(h, "POST", services, { json: service("dry"), query: { dryRun: "All" } })
      expect(dry.status).toBe(201)
      // Kubernetes answers the network address rather than searching in a dry run.
      expect(dry.body.spec.clusterIP).toBe("10.0.0.0")
      const dryTaken = yield* send(h, "POST", services, {
        json: service("dry", { clusterIP: "10.0.0.99" }),
        query: { dryRun: "All" }
      })
      expect(dryTaken.status).toBe(422)
      expect(yield* allocated(h)).toEqual([first])
    })
  )

  it.effect("a full range answers 500 and the lower band is used last", () =>
    Effect.gen(function* () {
      const h = yield* harness({ serviceClusterIPRange: "10.0.0.0/27" })
      // 30 usable, the lowest 16 kept for requests while the upper 14 have room.
      const ips: Array<string> = []
      for (let i = 0; i < 30; i++) {
        const created = yield* send(h, "POST", services, { json: service(`s${i}`) })
        expect(created.status).toBe(201)
        ips.push(created.body.spec.clusterIP)
      }
      const last = ips.map((ip) => Number(ip.split(".")[3]))
      expect(last.slice(0, 14).every((n) => n >= 17)).toBe(true)
      expect(last.slice(14).every((n) => n <= 16)).toBe(true)
      expect(new Set(ips).size).toBe(30)
      const full = yield* send(h, "POST", services, { json: service("more") })
      expect(full.status).toBe(500)
      expect(full.body.message).toContain("range is full")
    })
  )

  it("after any creates and deletes, the allocations are exactly the live Services' IPs", async () => {
    const op = fc.oneof(
      fc.record({
        op: fc.constant("create" as const),
        name: fc.integer({ min: 0, max: 7 }),
        ask: fc.option(fc.integer({ min: 0, max: 16 }), { nil: undefined })
      }),
      fc.record({ op: fc.constant("delete" as const), name: fc.integer({ min: 0, max: 7 }) })
    )
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
        const program = Effect.gen(function* () {
          const h = yield* harness(small)
          for (const o of ops) {
            if (o.op === "delete") {
              yield* send(h, "DELETE", `${services}/s${o.name}`)
            } else {
              const asked = o.ask === undefined ? {} : { clusterIP: `10.0.0.${o.ask}` }
              const created = yield* send(h, "POST", services, { json: service(`s${o.name}`, asked) })
              expect([201, 409, 422, 500]).toContain(created.status)
            }
          }
          const live = (yield* send(h, "GET", services)).body.items.map((s: any) => s.spec.clusterIP as string)
          expect(new Set(live).size).toBe(live.length)
          expect(yield* allocated(h)).toEqual([...live].sort())
        })
        await Effect.runPromise(Effect.provide(program, TestContext.TestContext))
      }),
      { seed: 42, numRuns: 100 }
    )
  })
})
