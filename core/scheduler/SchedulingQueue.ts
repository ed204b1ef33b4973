/**
 * The scheduling queue (kube-scheduler's `PriorityQueue`): pending pods wait in one of three
 * places — activeQ (ready to try, highest priority first, then oldest), backoffQ (failed recently,
 * waiting out 1 s doubling to 10 s per attempt) and the unschedulable set (failed, waiting for a
 * cluster change that one of the rejecting plugins says may help, or 5 minutes). Times are epoch
 * milliseconds given by the caller, which reads them from Effect's Clock.
 */
import * as Effect from "effect/Effect"
import type { Pod } from "../api/Pod.js"
import type { ClusterEvent } from "./framework/Plugin.js"
import { Heap } from "./Heap.js"

export interface QueuedPodInfo {
  pod: Pod
  readonly key: string
  /** When it last entered activeQ (its place among equal priorities). */
  timestamp: number
  /** Scheduling attempts so far. */
  attempts: number
  readonly initialAttemptTimestamp: number
  /** When the last attempt failed (backoff counts from here). */
  lastFailure: number
  /** The plugins that rejected it last time (empty after an error: retry on backoff alone). */
  unschedulablePlugins: ReadonlySet<string>
}

export interface SchedulingQueueOptions {
  readonly podInitialBackoffMillis?: number
  readonly podMaxBackoffMillis?: number
  /** How long a pod may sit in the unschedulable set before it is retried anyway (Kubernetes: 5 min). */
  readonly podMaxInUnschedulablePodsMillis?: number
}

/** `namespace/name` of a pod. */
export const podKey = (pod: Pod): string => `${pod.metadata.namespace ?? "default"}/${pod.metadata.name ?? ""}`

const priorityOf = (pod: Pod) => pod.spec?.priority ?? 0

/** The PrioritySort queue-sort order: higher priority first, then earlier timestamp. */
const activeLess = (a: QueuedPodInfo, b: QueuedPodInfo) => {
  const pa = priorityOf(a.pod)
  const pb = priorityOf(b.pod)
  return pa !== pb ? pa > pb : a.timestamp < b.timestamp
}

/** Whether a change could make the scheduler decide differently (anything but status and bookkeeping). */
const specChanged = (old: Pod, pod: Pod) =>
  JSON.stringify(old.spec) !== JSON.stringify(pod.spec) ||
  JSON.stringify(old.metadata.labels) !== JSON.stringify(pod.metadata.labels) ||
  JSON.stringify(old.metadata.annotations) !== JSON.stringify(pod.metadata.annotations)

export class SchedulingQueue {
  private readonly initialBackoff: number
  private readonly maxBackoff: number
  private readonly maxUnschedulable: number
  private readonly activeQ = new Heap<QueuedPodInfo>(activeLess)
  private readonly backoffQ = new Heap<QueuedPodInfo>((a, b) => this.backoffExpiry(a) < this.backoffExpiry(b))
  private readonly unschedulable = new Map<string, QueuedPodInfo>()
  /** Pods popped and not yet done; an update meanwhile is kept for when they come back. */
  private readonly inFlight = new Map<string, Pod>()
  private readonly hasActive = Effect.unsafeMakeLatch(false)
  private readonly hasBackoff = Effect.unsafeMakeLatch(false)
  private closed = false
  /** Counts pops: a pod that failed in a cycle older than the last move request goes to backoff, not unschedulable. */
  schedulingCycle = 0
  private moveRequestCycle = -1

  constructor(options: SchedulingQueueOptions = {}) {
    this.initialBackoff = options.podInitialBackoffMillis ?? 1_000
    this.maxBackoff = options.podMaxBackoffMillis ?? 10_000
    this.maxUnschedulable = options.podMaxInUnschedulablePodsMillis ?? 5 * 60_000
  }

  /** How long a pod with this many attempts waits after a failure. */
  backoffDuration(attempts: number): number {
    let d = this.initialBackoff
    for (let i = 1; i < attempts && d < this.maxBackoff; i++) d *= 2
    return Math.min(d, this.maxBackoff)
  }

  private backoffExpiry(info: QueuedPodInfo): number {
    return info.lastFailure + this.backoffDuration(info.attempts)
  }

  private toActive(info: QueuedPodInfo, now: number): void {
    info.timestamp = now
    this.activeQ.push(info.key, info)
    this.hasActive.unsafeOpen()
  }

  private toBackoff(info: QueuedPodInfo): void {
    this.backoffQ.push(info.key, info)
    this.hasBackoff.unsafeOpen()
  }

  /** Retry: backoffQ while the pod is still backing off, else activeQ. */
  private requeue(info: QueuedPodInfo, now: number): void {
    if (this.backoffExpiry(info) > now) this.toBackoff(info)
    else this.toActive(info, now)
  }

  private has(key: string): boolean {
    return this.activeQ.has(key) || this.backoffQ.has(key) || this.unschedulable.has(key)
  }

  /** A new pending pod. */
  add(pod: Pod, now: number): void {
    if (this.closed) return
    const key = podKey(pod)
    if (this.inFlight.has(key)) {
      this.inFlight.set(key, pod)
      return
    }
    if (this.has(key)) return this.update(pod, pod, now)
    this.toActive(
      {
        pod,
        key,
        timestamp: now,
        attempts: 0,
        initialAttemptTimestamp: now,
        lastFailure: now,
        unschedulablePlugins: new Set()
      },
      now
    )
  }

  /** A pending pod changed: an unschedulable pod whose spec or labels changed is retried. */
  update(old: Pod, pod: Pod, now: number): void {
    const key = podKey(pod)
    if (this.inFlight.has(key)) {
      this.inFlight.set(key, pod)
      return
    }
    const queued = this.activeQ.get(key) ?? this.backoffQ.get(key)
    if (queued !== undefined) {
      queued.pod = pod
      if (this.activeQ.has(key)) this.activeQ.push(key, queued)
      else this.backoffQ.push(key, queued)
      return
    }
    const waiting = this.unschedulable.get(key)
    if (waiting !== undefined) {
      waiting.pod = pod
      if (specChanged(old, pod)) {
        this.unschedulable.delete(key)
        this.requeue(waiting, now)
      }
      return
    }
    this.add(pod, now)
  }

  /** The pod is gone, bound by someone else, or no longer ours. */
  delete(pod: Pod): void {
    const key = podKey(pod)
    this.activeQ.delete(key)
    this.backoffQ.delete(key)
    this.unschedulable.delete(key)
    this.inFlight.delete(key)
  }

  /**
   * Waits for the best pod in activeQ and takes it; it is in flight until `done` or
   * `addUnschedulable`. After `close` it never returns: interrupt the loop to stop it.
   */
  readonly pop: Effect.Effect<QueuedPodInfo> = Effect.suspend(() => {
    const info = this.closed ? undefined : this.activeQ.pop()
    if (info === undefined) {
      this.hasActive.unsafeClose()
      return Effect.zipRight(this.hasActive.await, this.pop)
    }
    this.schedulingCycle++
    info.attempts++
    this.inFlight.set(info.key, info.pod)
    return Effect.succeed(info)
  })

  /**
   * A pod's cycle failed: it waits in the unschedulable set for an event its rejecting plugins care
   * about — or in backoffQ when such an event already came during its cycle, or when it failed by
   * error (no rejecting plugins).
   */
  addUnschedulable(info: QueuedPodInfo, podSchedulingCycle: number, now: number): void {
    const latest = this.inFlight.get(info.key)
    this.inFlight.delete(info.key)
    if (latest === undefined) return // deleted while in flight
    info.pod = latest
    info.lastFailure = now
    if (this.moveRequestCycle >= podSchedulingCycle || info.unschedulablePlugins.size === 0) {
      this.toBackoff(info)
    } else {
      info.timestamp = now
      this.unschedulable.set(info.key, info)
    }
  }

  /** The pod's cycle ended (bound, or handed back with `addUnschedulable`). */
  done(key: string): void {
    this.inFlight.delete(key)
  }

  /** A cluster change: retry every unschedulable pod whose rejecting plugins say it may help. */
  moveAllToActiveOrBackoff(
    event: ClusterEvent,
    mayHelp: (plugins: ReadonlySet<string>, event: ClusterEvent) => boolean,
    now: number
  ): void {
    for (const [key, info] of this.unschedulable) {
      if (!mayHelp(info.unschedulablePlugins, event)) continue
      this.unschedulable.delete(key)
      this.requeue(info, now)
    }
    this.moveRequestCycle = this.schedulingCycle
  }

  /** Waits until some pod is in backoffQ (the flush that moves them has nothing to do before). */
  readonly awaitBackoff: Effect.Effect<void> = Effect.suspend(() => {
    if (this.backoffQ.size > 0) return Effect.void
    this.hasBackoff.unsafeClose()
    return this.hasBackoff.await
  })

  /** Moves pods whose backoff has passed to activeQ (Kubernetes runs this every second). */
  flushBackoffCompleted(now: number): void {
    for (;;) {
      const top = this.backoffQ.peek()
      if (top === undefined || this.backoffExpiry(top) > now) return
      this.backoffQ.pop()
      this.toActive(top, now)
    }
  }

  /** Retries pods that have waited in the unschedulable set too long (Kubernetes runs this every 30 s). */
  flushUnschedulableLeftover(now: number): void {
    for (const [key, info] of this.unschedulable) {
      if (now - info.timestamp < this.maxUnschedulable) continue
      this.unschedulable.delete(key)
      this.requeue(info, now)
    }
  }

  /** Stops handing out pods. */
  close(): void {
    this.closed = true
  }

  /** Pending pods by place, for metrics and tests. */
  pending(): { readonly active: number; readonly backoff: number; readonly unschedulable: number } {
    return { active: this.activeQ.size, backoff: this.backoffQ.size, unschedulable: this.unschedulable.size }
  }

  /** Whether the pod is in the unschedulable set. */
  isUnschedulable(key: string): boolean {
    return this.unschedulable.has(key)
  }
}
