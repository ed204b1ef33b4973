/**
 * Test support for properties over Store backends: random operation sequences on a small key
 * space (creates, updates and deletes with right or wrong expected revisions, gets, lists at any
 * revision with limits and continuations, compactions), and an operation's answer as comparable data.
 * MemoryStore's model test and the etcd differential test draw from the same vocabulary.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as fc from "fast-check"

/** Keys that nest and share prefixes, so prefix reads meet every edge. */
export const keySpace = ["/a/1", "/a/2", "/a/1/x", "/ab/1", "/b/1", "/b/2"]
export const prefixes = ["/", "/a/", "/ab/", "/b/", "/c/"]

export type Op =
  | { readonly op: "create"; readonly key: string; readonly n: number }
  | { readonly op: "update"; readonly key: string; readonly n: number; readonly expected: "right" | number }
  | { readonly op: "delete"; readonly key: string; readonly expected: "none" | "right" | number }
  | { readonly op: "get"; readonly key: string }
  | {
      readonly op: "list"
      readonly prefix: string
      readonly at: number | "current"
      readonly limit: number
      readonly after: string | undefined
    }
  | { readonly op: "compact"; readonly at: number }

const key = fc.constantFrom(...keySpace)
// "right" is the key's current modRevision; a number is any revision, mostly a wrong one.
const expected = fc.oneof(fc.constant("right" as const), fc.nat({ max: 40 }))

export const writeOp: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant("create" as const), key, n: fc.nat({ max: 9 }) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant("update" as const), key, n: fc.nat({ max: 9 }), expected }), weight: 3 },
  {
    arbitrary: fc.record({
      op: fc.constant("delete" as const),
      key,
      expected: fc.oneof(fc.constant("none" as const), expected)
    }),
    weight: 2
  }
)

/** Any operation; `compact` only when asked (a shared etcd compacts for everyone). */
export const anyOp = (options: { readonly compact: boolean }): fc.Arbitrary<Op> =>
  fc.oneof(
    { arbitrary: writeOp, weight: 6 },
    fc.record({ op: fc.constant("get" as const), key }),
    {
      arbitrary: fc.record({
        op: fc.constant("list" as const),
        prefix: fc.constantFrom(...prefixes),
        at: fc.oneof(fc.constant("current" as const), fc.nat({ max: 1000 })),
        limit: fc.nat({ max: 3 }),
        // Continuations from keys that exist and from ones between them.
        after: fc.option(fc.constantFrom(...keySpace, "/", "/a", "/c/0"), { nil: undefined })
      }),
      weight: 2
    },
    ...(options.compact ? [fc.record({ op: fc.constant("compact" as const), at: fc.nat({ max: 1000 }) })] : [])
  )

/** What an operation answered: its value, or its error's fields. */
export type Outcome = { readonly ok: unknown } | { readonly error: Record<string, unknown> }

export const outcome = (effect: Effect.Effect<unknown, { readonly _tag: string }>): Effect.Effect<Outcome> =>
  Effect.map(
    Effect.either(effect),
    Either.match({
      onRight: (ok): Outcome => ({ ok }),
      // An unavailable store's message names its backend: only the tag compares.
      onLeft: (error): Outcome => ({ error: error._tag === "StoreUnavailable" ? { _tag: error._tag } : { ...error } })
    })
  )
