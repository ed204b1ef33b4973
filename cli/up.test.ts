/**
 * End to end, real: `minik8s up --store etcd --nodes 2` over a private etcd and the Docker engine,
 * driven by kubectl as a user would. A Deployment of busybox becomes ready, scales and is deleted; a
 * failing container is restarted with backoff; a node agent killed with SIGKILL re-adopts its
 * containers when restarted, and while it stays dead its node goes NotReady and its pods move; etcd,
 * the API server, the scheduler and the controller-manager each killed during a rollout lose no
 * acknowledged object; `minik8s down` leaves no container. Skipped with a printed reason when etcd,
 * Docker or kubectl is missing, except under MINIK8S_E2E=1.
 */
import Docker from "dockerode"
import { execFile } from "node:child_process"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Https from "node:https"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { nodeLabel } from "../runtimes/docker/labels.js"
import { commandPresent, dockerPresent, dockerSocket, type EtcdProcess, startEtcd, testImage } from "../runtimes/e2e.js"
import { alive, type ClusterState } from "./clusterState.js"

const run = promisify(execFile)
const bin = fileURLToPath(new URL("../bin/minik8s.js", import.meta.url))

const present =
  commandPresent("kubectl", "minik8s up end-to-end tests") &&
  commandPresent("etcd", "minik8s up end-to-end tests") &&
  (await dockerPresent("minik8s up end-to-end tests"))

/** A Deployment of busybox that sleeps; its pods leave an unreachable node after `tolerationSeconds` (Kubernetes' default 300). */
const deployment = (
  name: string,
  replicas: number,
  command = "sleep 100000",
  tolerationSeconds = 2
) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      terminationGracePeriodSeconds: 2
      tolerations:
        - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: ${tolerationSeconds}}
        - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: ${tolerationSeconds}}
      containers:
        - name: main
          image: ${testImage}
          command: ["sh", "-c", "${command}"]
          resources: {requests: {cpu: 10m, memory: 16Mi}}
`

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Retries `check` (a throw means "not yet") every 500 ms until it passes or `seconds` have gone. */
const eventually = async <A>(check: () => Promise<A>, seconds = 60): Promise<A> => {
  const deadline = Date.now() + seconds * 1000
  for (;;) {
    try {
      return await check()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await sleep(500)
    }
  }
}

describe.skipIf(!present)("minik8s up, for real: etcd, Docker, kubectl", () => {
  const home = Fs.mkdtempSync(Path.join(Os.tmpdir(), "minik8s-up-"))
  const prefix = `e2e${Crypto.randomBytes(3).toString("hex")}`
  const nodes = [`${prefix}-1`, `${prefix}-2`]
  const env = { ...process.env, MINIK8S_HOME: home }
  const docker = new Docker({ socketPath: dockerSocket })
  let etcd: EtcdProcess

  const minik8s = async (...args: string[]) =>
    (await run(process.execPath, [bin, ...args], { env, timeout: 120_000 })).stdout
  const kubectl = async (...args: string[]) =>
    (
      await run(
        "kubectl",
        ["--kubeconfig", Path.join(home, "kubeconfig"), "--cache-dir", Path.join(home, "cache"), ...args],
        {
          timeout: 30_000
        }
      )
    ).stdout
  const json = async (...args: string[]) => JSON.parse(await kubectl(...args, "-o", "json"))
  const state = (): ClusterState => JSON.parse(Fs.readFileSync(Path.join(home, "cluster.json"), "utf8"))
  const pidOf = (name: string) => state().processes.find((p) => p.name === name)!.pid
  const write = (name: string, text: string) => {
    const file = Path.join(home, name)
    Fs.writeFileSync(file, text)
    return file
  }
  /** Running containers (sandboxes included) of one node, by id. */
  const containersOf = async (node: string) =>
    (await docker.listContainers({ filters: { label: [`${nodeLabel}=${node}`] } })).map((c) => c.Id).sort()
  const pods = async (app: string) =>
    (await json("get", "pods", "-l", `app=${app}`)).items as Array<{
      metadata: { name: string; deletionTimestamp?: string }
      spec: { nodeName?: string }
      status: { phase: string; containerStatuses?: Array<{ ready: boolean; restartCount: number; state: object }> }
    }>
  const readyReplicas = async (name: string) => (await json("get", "deployment", name)).status.readyReplicas ?? 0

  beforeAll(async () => {
    etcd = await startEtcd()
  }, 60_000)

  afterAll(async () => {
    await minik8s("down").catch(() => undefined)
    for (const node of nodes)
      for (const c of await docker.listContainers({ all: true, filters: { label: [`${nodeLabel}=${node}`] } }))
        await docker.getContainer(c.Id).remove({ force: true })
    await etcd?.close()
    Fs.rmSync(home, { recursive: true, force: true })
  }, 120_000)

  it("up --store etcd --nodes 2 starts the processes, writes and prints a kubeconfig, and the nodes become Ready", async () => {
    const out = await minik8s(
      ...["up", "--store", `etcd://${etcd.endpoint}/${prefix}`, "--nodes", "2", "--node-prefix", prefix],
      ...["--port", "0", "--node-monitor-grace-period", "20s", "--log-level", "debug"]
    )
    expect(out).toMatch(/^minik8s up: ready in [\d.]+s — apiserver https:\/\/127\.0\.0\.1:\d+ \(store etcd:/)
    expect(out).toContain(`kubeconfig ${Path.join(home, "kubeconfig")}`)
    expect(out).toContain("current-context: minik8s")
    expect(state().processes.map((p) => p.name)).toEqual(["apiserver", "controller-manager", "scheduler", ...nodes])
    const table = await kubectl("get", "nodes")
    for (const node of nodes) expect(table).toMatch(new RegExp(`${node}\\s+Ready`))
    // The token file guards the server: over TLS with its certificate but no token, 401.
    const status = await new Promise<number | undefined>((resolve, reject) =>
      Https.get(
        `${state().server}/api/v1/nodes`,
        { ca: Fs.readFileSync(Path.join(home, "pki", "apiserver.crt")) },
        (response) => {
          response.resume()
          resolve(response.statusCode)
        }
      ).on("error", reject)
    )
    expect(status).toBe(401)
  }, 120_000)

  it("a Deployment of 3 busybox replicas becomes ready; kubectl scales it and deletes it", async () => {
    expect(await kubectl("apply", "-f", write("web.yaml", deployment("web", 3)))).toBe("deployment.apps/web created\n")
    await eventually(async () => expect(await readyReplicas("web")).toBe(3), 90)
    const running = await pods("web")
    expect(running.map((p) => p.status.phase)).toEqual(["Running", "Running", "Running"])
    // Three containers and three sandboxes run in Docker, each labelled with its node.
    const counts = await Promise.all(nodes.map(containersOf))
    expect(counts.flat()).toHaveLength(6)

    expect(await kubectl("scale", "deployment", "web", "--replicas=5")).toBe("deployment.apps/web scaled\n")
    await eventually(async () => expect(await readyReplicas("web")).toBe(5), 90)
    expect(await kubectl("scale", "deployment", "web", "--replicas=1")).toBe("deployment.apps/web scaled\n")
    await eventually(
      async () => expect((await containersOf(nodes[0]!)).length + (await containersOf(nodes[1]!)).length).toBe(2),
      60
    )

    expect(await kubectl("delete", "deployment", "web")).toBe('deployment.apps "web" deleted\n')
    await eventually(async () => {
      expect(await pods("web")).toEqual([])
      expect([...(await containersOf(nodes[0]!)), ...(await containersOf(nodes[1]!))]).toEqual([])
    }, 60)
  }, 240_000)

  it("a container that exits non-zero is restarted with backoff (CrashLoopBackOff)", async () => {
    await kubectl("apply", "-f", write("crash.yaml", deployment("crash", 1, "echo failing; exit 3")))
    const pod = await eventually(async () => {
      const [p] = await pods("crash")
      expect(p?.status.containerStatuses?.[0]?.restartCount).toBeGreaterThanOrEqual(2)
      return p!
    }, 120)
    const status = pod.status.containerStatuses![0]!
    expect(JSON.stringify(status)).toMatch(/"exitCode":3/)
    expect(JSON.stringify(status.state)).toMatch(/CrashLoopBackOff|running|terminated/)
    await kubectl("delete", "deployment", "crash")
  }, 180_000)

  it("a node agent killed with SIGKILL and started again re-adopts its containers, without duplicates", async () => {
    // Kubernetes' default tolerations: a slow restart may see the node NotReady, but evicts nothing.
    await kubectl("apply", "-f", write("stay.yaml", deployment("stay", 4, "sleep 100000", 300)))
    await eventually(async () => expect(await readyReplicas("stay")).toBe(4), 90)
    const before = await Promise.all(nodes.map(containersOf))
    const restarts = (await pods("stay")).map((p) => p.status.containerStatuses?.[0]?.restartCount)
    process.kill(pidOf(nodes[0]!), "SIGKILL")
    expect(await minik8s("up")).toContain(`restarted ${nodes[0]}`)
    // Two heartbeats and a pod sync later, the same containers run and none were added or restarted.
    await sleep(12_000)
    await eventually(async () => expect(await readyReplicas("stay")).toBe(4), 60)
    expect(await Promise.all(nodes.map(containersOf))).toEqual(before)
    expect((await pods("stay")).map((p) => p.status.containerStatuses?.[0]?.restartCount)).toEqual(restarts)
    await kubectl("delete", "deployment", "stay")
    await eventually(async () => expect((await Promise.all(nodes.map(containersOf))).flat()).toEqual([]), 60)
  }, 180_000)

  it("a node agent killed with SIGKILL: its node goes NotReady and its pods are recreated on the other node", async () => {
    await kubectl("apply", "-f", write("keep.yaml", deployment("keep", 4)))
    await eventually(async () => expect(await readyReplicas("keep")).toBe(4), 90)
    const [alive, dead] = [nodes[0]!, nodes[1]!]
    process.kill(pidOf(dead), "SIGKILL")
    await eventually(async () => expect(await kubectl("get", "node", dead)).toMatch(/NotReady/), 60)
    await eventually(async () => {
      const live = (await pods("keep")).filter((p) => p.metadata.deletionTimestamp === undefined)
      expect(live.map((p) => p.spec.nodeName)).toEqual([alive, alive, alive, alive])
      expect(await readyReplicas("keep")).toBe(4)
    }, 90)
    // Back again, the agent finishes the evicted pods: their containers are stopped and removed.
    expect(await minik8s("up")).toContain(`restarted ${dead}`)
    await eventually(async () => expect(await containersOf(dead)).toEqual([]), 60)
    await eventually(async () => expect(await kubectl("get", "node", dead)).toMatch(new RegExp(`${dead}\\s+Ready`)), 60)
  }, 240_000)

  it("etcd, the API server, the scheduler and the controller-manager, each killed during a rollout: nothing acknowledged is lost and the rollout completes", async () => {
    const acknowledged: Array<string> = []
    let writing = true
    const writer = (async () => {
      for (let i = 0; writing && i < 10_000; i++) {
        const name = `ack-${i}`
        const created = await kubectl("create", "service", "clusterip", name, "--tcp=80:80").then(
          () => true,
          () => false
        )
        if (created) acknowledged.push(name)
        await sleep(200)
      }
    })()
    await kubectl("patch", "deployment", "keep", "-p", '{"spec":{"template":{"metadata":{"annotations":{"rev":"2"}}}}}')
    await sleep(1_000)
    await etcd.kill()
    await sleep(3_000)
    await etcd.start()
    for (const component of ["apiserver", "scheduler", "controller-manager"]) {
      await sleep(2_000)
      process.kill(pidOf(component), "SIGKILL")
      await sleep(1_000)
      expect(await minik8s("up")).toContain(`restarted ${component}`)
    }
    await eventually(async () => {
      const d = await json("get", "deployment", "keep")
      expect(d.status.observedGeneration).toBe(d.metadata.generation)
      expect(d.status.updatedReplicas).toBe(4)
      expect(d.status.readyReplicas).toBe(4)
      expect(d.status.replicas).toBe(4)
    }, 120)
    writing = false
    await writer
    expect(acknowledged.length).toBeGreaterThan(10)
    const services = new Set(
      (await json("get", "services")).items.map((s: { metadata: { name: string } }) => s.metadata.name)
    )
    expect(acknowledged.filter((name) => !services.has(name))).toEqual([])
  }, 300_000)

  it("down stops every process and leaves no container with the cluster's labels", async () => {
    const pids = state().processes.map((p) => p.pid)
    expect(await minik8s("down")).toMatch(/^minik8s down: stopped 5 processes, removed \d+ containers/)
    expect(pids.filter(alive)).toEqual([])
    for (const node of nodes)
      expect(await docker.listContainers({ all: true, filters: { label: [`${nodeLabel}=${node}`] } })).toEqual([])
    expect(Fs.existsSync(Path.join(home, "cluster.json"))).toBe(false)
  }, 60_000)
})
