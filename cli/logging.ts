/**
 * Logging of the long-running processes (`apiserver`, `controller-manager`, `scheduler`,
 * `node-agent`): one structured line per entry on stderr, logfmt or JSON, from `--log-level` up.
 */
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"

export const logLevels = ["trace", "debug", "info", "warning", "error", "none"] as const
export type LogLevelName = (typeof logLevels)[number]

export const logFormats = ["logfmt", "json"] as const
export type LogFormat = (typeof logFormats)[number]

const levels: Record<LogLevelName, LogLevel.LogLevel> = {
  trace: LogLevel.Trace,
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warning: LogLevel.Warning,
  error: LogLevel.Error,
  none: LogLevel.None
}

/** Replaces the default logger with a structured one on stderr, dropping lines below `level`. */
export const layer = (level: LogLevelName, format: LogFormat = "logfmt"): Layer.Layer<never> =>
  Layer.merge(
    Logger.replace(
      Logger.defaultLogger,
      Logger.withConsoleError(format === "json" ? Logger.jsonLogger : Logger.logfmtLogger)
    ),
    Logger.minimumLogLevel(levels[level])
  )
