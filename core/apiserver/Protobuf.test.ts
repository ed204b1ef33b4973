import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { ApiRequest } from "./ApiRequest.js"
import { harness, jsonOf, send } from "./Harness.js"
import { decode, protobufMediaType } from "./Protobuf.js"

// A test-only protobuf encoder: a message is a list of [field number, value] pairs, written the
// way Go's gogo-generated Marshal writes them (non-pointer fields even when zero).
type Value = string | number | boolean | Uint8Array | Msg
type Msg = ReadonlyArray<readonly [number, Value]>

const varint = (n: bigint): Array<number> => {
  let v = BigInt.asUintN(64, n)
  const out: Array<number> = []
  do {
    const low = Number(v & 0x7fn)
    v >>= 7n
    out.push(v === 0n ? low : low | 0x80)
  } while (v !== 0n)
  return out
}

const encode = (message: Msg): Array<number> =>
  message.flatMap(([field, value]) => {
    if (typeof value === "number" || typeof value === "boolean") {
      return [...varint(BigInt(field << 3)), ...varint(BigInt(Number(value)))]
    }
    const bytes =
      typeof value === "string"
        ? [...new TextEncoder().encode(value)]
        : value instanceof Uint8Array
          ? [...value]
          : encode(value)
    return [...varint(BigInt((field << 3) | 2)), ...varint(BigInt(bytes.length)), ...bytes]
  })

/** The `k8s\0` envelope around an object's message. */
const envelope = (apiVersion: string, kind: string, object: Msg, extra: Msg = []): Uint8Array =>
  new Uint8Array([
    0x6b,
    0x38,
    0x73,
    0x00,
    ...encode([
      [
        1,
        [
          [1, apiVersion],
          [2, kind]
        ]
      ],
      [2, new Uint8Array(encode(object))],
      [3, ""],
      [4, ""],
      ...extra
    ])
  ])

const entry = (key: string, value: Value): Value => [
  [1, key],
  [2, value]
]
/** ObjectMeta as Go writes it: every non-pointer field, zero or not. */
const meta = (name: string, labels: Record<string, string> = {}, creationSeconds = 0): Msg => [
  [1, name],
  [2, ""],
  [3, ""],
  [4, ""],
  [5, ""],
  [6, ""],
  [7, 0],
  [
    8,
    [
      [1, creationSeconds],
      [2, 0]
    ]
  ],
  ...Object.entries(labels).map(([k, v]) => [11, entry(k, v)] as const)
]
const intOrString = (v: number | string): Msg =>
  typeof v === "number"
    ? [
        [1, 0],
        [2, v],
        [3, ""]
      ]
    : [
        [1, 1],
        [2, 0],
        [3, v]
      ]

const namespace = envelope("v1", "Namespace", [
  [1, meta("team")],
  [2, []],
  [3, [[1, ""]]]
])

const container: Msg = [
  [1, "nginx"],
  [2, "nginx:1.27"],
  [5, ""],
  [
    6,
    [
      [1, ""],
      [2, 0],
      [3, 80],
      [4, "TCP"],
      [5, ""]
    ]
  ],
  [
    7,
    [
      [1, "MODE"],
      [2, "fast"]
    ]
  ],
  [
    8,
    [
      [1, entry("memory", [[1, "128Mi"]])],
      [2, entry("cpu", [[1, "100m"]])]
    ]
  ],
  [13, ""],
  [14, ""],
  [16, false],
  [17, false],
  [18, false],
  [20, ""]
]

const deploymentMessage = (extraSpec: Msg = []): Msg => [
  [1, meta("web", { app: "web" }, 1_700_000_000)],
  [
    2,
    [
      [1, 2],
      [2, [[1, entry("app", "web")]]],
      [
        3,
        [
          [1, meta("", { app: "web" })],
          [
            2,
            [
              [2, container],
              [3, ""],
              [6, ""],
              [11, false]
            ]
          ]
        ]
      ],
      [
        4,
        [
          [1, "RollingUpdate"],
          [
            2,
            [
              [1, intOrString(0)],
              [2, intOrString("50%")]
            ]
          ]
        ]
      ],
      [5, 0],
      [7, false],
      ...extraSpec
    ]
  ],
  [3, []]
]

const decoded = (bytes: Uint8Array) => {
  const result = decode(bytes)
  if (Either.isLeft(result)) throw new Error(result.left.message)
  return result.right
}

const failure = (bytes: Uint8Array) => {
  const result = decode(bytes)
  if (Either.isRight(result)) throw new Error(`decoded ${JSON.stringify(result.right)}`)
  return result.left
}

describe("Kubernetes protobuf bodies", () => {
  it("decodes a Namespace as kubectl create namespace sends it, zero values dropped", () => {
    expect(decoded(namespace)).toEqual({
      object: { apiVersion: "v1", kind: "Namespace", metadata: { name: "team" }, spec: {}, status: {} },
      unknownFields: []
    })
  })

  it("decodes a Deployment: maps, lists, quantities, int-or-strings, explicit zeros and times", () => {
    const { object, unknownFields } = decoded(envelope("apps/v1", "Deployment", deploymentMessage()))
    expect(unknownFields).toEqual([])
    expect(object).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", creationTimestamp: "2023-11-14T22:13:20Z", labels: { app: "web" } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: {
            containers: [
              {
                name: "nginx",
                image: "nginx:1.27",
                ports: [{ containerPort: 80, protocol: "TCP" }],
                env: [{ name: "MODE", value: "fast" }],
                resources: { limits: { memory: "128Mi" }, requests: { cpu: "100m" } }
              }
            ]
          }
        },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "50%" } }
      },
      status: {}
    })
  })

  it("reads negative varints as two's complement, not zigzag", () => {
    const { object } = decoded(envelope("apps/v1", "Deployment", [[2, [[6, -1]]]]))
    expect(object).toEqual({ apiVersion: "apps/v1", kind: "Deployment", spec: { revisionHistoryLimit: -1 } })
  })

  it("collects the paths of unknown non-zero fields and skips unknown zero ones", () => {
    const { object, unknownFields } = decoded(
      envelope(
        "apps/v1",
        "Deployment",
        deploymentMessage([
          [42, 7],
          [43, ""],
          [44, "x"]
        ])
      )
    )
    expect(unknownFields).toEqual(["spec.<field 42>", "spec.<field 44>"])
    expect((object.spec as Record<string, unknown>)["replicas"]).toBe(2)
  })

  it("malformed bytes are a 400, an undescribed kind a 415", () => {
    const noMagic = failure(new Uint8Array([0x0a, 0x00]))
    expect(noMagic._tag).toBe("BadRequest")
    expect(noMagic.message).toContain("magic")
    const truncated = failure(namespace.subarray(0, namespace.length - 3))
    expect(truncated._tag).toBe("BadRequest")
    expect(truncated.message).toMatch(/^error decoding protobuf body: /)
    // metadata.name (a string) written as a varint
    const wrongWire = failure(envelope("v1", "Namespace", [[1, [[1, 5]]]]))
    expect(wrongWire.message).toContain("metadata.name has wire type 0")
    const badVarint = new Uint8Array([0x6b, 0x38, 0x73, 0x00, ...new Array(12).fill(0xff)])
    expect(failure(badVarint)._tag).toBe("BadRequest")
    const badUtf8 = failure(envelope("v1", "Namespace", [[1, [[1, new Uint8Array([0xff])]]]]))
    expect(badUtf8.message).toContain("UTF-8")
    const gzip = failure(envelope("v1", "Namespace", [], [[3, "gzip"]]))
    expect(gzip._tag).toBe("BadRequest")
    const secret = failure(envelope("v1", "Secret", []))
    expect(secret._tag).toBe("UnsupportedMediaType")
  })

  const post = (path: string, body: Uint8Array, query: Record<string, string> = {}): ApiRequest => ({
    method: "POST",
    path,
    query: new URLSearchParams(query),
    headers: { "content-type": protobufMediaType, accept: `${protobufMediaType},application/json` },
    body: { _tag: "Raw", bytes: body }
  })

  it.effect("the server creates from a protobuf body and answers JSON", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const created = jsonOf(yield* h.handle(post("/api/v1/namespaces", namespace)))
      expect(created.status).toBe(201)
      expect(created.headers["content-type"]).toBe("application/json")
      expect(created.body.metadata.name).toBe("team")
      expect(created.body.status.phase).toBe("Active")
      const deployment = envelope("apps/v1", "Deployment", deploymentMessage())
      const made = jsonOf(
        yield* h.handle(post("/apis/apps/v1/namespaces/team/deployments", deployment, { fieldValidation: "Strict" }))
      )
      expect(made.status).toBe(201)
      expect(made.body.spec.template.spec.containers[0].imagePullPolicy).toBe("IfNotPresent")
      expect(made.body.metadata.namespace).toBe("team")
    })
  )

  it.effect("the server refuses unknown fields under Strict and malformed bodies, writing nothing", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const unknown = envelope("apps/v1", "Deployment", deploymentMessage([[42, 7]]))
      const strict = jsonOf(
        yield* h.handle(post("/apis/apps/v1/namespaces/default/deployments", unknown, { fieldValidation: "Strict" }))
      )
      expect(strict.status).toBe(400)
      expect(strict.body.message).toBe('strict decoding error: unknown field "spec.<field 42>"')
      const malformed = jsonOf(
        yield* h.handle(post("/apis/apps/v1/namespaces/default/deployments", unknown.subarray(0, 20)))
      )
      expect(malformed.status).toBe(400)
      const list = yield* send(h, "GET", "/apis/apps/v1/namespaces/default/deployments")
      expect(list.body.items).toEqual([])
      const lenient = jsonOf(yield* h.handle(post("/apis/apps/v1/namespaces/default/deployments", unknown)))
      expect(lenient.status).toBe(201)
    })
  )

  it.effect("the 415 for an unknown media type names protobuf among the accepted ones", () =>
    Effect.gen(function* () {
      const h = yield* harness()
      const xml = yield* send(h, "POST", "/api/v1/namespaces", {
        text: "<ns/>",
        headers: { "content-type": "application/xml" }
      })
      expect(xml.status).toBe(415)
      expect(xml.body.message).toContain(protobufMediaType)
    })
  )
})
