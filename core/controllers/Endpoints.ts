/**
 * The endpoints controller (pkg/controller/endpoint): for every Service with a selector, an
 * Endpoints object of the same name listing the selected pods that have an IP — ready ones under
 * `addresses`, the others (not terminal, not terminating) under `notReadyAddresses` — with the
 * service's ports resolved per pod (a named targetPort is looked up in the pod's containers).
 * Written only when it changed; deleted with its Service; Services without a selector and
 * ExternalName Services are left alone.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { EndpointAddress, EndpointPort, Endpoints, EndpointSubset } from "../api/Endpoints.js"
import { EndpointsResource } from "../api/Endpoints.js"
import * as LabelSelector from "../api/LabelSelector.js"
import type { Pod } from "../api/Pod.js"
import { Pods } from "../api/Pod.js"
import type { Service, ServicePort } from "../api/Service.js"
import { Services } from "../api/Service.js"
import { canonical } from "../api/validation.js"
import { Client } from "../client/Client.js"
import * as EventRecorder from "../client/EventRecorder.js"
import { byNamespace, keyOf, splitKey } from "../informer/Informer.js"
import { SharedInformers } from "../informer/SharedInformers.js"
import * as WorkQueue from "../informer/WorkQueue.js"
import { planted } from "../testing/KnownBugs.js"
import * as Controller from "./Controller.js"
import { isPodReady, isPodTerminal } from "./PodConditions.js"

export interface EndpointsOptions {
  /** Services synced at once (`--concurrent-endpoint-syncs`); default 5. */
  readonly workers?: number
}

/** The label an Endpoints of a headless Service carries. */
export const headlessLabel = "service.kubernetes.io/headless"
/** Set when more than `maxCapacity` addresses were cut. */
export const overCapacityAnnotation = "endpoints.kubernetes.io/over-capacity"
/** The most addresses one Endpoints object holds. */
export const maxCapacity = 1000

const isIPv6 = (ip: string) => ip.includes(":")

/** ShouldPodBeInEndpoints: has an IP, not terminal, and not terminating unless the Service publishes not-ready addresses. */
export const shouldPodBeInEndpoints = (pod: Pod, includeTerminating: boolean): boolean =>
  !isPodTerminal(pod) &&
  ((pod.status?.podIP ?? "") !== "" || (pod.status?.podIPs ?? []).length > 0) &&
  (includeTerminating || pod.metadata.deletionTimestamp === undefined)

/** The pod's IP of the Service's family (its first ipFamily, else its cluster IP's, else the pod's own). */
const podAddress = (svc: Service, pod: Pod): string | undefined => {
  const clusterIP = svc.spec?.clusterIP ?? ""
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip ?? "")
  const candidates = ips.length > 0 ? ips : [pod.status?.podIP ?? ""]
  const family = svc.spec?.ipFamilies?.[0]
  const v6 =
    family !== undefined
      ? family === "IPv6"
      : clusterIP !== "" && clusterIP !== "None"
        ? isIPv6(clusterIP)
        : isIPv6(pod.status?.podIP ?? "")
  return candidates.find((ip) => ip !== "" && isIPv6(ip) === v6)
}

/** FindPort: a numeric targetPort as is; a named one from the pod's containers (same protocol). */
export const findPort = (pod: Pod, port: ServicePort): number | undefined => {
  const target = port.targetPort ?? port.port
  if (typeof target === "number") return target
  const protocol = port.protocol ?? "TCP"
  const containers = [
    ...(pod.spec?.containers ?? []),
    // Sidecars (restartable init containers) serve too.
    ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === "Always")
  ]
  for (const c of containers) {
    const found = (c.ports ?? []).find((p) => p.name === target && (p.protocol ?? "TCP") === protocol)
    if (found !== undefined) return found.containerPort
  }
  return undefined
}

const addressKey = (a: EndpointAddress) => `${a.ip ?? ""}\u0000${a.targetRef?.uid ?? ""}`

/** LessEndpointAddress: by IP, then by target uid. */
const compareAddresses = (a: EndpointAddress, b: EndpointAddress) => {
  const [x, y] = [addressKey(a), addressKey(b)]
  return x < y ? -1 : x > y ? 1 : 0
}

const byCanonical = <A>(a: A, b: A) => {
  const [x, y] = [canonical(a), canonical(b)]
  return x < y ? -1 : x > y ? 1 : 0
}

/**
 * RepackSubsets: one subset per distinct set of addresses, holding every port those addresses
 * offer; an address not ready on some port is not ready there (not-ready wins). Sorted, so two
 * packings of the same endpoints compare equal.
 */
export const repackSubsets = (subsets: ReadonlyArray<EndpointSubset>): ReadonlyArray<EndpointSubset> => {
  const addresses = new Map<string, EndpointAddress>()
  const byPort = new Map<string, { port: EndpointPort | undefined; ready: Map<string, boolean> }>()
  for (const subset of subsets) {
    const ports: ReadonlyArray<EndpointPort | undefined> =
      (subset.ports ?? []).length === 0 ? [undefined] : subset.ports!
    for (const port of ports) {
      const portKey = port === undefined ? "" : canonical(port)
      const entry = byPort.get(portKey) ?? { port, ready: new Map<string, boolean>() }
      byPort.set(portKey, entry)
      const record = (a: EndpointAddress, ready: boolean) => {
        const key = addressKey(a)
        if (!addresses.has(key)) addresses.set(key, a)
        if (entry.ready.get(key) !== false) entry.ready.set(key, ready)
      }
      for (const a of subset.addresses ?? []) record(a, true)
      for (const a of subset.notReadyAddresses ?? []) record(a, false)
    }
  }
  const groups = new Map<string, { ready: Map<string, boolean>; ports: Array<EndpointPort> }>()
  for (const { port, ready } of byPort.values()) {
    const groupKey = canonical([...ready].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    const group = groups.get(groupKey) ?? { ready, ports: [] }
    groups.set(groupKey, group)
    if (port !== undefined) group.ports.push(port)
  }
  return [...groups.values()]
    .map(({ ready, ports }): EndpointSubset => {
      const pick = (want: boolean) =>
        [...ready]
          .filter(([, r]) => r === want)
          .map(([key]) => addresses.get(key)!)
          .sort(compareAddresses)
      const [ok, notOk] = [pick(true), pick(false)]
      return {
        ...(ok.length === 0 ? {} : { addresses: ok }),
        ...(notOk.length === 0 ? {} : { notReadyAddresses: notOk }),
        ...(ports.length === 0 ? {} : { ports: [...ports].sort(byCanonical) })
      }
    })
    .sort(byCanonical)
}

/** truncateEndpoints: at most `maxCapacity` addresses, ready ones first, cut in proportion per subset. */
const truncate = (subsets: ReadonlyArray<EndpointSubset>): ReadonlyArray<EndpointSubset> | undefined => {
  const totalReady = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0), 0)
  const totalNotReady = subsets.reduce((n, s) => n + (s.notReadyAddresses?.length ?? 0), 0)
  if (totalReady + totalNotReady <= maxCapacity) return undefined
  const cutReady = totalReady > maxCapacity
  const max = cutReady ? maxCapacity : maxCapacity - totalReady
  const total = cutReady ? totalReady : totalNotReady
  let room = max
  return subsets.map((s) => {
    const inSubset = (cutReady ? s.addresses : s.notReadyAddresses) ?? []
    const take = Math.min(Math.ceil((inSubset.length / total) * max), room)
    room -= Math.min(take, inSubset.length)
    return cutReady
      ? { ...s, addresses: inSubset.slice(0, take), notReadyAddresses: [] }
      : { ...s, notReadyAddresses: inSubset.slice(0, take) }
  })
}

/** The subsets the Service's selected pods make; `ready` says which pods go under `addresses`. */
export const desiredSubsets = (
  svc: Service,
  selected: ReadonlyArray<Pod>,
  ready: (pod: Pod) => boolean = isPodReady
): ReadonlyArray<EndpointSubset> => {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true
  const ports = svc.spec?.ports ?? []
  const subsets: Array<EndpointSubset> = []
  for (const pod of selected) {
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue
    const ip = podAddress(svc, pod)
    if (ip === undefined) continue
    const hostname = pod.spec?.hostname ?? ""
    const address: EndpointAddress = {
      ip,
      ...(hostname !== "" && pod.spec?.subdomain === svc.metadata.name ? { hostname } : {}),
      ...((pod.spec?.nodeName ?? "") === "" ? {} : { nodeName: pod.spec!.nodeName! }),
      targetRef: {
        kind: "Pod",
        namespace: pod.metadata.namespace ?? "default",
        name: pod.metadata.name ?? "",
        ...(pod.metadata.uid === undefined ? {} : { uid: pod.metadata.uid })
      }
    }
    const add = (port: EndpointPort | undefined) =>
      subsets.push({
        ...(publishNotReady || ready(pod) ? { addresses: [address] } : { notReadyAddresses: [address] }),
        ...(port === undefined ? {} : { ports: [port] })
      })
    // A headless Service may have no ports at all.
    if (ports.length === 0) {
      if (svc.spec?.clusterIP === "None") add(undefined)
      continue
    }
    for (const port of ports) {
      const number = findPort(pod, port)
      if (number === undefined) continue
      add({
        ...(port.name === undefined || port.name === "" ? {} : { name: port.name }),
        port: number,
        protocol: port.protocol ?? "TCP",
        ...(port.appProtocol === undefined ? {} : { appProtocol: port.appProtocol })
      })
    }
  }
  return repackSubsets(subsets)
}

const withoutHeadless = (labels: Readonly<Record<string, string>> | undefined) => {
  const { [headlessLabel]: _, ...rest } = labels ?? {}
  return rest
}

/** Whether the pod's change can change an Endpoints (podEndpointsChanged, roughly). */
const endpointFields = (pod: Pod) =>
  canonical([
    pod.status?.podIP,
    pod.status?.podIPs,
    pod.status?.phase,
    isPodReady(pod),
    pod.metadata.deletionTimestamp,
    pod.spec?.nodeName,
    pod.spec?.hostname,
    pod.spec?.subdomain
  ])

/** Starts the endpoints controller in the current scope; returns once started. */
export const make = (
  options: EndpointsOptions = {}
): Effect.Effect<void, never, Client | SharedInformers | Scope.Scope> =>
  Effect.gen(function* () {
    const client = yield* Client
    const informers = yield* SharedInformers
    const services = yield* informers.informer(Services)
    const pods = yield* informers.informer(Pods)
    const endpoints = yield* informers.informer(EndpointsResource)
    const recorder = yield* EventRecorder.make("endpoint-controller")
    const queue = yield* WorkQueue.make()
    const ready = (yield* planted("endpointsIncludeNotReady"))
      ? // Known bug endpointsIncludeNotReady: a Running pod taken for a ready one, its Ready condition unread.
        (pod: Pod) => pod.status?.phase === "Running"
      : isPodReady

    const selects = (svc: Service, pod: Pod) =>
      svc.spec?.selector !== undefined &&
      LabelSelector.matches(LabelSelector.fromMap(svc.spec.selector), pod.metadata.labels)
    const servicesOf = (pod: Pod) =>
      services.byIndex(byNamespace, pod.metadata.namespace ?? "default").filter((svc) => selects(svc, pod))
    const enqueueServicesOf = (pod: Pod) =>
      Effect.forEach(servicesOf(pod), (svc) => queue.add(keyOf(svc)), { discard: true })

    const syncService = (key: string) =>
      Effect.gen(function* () {
        const { namespace = "default", name } = splitKey(key)
        const svc = services.get(key)
        if (svc === undefined) {
          yield* client
            .delete(EndpointsResource, name, { namespace })
            .pipe(Effect.catchTag("NotFound", () => Effect.void))
          return
        }
        if (svc.spec?.type === "ExternalName" || svc.spec?.selector === undefined) return
        const selected = pods.byIndex(byNamespace, namespace).filter((pod) => selects(svc, pod))
        const subsets = desiredSubsets(svc, selected, ready)
        const current = endpoints.get(key)
        const truncated = truncate(subsets)
        const written = truncated ?? subsets
        const headless = (svc.spec?.clusterIP ?? "") === "" || svc.spec?.clusterIP === "None"
        const labels = headless ? { ...svc.metadata.labels, [headlessLabel]: "" } : withoutHeadless(svc.metadata.labels)
        const { annotations: currentAnnotations, labels: _labels, ...currentMeta } = current?.metadata ?? {}
        const { [overCapacityAnnotation]: _, ...kept } = currentAnnotations ?? {}
        const annotations = truncated === undefined ? kept : { ...kept, [overCapacityAnnotation]: "truncated" }
        if (
          current !== undefined &&
          canonical(current.subsets ?? []) === canonical(written) &&
          canonical(current.metadata.labels ?? {}) === canonical(labels) &&
          canonical(currentAnnotations ?? {}) === canonical(annotations)
        ) {
          return
        }
        const next: Endpoints = {
          apiVersion: "v1",
          kind: "Endpoints",
          metadata: {
            ...currentMeta,
            name,
            namespace,
            ...(Object.keys(labels).length === 0 ? {} : { labels }),
            ...(Object.keys(annotations).length === 0 ? {} : { annotations })
          },
          ...(written.length === 0 ? {} : { subsets: written })
        }
        const result = yield* Effect.either(
          current === undefined ? client.create(EndpointsResource, next) : client.update(EndpointsResource, next)
        )
        if (result._tag === "Right") return
        // Creating in a namespace being deleted fails until it is gone: nothing to retry.
        if (current === undefined && result.left._tag === "Forbidden") return
        yield* recorder.event(
          next,
          "Warning",
          current === undefined ? "FailedToCreateEndpoint" : "FailedToUpdateEndpoint",
          current === undefined
            ? `Failed to create endpoint for service ${key}: ${result.left.message}`
            : `Failed to update endpoint ${key}: ${result.left.message}`
        )
        return yield* Effect.fail(result.left)
      })

    yield* Effect.forkScoped(
      Effect.gen(function* () {
        yield* services.waitForSync
        yield* pods.waitForSync
        yield* endpoints.waitForSync
        yield* services.addHandler(Controller.enqueueHandler(queue))
        yield* pods.addHandler({
          onAdd: enqueueServicesOf,
          onUpdate: (old, pod) =>
            canonical(old.metadata.labels ?? {}) !== canonical(pod.metadata.labels ?? {})
              ? Effect.zipRight(enqueueServicesOf(old), enqueueServicesOf(pod))
              : endpointFields(old) !== endpointFields(pod)
                ? enqueueServicesOf(pod)
                : Effect.void,
          onDelete: enqueueServicesOf
        })
        // A deleted Endpoints is put back; at start, every Endpoints is checked (orphans are deleted).
        yield* endpoints.addHandler({
          onAdd: (ep, initial) => (initial ? queue.add(keyOf(ep)) : Effect.void),
          onDelete: (ep) => queue.add(keyOf(ep))
        })
        yield* Controller.run({ name: "endpoint-controller", queue, workers: options.workers ?? 5 }, syncService)
      })
    )
  }).pipe(Effect.annotateLogs("component", "endpoint-controller"))
