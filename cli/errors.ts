/**
 * What a CLI command can fail with, and the one line it prints for it (kubectl's wording where
 * kubectl has one: `Error from server (NotFound): deployments.apps "web" not found`).
 */
import * as Data from "effect/Data"
import { isApiError } from "../core/api/errors.js"
import type { ApiError } from "../core/api/errors.js"
import type { Unreachable } from "../core/client/Transport.js"
import { ManifestError } from "./manifest.js"

/** A usage or input problem found by the CLI itself. */
export class CliError extends Data.TaggedError("CliError")<{ readonly message: string }> {}

export type CommandError = CliError | ApiError | Unreachable | ManifestError

export const errorLine = (error: unknown): string => {
  if (error instanceof ManifestError) return `error: ${error.message}`
  if (isApiError(error)) return `Error from server (${error._tag}): ${(error as ApiError).message}`
  if (typeof error === "object" && error !== null && "_tag" in error) {
    const tagged = error as { _tag: string; message?: string }
    if (tagged._tag === "Unreachable") return `error: cannot reach the API server: ${tagged.message}`
    if (tagged._tag === "CliError") return `error: ${tagged.message}`
  }
  return `error: ${error instanceof Error ? error.message : String(error)}`
}
