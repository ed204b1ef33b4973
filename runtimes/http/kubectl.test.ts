/**
 * kubectl, unmodified, against `minik8s apiserver`'s HTTP server: create, get (table and JSON),
 * get -w, scale, apply, delete. Skipped with a printed reason when kubectl is absent, except
 * under MINIK8S_E2E=1 where its absence fails the run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { kubectlPresent, outputOf, startSession, type KubectlSession } from "./kubectlSession.js"

const present = kubectlPresent("kubectl tests")

const deployment = (image: string, replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: ${image}
          ports:
            - containerPort: 80
          resources:
            requests: {cpu: 100m, memory: 64Mi}
`

describe.skipIf(!present)("kubectl against minik8s", () => {
  let session: KubectlSession
  const kubectl = (...args: string[]) => session.kubectl(...args)
  const write = (name: string, text: string) => session.write(name, text)

  beforeAll(async () => {
    session = await startSession()
  })
  afterAll(() => session.close())

  it("creates a Deployment from a standard manifest and gets it as a table and as JSON", async () => {
    expect(await kubectl("create", "-f", write("web.yaml", deployment("nginx:1.27", 3)))).toBe(
      "deployment.apps/web created\n"
    )
    const table = (await kubectl("get", "deployments")).trim().split("\n")
    expect(table[0]).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/)
    expect(table[1]).toMatch(/^web\s+0\/3\s+0\s+0\s+\d+s$/)
    const object = JSON.parse(await kubectl("get", "deployment", "web", "-o", "json"))
    expect(object.kind).toBe("Deployment")
    expect(object.spec.replicas).toBe(3)
    expect(object.spec.strategy.rollingUpdate).toEqual({ maxSurge: "25%", maxUnavailable: "25%" })
    expect(object.metadata.uid).toMatch(/^[0-9a-f-]{36}$/)
    const wide = (await kubectl("get", "deployments", "-o", "wide")).split("\n")[1]
    expect(wide).toContain("nginx:1.27")
    expect(wide).toContain("app=web")
  })

  it("refuses an unknown field (kubectl's default strict validation)", async () => {
    const bad = deployment("nginx:1.27", 1)
      .replace("replicas: 1", "replicas: 1\n  replicaz: 2")
      .replace("name: web", "name: bad")
    const error = await kubectl("create", "-f", write("bad.yaml", bad)).then(
      () => "",
      (e: { stderr: string }) => e.stderr
    )
    expect(error).toContain('unknown field "spec.replicaz"')
  })

  it("scales, and get -w shows the change", async () => {
    const watcher = session.spawnKubectl("get", "deployments", "-w")
    const { printed } = outputOf(watcher.stdout)
    try {
      await printed(/web/)
      expect(await kubectl("scale", "deployment", "web", "--replicas=5")).toBe("deployment.apps/web scaled\n")
      // The watch prints the deployment again once the scale lands (its status is unchanged: 0/5).
      await printed(/web\s+0\/5/)
    } finally {
      watcher.kill()
    }
    const object = JSON.parse(await kubectl("get", "deployment", "web", "-o", "json"))
    expect(object.spec.replicas).toBe(5)
  })

  it("applies: configured on change, unchanged when the same, created when new", async () => {
    expect(await kubectl("apply", "-f", write("web2.yaml", deployment("nginx:1.28", 5)))).toBe(
      "deployment.apps/web configured\n"
    )
    const object = JSON.parse(await kubectl("get", "deployment", "web", "-o", "json"))
    expect(object.spec.template.spec.containers[0].image).toBe("nginx:1.28")
    expect(object.metadata.generation).toBeGreaterThan(1)
    expect(await kubectl("apply", "-f", write("web2.yaml", deployment("nginx:1.28", 5)))).toBe(
      "deployment.apps/web unchanged\n"
    )
    const other = deployment("redis:7", 1).replaceAll("web", "cache")
    expect(await kubectl("apply", "-f", write("cache.yaml", other))).toBe("deployment.apps/cache created\n")
  })

  it("deletes, then the object is gone (404)", async () => {
    expect(await kubectl("delete", "deployment", "web")).toBe('deployment.apps "web" deleted\n')
    const error = await kubectl("get", "deployment", "web").then(
      () => "",
      (e: { stderr: string }) => e.stderr
    )
    expect(error).toContain('Error from server (NotFound): deployments.apps "web" not found')
  })
})
