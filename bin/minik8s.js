#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx: no build step between `npm ci` and use.
import { register } from "tsx/esm/api"

register()
await import("../cli/main.ts")
