/**
 * `docker inspect` read as the runtime's Sandbox and ContainerInfo, as dockershim's ContainerStatus
 * does: running, else exited once it has finished or failed to start, else created; the reason of an
 * exit is OOMKilled, Completed (code 0) or Error, and ContainerCannotRun when the start itself failed.
 */
import type Docker from "dockerode"
import type { ContainerInfo, ContainerStateName, Sandbox } from "../../core/runtime/ContainerRuntime.js"
import { attemptOf, containerNameLabel, podOf, sandboxIdLabel } from "./labels.js"

/** Epoch milliseconds of a Docker timestamp; undefined for Docker's zero time ("0001-01-01T00:00:00Z"). */
export const timeOf = (timestamp: string | undefined): number | undefined => {
  if (timestamp === undefined || timestamp.startsWith("0001-01-01")) return undefined
  // RFC 3339 with nanoseconds: Date.parse wants at most milliseconds.
  const millis = Date.parse(timestamp.replace(/(\.\d{3})\d+/, "$1"))
  return Number.isNaN(millis) ? undefined : millis
}

const stateOf = (info: Docker.ContainerInspectInfo): ContainerStateName => {
  if (info.State.Running) return "Running"
  if (timeOf(info.State.FinishedAt) !== undefined || info.State.Error !== "") return "Exited"
  return info.State.Status === "created" ? "Created" : "Unknown"
}

const exitReasonOf = (state: Docker.ContainerInspectInfo["State"]): string => {
  if (state.Error !== "") return "ContainerCannotRun"
  if (state.OOMKilled) return "OOMKilled"
  return state.ExitCode === 0 ? "Completed" : "Error"
}

export const containerInfoOf = (info: Docker.ContainerInspectInfo): ContainerInfo => {
  const labels = info.Config.Labels ?? {}
  const state = stateOf(info)
  const startedAt = timeOf(info.State.StartedAt)
  // Docker may stamp a container that exits at once as finished before it started (moby/moby#45445).
  const finished = timeOf(info.State.FinishedAt)
  const finishedAt = finished === undefined || startedAt === undefined ? finished : Math.max(finished, startedAt)
  return {
    id: info.Id,
    pod: podOf(labels),
    sandboxId: labels[sandboxIdLabel] ?? "",
    name: labels[containerNameLabel] ?? "",
    attempt: attemptOf(labels),
    image: info.Config.Image,
    imageId: info.Image,
    state,
    createdAt: timeOf(info.Created) ?? 0,
    ...(startedAt === undefined ? {} : { startedAt }),
    ...(state !== "Exited"
      ? {}
      : {
          ...(finishedAt === undefined ? {} : { finishedAt }),
          exitCode: info.State.ExitCode,
          reason: exitReasonOf(info.State),
          ...(info.State.Error === "" ? {} : { message: info.State.Error })
        })
  }
}

/** A sandbox is Ready while its container runs; its IP is the pod's (empty once stopped). */
export const sandboxOf = (info: Docker.ContainerInspectInfo): Sandbox => {
  const labels = info.Config.Labels ?? {}
  const ip = (info.NetworkSettings as { readonly IPAddress?: string }).IPAddress
  return {
    id: info.Id,
    pod: podOf(labels),
    attempt: attemptOf(labels),
    state: info.State.Running ? "Ready" : "NotReady",
    ip: ip ?? "",
    createdAt: timeOf(info.Created) ?? 0
  }
}
