/**
 * A container's resources as Docker's HostConfig, as the kubelet sets a container's cgroup: the CPU
 * limit as a CFS quota (`NanoCpus`), the CPU request as relative weight (`CpuShares`, Kubernetes'
 * MilliCPUToShares, at least 2 so a best-effort container still runs), the memory limit as a hard
 * limit with no swap on top (`MemorySwap` = `Memory`).
 */
import * as Either from "effect/Either"
import type { ResourceList } from "../../core/api/Container.js"
import * as Quantity from "../../core/api/Quantity.js"

export interface HostResources {
  readonly NanoCpus?: number
  readonly CpuShares: number
  readonly Memory?: number
  readonly MemorySwap?: number
}

const minShares = 2
const sharesPerCpu = 1024

const quantity = (
  list: ResourceList,
  name: string,
  kind: string
): Either.Either<Quantity.Quantity | undefined, string> => {
  const given = list[name]
  if (given === undefined) return Either.right(undefined)
  return Either.mapLeft(Quantity.parse(given), (message) => `${kind}.${name}: ${message}`)
}

/** The HostConfig fields for these requests and limits; Left names a quantity that does not parse. */
export const hostResources = (requests: ResourceList, limits: ResourceList): Either.Either<HostResources, string> =>
  Either.gen(function* () {
    const cpuRequest = yield* quantity(requests, "cpu", "requests")
    const cpuLimit = yield* quantity(limits, "cpu", "limits")
    const memoryLimit = yield* quantity(limits, "memory", "limits")
    const requestMillis = cpuRequest === undefined ? 0 : Quantity.milliValue(cpuRequest)
    const memory = memoryLimit === undefined ? undefined : Quantity.value(memoryLimit)
    return {
      CpuShares: Math.max(minShares, Math.floor((requestMillis * sharesPerCpu) / 1000)),
      ...(cpuLimit === undefined ? {} : { NanoCpus: Quantity.milliValue(cpuLimit) * 1_000_000 }),
      ...(memory === undefined ? {} : { Memory: memory, MemorySwap: memory })
    }
  })
