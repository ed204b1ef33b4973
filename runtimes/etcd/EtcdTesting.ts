/**
 * Test support for tests against the shared test etcd (`etcdEndpoint` in runtimes/e2e.ts). Its
 * revision is global, so a test that checks revisions fails when another test file writes at the
 * same time: every test file that writes to it holds `holdEtcdTestLock` for its whole run (an etcd
 * lock on a lease, so a test process that dies lets go of it). Each test gets a Store over a fresh
 * key prefix of its own, deleted when its scope closes.
 */
import { randomUUID } from "node:crypto"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { Etcd3, EtcdLockFailedError } from "etcd3"
import { Store, type StoreUnavailable } from "../../core/store/Store.js"
import { etcdEndpoint } from "../e2e.js"
import * as EtcdStore from "./EtcdStore.js"

const lockKey = "/minik8s-test-lock"

/** Waits (up to 50 s) for the etcd test lock and takes it; the answer releases it. */
export const holdEtcdTestLock = async (): Promise<() => Promise<void>> => {
  const etcd = new Etcd3({ hosts: etcdEndpoint })
  try {
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        const lock = await etcd.lock(lockKey).ttl(10).acquire()
        return () => lock.release().finally(() => etcd.close())
      } catch (error) {
        if (!(error instanceof EtcdLockFailedError)) throw error
        await new Promise((resolve) => setTimeout(resolve, 500))
      }
    }
    throw new Error(`the etcd test lock ${lockKey} stayed taken for 50 s`)
  } catch (error) {
    etcd.close()
    throw error
  }
}

const deletePrefix = (prefix: string) =>
  Effect.promise(async () => {
    const etcd = new Etcd3({ hosts: etcdEndpoint })
    try {
      await etcd.delete().prefix(prefix)
    } finally {
      etcd.close()
    }
  })

/** A key prefix no other test uses. */
export const freshPrefix = (): string => `/minik8s-test/${randomUUID()}`

/**
 * A Store over the test etcd (unless `options` says otherwise) under `options.prefix` or a fresh
 * prefix; the keys under it are deleted from the test etcd when the scope closes.
 */
export const isolatedStore = (
  options: Partial<EtcdStore.EtcdStoreOptions> = {}
): Effect.Effect<Store["Type"], StoreUnavailable, Scope.Scope> =>
  Effect.suspend(() => {
    const prefix = options.prefix ?? freshPrefix()
    return Effect.zipRight(
      Effect.addFinalizer(() => deletePrefix(prefix)),
      EtcdStore.make({ endpoints: etcdEndpoint, ...options, prefix })
    )
  })

/** The `Store` of `isolatedStore`, a fresh prefix each time the layer is built. */
export const isolatedStoreLayer = (
  options: Partial<EtcdStore.EtcdStoreOptions> = {}
): Layer.Layer<Store, StoreUnavailable> => Layer.scoped(Store, isolatedStore(options))
