/**
 * The Store service: an MVCC key-value store of JSON values with one global, monotonic revision,
 * in the shape of etcd (and of Kubernetes' `storage.Interface`). It knows nothing of API objects:
 * the API server maps revisions to `resourceVersion`. Backends: `MemoryStore` (here) and etcd
 * (`runtimes/etcd`); both pass the same conformance suite.
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"

/** Global revision; strictly increases by one with every write. 0 before the first write. */
export type Revision = number

/** Values are JSON objects and are never mutated once given to the store (the memory store freezes them). */
export type Value = Readonly<Record<string, unknown>>

export interface Entry {
  readonly key: string
  readonly value: Value
  /** Revision of the write that created this key (in its current life). */
  readonly createRevision: Revision
  /** Revision of the last write to this key. */
  readonly modRevision: Revision
}

export interface WatchEvent {
  /** ADDED: the key was created; MODIFIED: updated; DELETED: deleted. */
  readonly type: "ADDED" | "MODIFIED" | "DELETED"
  /** For ADDED/MODIFIED the new entry; for DELETED the entry as it was before deletion, with modRevision = the delete's revision. */
  readonly entry: Entry
  /** For MODIFIED and DELETED, the entry before this event. */
  readonly previous?: Entry
  /** Revision of this event (equals entry.modRevision). */
  readonly revision: Revision
}

export interface ListResult {
  readonly entries: ReadonlyArray<Entry>
  /** The revision the list was read at. */
  readonly revision: Revision
  /** Set when `limit` cut the list: the key to continue after (exclusive). */
  readonly continueAfter?: string
  /** How many more entries matched beyond the returned ones, when cut by `limit`. */
  readonly remaining?: number
}

/** How a write keeps its value (etcd: a put with or without a lease). */
export interface WriteOptions {
  /**
   * Seconds the value lives: once they pass with no later write, the key is deleted, with a DELETED
   * event as any delete. At least this long, not exactly: etcd expires leases on its own schedule,
   * and a store may share one lease among writes close in time (Kubernetes' etcd3 store does). A
   * write without a ttl keeps the key until it is deleted.
   */
  readonly ttl?: number
}

export interface ListOptions {
  /** Read at this past revision (must not be compacted); default: the current revision. */
  readonly revision?: Revision
  /** At most this many entries, in key order. */
  readonly limit?: number
  /** Start strictly after this key (from a previous `continueAfter`). */
  readonly after?: string
}

/** The key does not exist. */
export class KeyNotFound extends Data.TaggedError("KeyNotFound")<{ readonly key: string }> {}
/** Create of a key that exists. */
export class KeyExists extends Data.TaggedError("KeyExists")<{ readonly key: string }> {}
/** A precondition on the key's modRevision failed; `current` is what is there now. */
export class RevisionConflict extends Data.TaggedError("RevisionConflict")<{
  readonly key: string
  readonly expected: Revision
  readonly current: Entry
}> {}
/** The requested revision is older than the compacted revision. */
export class TooOld extends Data.TaggedError("TooOld")<{
  readonly requested: Revision
  readonly compacted: Revision
}> {}
/** The requested revision is not yet written (etcd: "required revision is a future revision"). */
export class FutureRevision extends Data.TaggedError("FutureRevision")<{
  readonly requested: Revision
  readonly current: Revision
}> {}
/** The store cannot be reached or refused to answer. */
export class StoreUnavailable extends Data.TaggedError("StoreUnavailable")<{ readonly message: string }> {}

/** Where `observe` hands a watch's events; both calls are synchronous, from the writer. */
export interface Observer {
  /** Events after `from`, in revision order (the replay first). */
  readonly events: (events: ReadonlyArray<WatchEvent>) => void
  /** The watch ended from the store's side: it was dropped or the store became unavailable. */
  readonly end: (error: TooOld | StoreUnavailable) => void
}

export class Store extends Context.Tag("minik8s/Store")<
  Store,
  {
    readonly get: (key: string) => Effect.Effect<Entry, KeyNotFound | StoreUnavailable>
    /** Every key that starts with `prefix`, in key order. */
    readonly list: (
      prefix: string,
      options?: ListOptions
    ) => Effect.Effect<ListResult, TooOld | FutureRevision | StoreUnavailable>
    readonly create: (
      key: string,
      value: Value,
      options?: WriteOptions
    ) => Effect.Effect<Entry, KeyExists | StoreUnavailable>
    /** Compare-and-swap: writes only if the key's modRevision equals `expected`. */
    readonly update: (
      key: string,
      value: Value,
      expected: Revision,
      options?: WriteOptions
    ) => Effect.Effect<Entry, KeyNotFound | RevisionConflict | StoreUnavailable>
    /** Deletes the key (only if its modRevision equals `expected`, when given); returns the deleted entry. */
    readonly delete: (
      key: string,
      expected?: Revision
    ) => Effect.Effect<Entry, KeyNotFound | RevisionConflict | StoreUnavailable>
    /**
     * Every change under `prefix` with revision > `from`, in revision order, then live changes;
     * fails with TooOld when `from` is below the compacted revision, or when the watcher falls so far
     * behind that its backlog passes the store's bound (its client must list again).
     */
    readonly watch: (prefix: string, from: Revision) => Stream.Stream<WatchEvent, TooOld | StoreUnavailable>
    /**
     * Optional: `watch` as synchronous calls made by each write itself, for a store in the same
     * process (no fiber woken per event). Replays what is after `from` before it answers; the answer
     * stops the observer. The API server's watch fan-out uses it when the store has it.
     */
    readonly observe?: (
      prefix: string,
      from: Revision,
      observer: Observer
    ) => Effect.Effect<Effect.Effect<void>, TooOld | StoreUnavailable>
    /** The current revision. */
    readonly revision: Effect.Effect<Revision, StoreUnavailable>
    /** Discard history at and below `revision`; watches and reads from there on get TooOld. */
    readonly compact: (revision: Revision) => Effect.Effect<void, StoreUnavailable>
  }
>() {}
