/**
 * The official @kubernetes/client-node, unmodified, against minik8s over HTTP: standard manifests,
 * label-selected lists, a watch that sees ADDED/MODIFIED/DELETED in order, 409 on a stale update,
 * 404 on a missing object, delete.
 */
import * as k8s from "@kubernetes/client-node"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as ApiServer from "../../core/apiserver/ApiServer.js"
import * as MemoryStore from "../../core/store/MemoryStore.js"
import { kubeconfig } from "./kubeconfig.js"
import * as Server from "./server.js"

const deployment: k8s.V1Deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", labels: { app: "web" } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: { containers: [{ name: "web", image: "nginx:1.27", ports: [{ containerPort: 80 }] }] }
    }
  }
}

const pod = (name: string, app: string): k8s.V1Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, labels: { app } },
  spec: { containers: [{ name: "main", image: "busybox:1.36", command: ["sleep", "3600"] }] }
})

const statusCode = async (promise: Promise<unknown>): Promise<number> =>
  promise.then(
    () => 200,
    (e: unknown) => (e instanceof k8s.ApiException ? e.code : -1)
  )

describe("@kubernetes/client-node against minik8s", () => {
  const runtime = ManagedRuntime.make(
    Server.layer({ port: 0, host: "127.0.0.1" }).pipe(
      Layer.provide(ApiServer.layer({})),
      Layer.provide(MemoryStore.layer)
    )
  )
  const config = new k8s.KubeConfig()
  let apps: k8s.AppsV1Api
  let core: k8s.CoreV1Api

  beforeAll(async () => {
    config.loadFromString(kubeconfig({ server: await runtime.runPromise(Server.serverUrl) }))
    apps = config.makeApiClient(k8s.AppsV1Api)
    core = config.makeApiClient(k8s.CoreV1Api)
  })
  afterAll(() => runtime.dispose())

  it("creates a Deployment and Pods from standard manifests and lists by label", async () => {
    const created = await apps.createNamespacedDeployment({ namespace: "default", body: deployment })
    expect(created.metadata?.uid).toBeDefined()
    expect(created.metadata?.generation).toBe(1)
    expect(created.spec?.strategy?.type).toBe("RollingUpdate")
    await core.createNamespacedPod({ namespace: "default", body: pod("a", "web") })
    await core.createNamespacedPod({ namespace: "default", body: pod("b", "db") })
    const pods = await core.listNamespacedPod({ namespace: "default", labelSelector: "app=web" })
    expect(pods.items.map((p) => p.metadata?.name)).toEqual(["a"])
    expect(pods.items[0]!.status?.phase).toBe("Pending")
    expect(pods.items[0]!.spec?.restartPolicy).toBe("Always")
  })

  it("answers 409 to a stale update and 404 to a missing object", async () => {
    const current = await apps.readNamespacedDeployment({ name: "web", namespace: "default" })
    await apps.replaceNamespacedDeployment({
      name: "web",
      namespace: "default",
      body: { ...current, spec: { ...current.spec!, replicas: 3 } }
    })
    // `current` still carries the old resourceVersion.
    expect(
      await statusCode(
        apps.replaceNamespacedDeployment({
          name: "web",
          namespace: "default",
          body: { ...current, spec: { ...current.spec!, replicas: 4 } }
        })
      )
    ).toBe(409)
    expect(await statusCode(apps.readNamespacedDeployment({ name: "nope", namespace: "default" }))).toBe(404)
    expect(await statusCode(apps.createNamespacedDeployment({ namespace: "default", body: deployment }))).toBe(409)
  })

  it("watches ADDED, MODIFIED and DELETED in order, then deletes", async () => {
    const list = await core.listNamespacedPod({ namespace: "default" })
    const seen: Array<string> = []
    let wake: () => void = () => {}
    const watch = new k8s.Watch(config)
    const controller = await watch.watch(
      "/api/v1/namespaces/default/pods",
      { resourceVersion: list.metadata?.resourceVersion, labelSelector: "app=watched" },
      (type, object: k8s.V1Pod) => {
        seen.push(`${type} ${object.metadata?.name} ${object.metadata?.labels?.["step"] ?? ""}`.trim())
        wake()
      },
      () => wake()
    )
    const until = async (count: number) => {
      while (seen.length < count) await new Promise<void>((resolve) => (wake = resolve))
    }
    try {
      await core.createNamespacedPod({ namespace: "default", body: pod("w", "watched") })
      await until(1)
      await core.patchNamespacedPod(
        { name: "w", namespace: "default", body: { metadata: { labels: { step: "2" } } } },
        k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch)
      )
      await until(2)
      await core.deleteNamespacedPod({ name: "w", namespace: "default" })
      await until(3)
    } finally {
      controller.abort()
    }
    expect(seen).toEqual(["ADDED w", "MODIFIED w 2", "DELETED w 2"])
    expect(await statusCode(core.readNamespacedPod({ name: "w", namespace: "default" }))).toBe(404)
    await apps.deleteNamespacedDeployment({ name: "web", namespace: "default" })
    expect(await statusCode(apps.readNamespacedDeployment({ name: "web", namespace: "default" }))).toBe(404)
  })
})
