/**
 * kubectl's generator commands (`create namespace`, `create deployment`, `run`, `create service`,
 * `expose`),
 * which send Kubernetes protobuf through client-go's typed clientset, against `minik8s apiserver`'s
 * HTTP server. Skipped with a printed reason when kubectl is absent, except under MINIK8S_E2E=1
 * where its absence fails the run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { kubectlPresent, startSession, type KubectlSession } from "./kubectlSession.js"

const present = kubectlPresent("kubectl create tests")

describe.skipIf(!present)("kubectl generator commands (protobuf bodies) against minik8s", () => {
  let session: KubectlSession
  const kubectl = (...args: string[]) => session.kubectl(...args)
  const getJson = async (...args: string[]) => JSON.parse(await kubectl("get", ...args, "-o", "json"))

  beforeAll(async () => {
    session = await startSession()
  })
  afterAll(() => session.close())

  it("kubectl create namespace", async () => {
    expect(await kubectl("create", "namespace", "team")).toBe("namespace/team created\n")
    const namespace = await getJson("namespace", "team")
    expect(namespace.kind).toBe("Namespace")
    expect(namespace.metadata.name).toBe("team")
    expect(namespace.metadata.uid).toMatch(/^[0-9a-f-]{36}$/)
    expect(namespace.status.phase).toBe("Active")
  })

  it("kubectl create deployment", async () => {
    expect(await kubectl("create", "deployment", "web", "--image=nginx:1.27", "--replicas=2", "-n", "team")).toBe(
      "deployment.apps/web created\n"
    )
    const deployment = await getJson("deployment", "web", "-n", "team")
    expect(deployment.metadata.namespace).toBe("team")
    expect(deployment.metadata.labels).toEqual({ app: "web" })
    expect(deployment.spec.replicas).toBe(2)
    expect(deployment.spec.selector).toEqual({ matchLabels: { app: "web" } })
    expect(deployment.spec.template.metadata.labels).toEqual({ app: "web" })
    const [container] = deployment.spec.template.spec.containers
    expect(container.name).toBe("nginx")
    expect(container.image).toBe("nginx:1.27")
    // Defaults applied after decoding, as for a JSON body.
    expect(deployment.spec.strategy.rollingUpdate).toEqual({ maxSurge: "25%", maxUnavailable: "25%" })
    expect(container.imagePullPolicy).toBe("IfNotPresent")
  })

  it("kubectl run", async () => {
    expect(
      await kubectl("run", "p", "--image=busybox", "--env=GREETING=hi", "--port=8080", "--", "sleep", "3600")
    ).toBe("pod/p created\n")
    const pod = await getJson("pod", "p")
    expect(pod.metadata.labels).toEqual({ run: "p" })
    const [container] = pod.spec.containers
    expect(container.name).toBe("p")
    expect(container.image).toBe("busybox")
    expect(container.args).toEqual(["sleep", "3600"])
    expect(container.env).toEqual([{ name: "GREETING", value: "hi" }])
    expect(container.ports).toEqual([{ containerPort: 8080, protocol: "TCP" }])
    expect(pod.spec.restartPolicy).toBe("Always")
  })

  it("kubectl create service clusterip", async () => {
    expect(await kubectl("create", "service", "clusterip", "s", "--tcp=80:8080")).toBe("service/s created\n")
    const service = await getJson("service", "s")
    expect(service.spec.type).toBe("ClusterIP")
    expect(service.spec.selector).toEqual({ app: "s" })
    expect(service.spec.ports).toEqual([{ name: "80-8080", port: 80, targetPort: 8080, protocol: "TCP" }])
  })

  it("kubectl expose", async () => {
    expect(await kubectl("expose", "deployment", "web", "-n", "team", "--port=80", "--target-port=8080")).toBe(
      "service/web exposed\n"
    )
    const service = await getJson("service", "web", "-n", "team")
    expect(service.spec.selector).toEqual({ app: "web" })
    expect(service.spec.ports).toEqual([{ port: 80, targetPort: 8080, protocol: "TCP" }])
  })
})
