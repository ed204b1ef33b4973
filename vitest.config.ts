import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: [
      "core/**/*.test.ts",
      "runtimes/**/*.test.ts",
      "sim/**/*.test.ts",
      "cli/**/*.test.ts",
      "bench/**/*.test.ts"
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
