import { describe, expect, it } from "@effect/vitest"
import { node, nodeInfo, plugin, pod, scores } from "./Fixtures.js"
import * as ImageLocality from "./ImageLocality.js"

const mb = 1024 * 1024

describe("ImageLocality", () => {
  const locality = plugin(ImageLocality.make)

  it("prefers nodes holding the image, scaled by size and spread", () => {
    const image = { names: ["registry.example/app:1"], sizeBytes: 500 * mb }
    const nodes = [
      nodeInfo(node("n1", { images: [image] })),
      nodeInfo(node("n2")),
      nodeInfo(node("n3", { images: [image] }))
    ]
    // 500 MB held by 2 of 3 nodes: 333 MB, (333 - 23) / (1000 - 23) → 31
    expect(scores(locality, pod("p", { image: "registry.example/app:1" }), nodes)).toEqual({ n1: 31, n2: 0, n3: 31 })
  })

  it("treats an untagged image as :latest", () => {
    expect(ImageLocality.normalizedImageName("nginx")).toBe("nginx:latest")
    expect(ImageLocality.normalizedImageName("localhost:5000/nginx")).toBe("localhost:5000/nginx:latest")
    expect(ImageLocality.normalizedImageName("nginx:1.25")).toBe("nginx:1.25")
    const big = { names: ["nginx:latest"], sizeBytes: 2000 * mb }
    expect(scores(locality, pod("p", { image: "nginx" }), [nodeInfo(node("n1", { images: [big] }))])).toEqual({
      n1: 100
    })
  })

  it("scores 0 everywhere when no node holds the images", () => {
    expect(scores(locality, pod("p"), [nodeInfo(node("n1")), nodeInfo(node("n2"))])).toEqual({ n1: 0, n2: 0 })
  })
})
