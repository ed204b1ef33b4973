/**
 * `node --import ./bin/typescript.js bench/simulationProcess.ts '<SimulationSize as JSON>'`: one whole simulated run
 * (bench/simulation.ts) in a process of its own; prints its figures as JSON on stdout.
 */
import { runSimulation, type SimulationSize } from "./simulation.js"

const size = JSON.parse(process.argv[2] ?? "") as SimulationSize
process.stdout.write(JSON.stringify(await runSimulation(size)) + "\n")
