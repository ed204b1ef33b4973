/**
 * The `pod-template-hash` label (Kubernetes' `controller.ComputeHash`): an FNV-32a hash of the
 * pod template (here of its canonical JSON), salted with the Deployment's `collisionCount`,
 * rendered in the safe alphabet `rand.SafeEncodeString` uses, so names read like `web-7d4b9c8f5`.
 * Also template equality ignoring that label (`EqualIgnoreHash`).
 */
import type { PodTemplateSpec } from "../../api/PodSpec.js"
import { canonicalJson } from "./Semantic.js"

/** The label key (apps/v1 `DefaultDeploymentUniqueLabelKey`). */
export const label = "pod-template-hash"

/** `rand.SafeEncodeString`'s alphabet: no vowels (no words) and no look-alike characters. */
const alphanums = "bcdfghjklmnpqrstvwxz2456789"

const fnv32a = (bytes: Uint8Array, hash = 0x811c9dc5): number => {
  let h = hash
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0
  return h
}

/** The hash of `template`, different for each `collisionCount` (absent: the unsalted hash). */
export const compute = (template: PodTemplateSpec, collisionCount?: number): string => {
  let hash = fnv32a(new TextEncoder().encode(canonicalJson(template)))
  if (collisionCount !== undefined) {
    // As Kubernetes: the count as 8 little-endian bytes (a uint32 and four zero bytes).
    const salt = new Uint8Array(8)
    new DataView(salt.buffer).setUint32(0, collisionCount >>> 0, true)
    hash = fnv32a(salt, hash)
  }
  return Array.from(String(hash), (c) => alphanums[c.charCodeAt(0) % alphanums.length]).join("")
}

// Cached objects are replaced, never mutated, so a template's key can live as long as the template.
const keys = new WeakMap<PodTemplateSpec, string>()

/** The canonical JSON of the template without the hash label: equal keys, `equalIgnoreHash`. */
const keyIgnoringHash = (template: PodTemplateSpec): string => {
  const cached = keys.get(template)
  if (cached !== undefined) return cached
  const labels = template.metadata?.labels
  const { [label]: _hash, ...rest } = labels ?? {}
  const key = canonicalJson(
    labels === undefined ? template : { ...template, metadata: { ...template.metadata, labels: rest } }
  )
  keys.set(template, key)
  return key
}

/** Whether two templates are semantically equal once the hash label is removed from both (`EqualIgnoreHash`). */
export const equalIgnoreHash = (a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean =>
  keyIgnoringHash(a ?? {}) === keyIgnoringHash(b ?? {})

/** The template with the hash label added to its labels. */
export const addLabel = (template: PodTemplateSpec, hash: string): PodTemplateSpec => ({
  ...template,
  metadata: { ...template.metadata, labels: { ...template.metadata?.labels, [label]: hash } }
})
