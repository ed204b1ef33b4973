/**
 * endpointsReady: every address under an Endpoints' `addresses` that points at a pod (its
 * `targetRef`) belongs to a pod that is Ready, not terminating and not terminal — allowing the
 * endpoints controller `settleMillis`, plus its recent watch lag (WatchLag.ts: its write takes as
 * long under a slow network), to move a pod that stopped being so to `notReadyAddresses` (or drop
 * it). Services with `publishNotReadyAddresses` list every pod under `addresses` by design and are
 * not judged. Checked on every world event and at the end.
 *
 * The time counts from when the controller-manager received the change (Received.ts: a line or a
 * list showing it), and is held while it could not act (LeaderRenewals.ts: it stopped renewing its
 * leader Lease — cut off, the store down) and for as long again after, as its work queue backs
 * off. Without any of its watches fed, as in a world without a network, it counts from when the
 * world saw the change.
 */
import type { Endpoints } from "../../core/api/Endpoints.js"
import type { KubeObject } from "../../core/api/meta.js"
import type { Pod } from "../../core/api/Pod.js"
import type { Service } from "../../core/api/Service.js"
import { isPodActive, isPodReady } from "../../core/controllers/PodConditions.js"
import { everyWatchLine, type InvariantContext, type InvariantHooks, nameOf } from "./Invariant.js"
import * as LeaderRenewals from "./LeaderRenewals.js"
import * as Received from "./Received.js"
import * as WatchLag from "./WatchLag.js"

/** How long a pod may stay listed as ready after the endpoints controller learned it stopped being so. */
export const settleMillis = 5_000

const controllerManager = "controller-manager"

const seconds = (millis: number) => `${Math.round(millis / 100) / 10}s`

/** Since when a pod (by uid) should not be under `addresses`, and whether the controller knows. */
interface Unfit {
  /** When the world saw it. */
  readonly since: number
  /** The revision that made it unfit. */
  readonly revision: number
  /** When the controller-manager received it. */
  known?: number
}

const fits = (pod: Pod): boolean => isPodActive(pod) && isPodReady(pod)

export const make = (context: InvariantContext): InvariantHooks => {
  const { world } = context
  const lag = WatchLag.make(context.now)
  const renewals = LeaderRenewals.make("kube-controller-manager")
  const unfit = new Map<string, Unfit>()
  // Endpoints (`namespace/name`) → the pod uids under its `addresses`, and the other way round.
  const listed = new Map<string, ReadonlySet<string>>()
  const listedIn = new Map<string, Set<string>>()
  // Services (`namespace/name`) that publish not-ready addresses.
  const publishing = new Set<string>()
  // Pods both unfit and listed: the only ones a check looks at.
  const suspects = new Set<string>()
  // Whether the controller-manager's pod watches are fed (else the world's times stand in).
  let controllerWatches = false

  const learned = (uid: string, revision: number) => {
    const u = unfit.get(uid)
    if (u !== undefined && u.known === undefined && revision >= u.revision) u.known = context.now()
  }

  const received = Received.make({
    component: controllerManager,
    kinds: new Set(["Pod"]),
    object: (_kind, object: KubeObject, deleted) => {
      const uid = object.metadata.uid ?? ""
      if (deleted || !fits(object as Pod)) learned(uid, Number(object.metadata.resourceVersion))
    },
    // A list shows every change up to its revision, pods gone included.
    listed: (_kind, revision) => {
      for (const uid of unfit.keys()) learned(uid, revision)
    },
    watching: () => {
      controllerWatches = true
    }
  })

  const review = (uid: string) => {
    if (unfit.has(uid) && (listedIn.get(uid)?.size ?? 0) > 0) suspects.add(uid)
    else suspects.delete(uid)
  }

  const keyOf = (metadata: { readonly namespace?: string | undefined; readonly name?: string | undefined }) =>
    `${metadata.namespace ?? ""}/${metadata.name ?? ""}`

  const setListed = (endpoints: string, uids: ReadonlySet<string>, now: number, revision: number) => {
    for (const uid of listed.get(endpoints) ?? []) {
      if (uids.has(uid)) continue
      const set = listedIn.get(uid)
      set?.delete(endpoints)
      if (set?.size === 0) listedIn.delete(uid)
      if (world.getByUid(uid) === undefined) unfit.delete(uid)
      context.resolve(`${endpoints}/${uid}`)
      review(uid)
    }
    for (const uid of uids) {
      let set = listedIn.get(uid)
      if (set === undefined) {
        set = new Set()
        listedIn.set(uid, set)
      }
      set.add(endpoints)
      // A pod the world does not hold (never did, or gone) is unfit from now.
      if (world.getByUid(uid)?.kind !== "Pod" && !unfit.has(uid)) unfit.set(uid, { since: now, revision })
      review(uid)
    }
    if (uids.size === 0) listed.delete(endpoints)
    else listed.set(endpoints, uids)
  }

  const addressesOf = (endpoints: Endpoints): ReadonlySet<string> => {
    if (publishing.has(keyOf(endpoints.metadata))) return new Set()
    const uids = new Set<string>()
    for (const subset of endpoints.subsets ?? [])
      for (const address of subset.addresses ?? []) {
        const ref = address.targetRef
        if (ref?.kind === "Pod" && ref.uid !== undefined) uids.add(ref.uid)
      }
    return uids
  }

  const check = (now: number) => {
    if (renewals.blocked(now)) return
    const settle = settleMillis + lag.recent(controllerManager)
    for (const uid of suspects) {
      const u = unfit.get(uid)!
      const known = controllerWatches ? u.known : u.since
      if (known === undefined || now - renewals.chanceFrom(known) <= settle) continue
      const pod = world.getByUid(uid)
      const what = pod === undefined ? `gone pod (uid ${uid})` : `pod ${nameOf(pod.metadata)}`
      for (const endpoints of listedIn.get(uid)!)
        context.report(
          `${endpoints}/${uid}`,
          `endpoints ${nameOf({ namespace: endpoints.split("/")[0], name: endpoints.split("/")[1] })}: lists ${what} under addresses ${seconds(now - u.since)} after it stopped being ready`
        )
    }
  }

  return {
    onEvent: (event) => {
      const now = context.now()
      lag.applied(event, now)
      renewals.see(event, now)
      switch (event.kind) {
        case "Pod": {
          const uid = event.object.metadata.uid ?? ""
          if (event.type !== "DELETED" && fits(event.object as Pod)) {
            unfit.delete(uid)
            for (const endpoints of listedIn.get(uid) ?? []) context.resolve(`${endpoints}/${uid}`)
          } else if (event.type === "DELETED" && !listedIn.has(uid)) unfit.delete(uid)
          else if (!unfit.has(uid)) unfit.set(uid, { since: now, revision: event.revision })
          review(uid)
          break
        }
        case "Service": {
          const key = keyOf(event.object.metadata)
          if (event.type !== "DELETED" && (event.object as Service).spec?.publishNotReadyAddresses === true)
            publishing.add(key)
          else publishing.delete(key)
          const endpoints = world.get(
            "Endpoints",
            event.object.metadata.namespace ?? "",
            event.object.metadata.name ?? ""
          )
          if (endpoints !== undefined) setListed(key, addressesOf(endpoints as Endpoints), now, event.revision)
          break
        }
        case "Endpoints": {
          const key = keyOf(event.object.metadata)
          const uids = event.type === "DELETED" ? new Set<string>() : addressesOf(event.object as Endpoints)
          setListed(key, uids, now, event.revision)
          break
        }
      }
      if (suspects.size > 0) check(now)
    },
    onWatchLine: everyWatchLine([lag.onWatchLine, received.onWatchLine]),
    onResponse: received.onResponse,
    atEnd: () => check(context.now())
  }
}
