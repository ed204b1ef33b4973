/**
 * Test support: the read side of a Docker registry (distribution API v2) on 127.0.0.1, serving one
 * image taken from the local engine with `docker save`, so that a real `docker pull` can succeed where
 * no registry is reachable. The engine talks plain HTTP to it, as it treats 127.0.0.0/8 registries as
 * insecure by default.
 */
import type Docker from "dockerode"
import * as Crypto from "node:crypto"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as Zlib from "node:zlib"

export interface TestRegistry {
  /** The served image's reference: `127.0.0.1:<port>/<repository>:<tag>`. */
  readonly image: string
  readonly close: () => Promise<void>
}

const blockSize = 512

const field = (header: Buffer, offset: number, length: number) =>
  header
    .subarray(offset, offset + length)
    .toString("utf8")
    .replace(/\0.*$/s, "")

/** The regular files of a tar archive, by path. */
const untar = (tar: Buffer): Map<string, Buffer> => {
  const files = new Map<string, Buffer>()
  let offset = 0
  while (offset + blockSize <= tar.length) {
    const header = tar.subarray(offset, offset + blockSize)
    if (header.every((byte) => byte === 0)) break
    const name = field(header, 0, 100)
    const prefix = field(header, 345, 155)
    const size = parseInt(field(header, 124, 12).trim() || "0", 8)
    const type = field(header, 156, 1)
    if (type === "0" || type === "") {
      files.set(prefix === "" ? name : `${prefix}/${name}`, tar.subarray(offset + blockSize, offset + blockSize + size))
    }
    offset += blockSize + Math.ceil(size / blockSize) * blockSize
  }
  return files
}

const digestOf = (content: Buffer) => `sha256:${Crypto.createHash("sha256").update(content).digest("hex")}`

const readAll = async (stream: NodeJS.ReadableStream): Promise<Buffer> => {
  const parts: Array<Buffer> = []
  for await (const part of stream) parts.push(Buffer.isBuffer(part) ? part : Buffer.from(part))
  return Buffer.concat(parts)
}

/** Serves the engine's image `source` as `<repository>:<tag>` until `close`. */
export const serveImage = async (
  docker: Docker,
  source: string,
  repository: string,
  tag: string
): Promise<TestRegistry> => {
  const files = untar(await readAll(await docker.getImage(source).get()))
  const [saved] = JSON.parse(files.get("manifest.json")?.toString("utf8") ?? "[]") as Array<{
    readonly Config: string
    readonly Layers: ReadonlyArray<string>
  }>
  const config = saved === undefined ? undefined : files.get(saved.Config)
  if (saved === undefined || config === undefined) throw new Error(`docker save ${source}: no image manifest`)
  const blobs = new Map<string, Buffer>([[digestOf(config), config]])
  const layers = saved.Layers.map((path) => {
    const layer = Zlib.gzipSync(files.get(path) ?? Buffer.alloc(0))
    blobs.set(digestOf(layer), layer)
    return {
      mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip",
      size: layer.length,
      digest: digestOf(layer)
    }
  })
  const manifestType = "application/vnd.docker.distribution.manifest.v2+json"
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: manifestType,
      config: {
        mediaType: "application/vnd.docker.container.image.v1+json",
        size: config.length,
        digest: digestOf(config)
      },
      layers
    })
  )
  const manifestDigest = digestOf(manifest)

  const server = Http.createServer((request, response) => {
    const send = (status: number, body: Buffer, type: string, digest?: string) => {
      response.writeHead(status, {
        "Content-Type": type,
        "Content-Length": body.length,
        "Docker-Distribution-API-Version": "registry/2.0",
        ...(digest === undefined ? {} : { "Docker-Content-Digest": digest })
      })
      response.end(request.method === "HEAD" ? undefined : body)
    }
    const path = request.url ?? ""
    const manifestPath = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(path)
    const blobPath = /^\/v2\/(.+)\/blobs\/([^/]+)$/.exec(path)
    if (path === "/v2/" || path === "/v2") return send(200, Buffer.from("{}"), "application/json")
    if (manifestPath?.[1] === repository && (manifestPath[2] === tag || manifestPath[2] === manifestDigest)) {
      return send(200, manifest, manifestType, manifestDigest)
    }
    const blob = blobPath?.[1] === repository ? blobs.get(blobPath[2] ?? "") : undefined
    if (blob !== undefined) return send(200, blob, "application/octet-stream", blobPath?.[2])
    send(404, Buffer.from(JSON.stringify({ errors: [{ code: "NAME_UNKNOWN", message: path }] })), "application/json")
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    image: `127.0.0.1:${port}/${repository}:${tag}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
