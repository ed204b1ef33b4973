/** Amounts and times as a person (and Kubernetes) writes them, for workload files, scenarios and manifests. */
const binarySuffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi"]

/** Millicores as Kubernetes writes them: whole cores as a number, else `250m`. */
export const cpuText = (milli: number): number | string => (milli % 1000 === 0 ? milli / 1000 : `${milli}m`)

/** Bytes with the largest binary suffix that divides them (`2560Mi`), else the plain number. */
export const memoryText = (bytes: number): number | string => {
  let [n, power] = [bytes, 0]
  while (power < binarySuffixes.length - 1 && n >= 1024 && n % 1024 === 0) [n, power] = [n / 1024, power + 1]
  return power === 0 ? n : `${n}${binarySuffixes[power]}`
}

/** `1h30m`, `12m38.123s`, `250ms`, `0s`: Go's syntax without its zero parts. */
export const durationText = (ms: number): string => {
  if (ms === 0) return "0s"
  if (ms < 1000) return `${ms}ms`
  const [h, m, s] = [Math.floor(ms / 3_600_000), Math.floor((ms % 3_600_000) / 60_000), (ms % 60_000) / 1000]
  return `${h > 0 ? `${h}h` : ""}${m > 0 ? `${m}m` : ""}${s > 0 ? `${s}s` : ""}`
}
