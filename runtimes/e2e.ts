/**
 * Test support for the end-to-end tests against real services (etcd, Docker): whether a service
 * answers. Where it does not, the tests are skipped with a printed reason; under MINIK8S_E2E=1
 * (what `.ci/run` sets) its absence fails the run instead.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"

/** The etcd the end-to-end tests use (`.ci/run` starts one there): `$MINIK8S_ETCD` or 127.0.0.1:2379. */
export const etcdEndpoint = process.env["MINIK8S_ETCD"] ?? "127.0.0.1:2379"

/** The Docker engine's socket: `$DOCKER_SOCKET` or /var/run/docker.sock. */
export const dockerSocket = process.env["DOCKER_SOCKET"] ?? "/var/run/docker.sock"

/** The local image the end-to-end tests run (`.ci/run` imports it from Debian's busybox-static). */
export const testImage = process.env["MINIK8S_TEST_IMAGE"] ?? "busybox:1.36"

const connects = (options: Net.NetConnectOpts): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = Net.connect(options)
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(2_000, () => done(false))
    socket.once("connect", () => done(true))
    socket.once("error", () => done(false))
  })

/** Whether `service` answers; throws under MINIK8S_E2E=1 when it does not, else prints why `what` is skipped. */
const present = async (service: string, what: string, options: Net.NetConnectOpts): Promise<boolean> => {
  if (await connects(options)) return true
  if (process.env["MINIK8S_E2E"] === "1") throw new Error(`MINIK8S_E2E=1 but ${service} is not reachable`)
  console.warn(`${what} skipped: ${service} is not reachable`)
  return false
}

/** Whether etcd answers at `etcdEndpoint`. */
export const etcdPresent = (what: string): Promise<boolean> => {
  const [host, port] = etcdEndpoint.replace(/^https?:\/\//, "").split(":")
  return present(`etcd at ${etcdEndpoint}`, what, { host: host ?? "127.0.0.1", port: Number(port ?? 2379) })
}

/** Whether the Docker engine answers on `dockerSocket`. */
export const dockerPresent = (what: string): Promise<boolean> =>
  present(`Docker at ${dockerSocket}`, what, { path: dockerSocket })

/** A free TCP port on 127.0.0.1 (the OS picks it; it may be taken again before use, rarely). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = Net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject()))
    })
  })

export interface EtcdProcess {
  /** `127.0.0.1:PORT`. */
  readonly endpoint: string
  /** Kills etcd (SIGKILL by default) and waits until it has exited. */
  readonly kill: (signal?: NodeJS.Signals) => Promise<void>
  /** Starts etcd again on the same port and data, and waits until it answers. */
  readonly start: () => Promise<void>
  /** Kills it and removes its data. */
  readonly close: () => Promise<void>
}

/** A private etcd on loopback with its data in a fresh folder (the `etcd` binary must be on PATH). */
export const startEtcd = async (): Promise<EtcdProcess> => {
  const [client, peer] = [await freePort(), await freePort()]
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "minik8s-etcd-"))
  const endpoint = `127.0.0.1:${client}`
  let child: ChildProcess | undefined
  const start = async () => {
    const log = Fs.openSync(Path.join(dir, "etcd.log"), "a")
    child = spawn(
      "etcd",
      [
        ...["--name", "e2e", "--data-dir", Path.join(dir, "data")],
        ...["--listen-client-urls", `http://${endpoint}`, "--advertise-client-urls", `http://${endpoint}`],
        ...[
          "--listen-peer-urls",
          `http://127.0.0.1:${peer}`,
          "--initial-advertise-peer-urls",
          `http://127.0.0.1:${peer}`
        ],
        ...["--initial-cluster", `e2e=http://127.0.0.1:${peer}`]
      ],
      { stdio: ["ignore", log, log] }
    )
    Fs.closeSync(log)
    for (let i = 0; i < 100; i++) {
      if (await connects({ host: "127.0.0.1", port: client })) return
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(
      `etcd did not start on ${endpoint}: ${Fs.readFileSync(Path.join(dir, "etcd.log"), "utf8").slice(-500)}`
    )
  }
  const kill = async (signal: NodeJS.Signals = "SIGKILL") => {
    const running = child
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return
    await new Promise<void>((resolve) => {
      running.once("exit", () => resolve())
      running.kill(signal)
    })
  }
  await start()
  return {
    endpoint,
    kill,
    start,
    close: async () => {
      await kill()
      Fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** Whether `command` is on PATH; under MINIK8S_E2E=1 its absence throws, else prints why `what` is skipped. */
export const commandPresent = (command: string, what: string): boolean => {
  const found = (process.env["PATH"] ?? "")
    .split(Path.delimiter)
    .some((dir) => dir !== "" && Fs.existsSync(Path.join(dir, command)))
  if (found) return true
  if (process.env["MINIK8S_E2E"] === "1") throw new Error(`MINIK8S_E2E=1 but ${command} is not on PATH`)
  console.warn(`${what} skipped: ${command} is not on PATH`)
  return false
}
