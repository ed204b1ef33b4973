import * as Layer from "effect/Layer"
import * as ApiServer from "../apiserver/ApiServer.js"
import * as MemoryStore from "../store/MemoryStore.js"
import * as Client from "./Client.js"
import { testClient } from "./ClientSuite.js"
import { layerInProcess } from "./Transport.js"

testClient(
  "the in-process transport",
  Client.layer.pipe(
    Layer.provide(layerInProcess),
    Layer.provide(ApiServer.layer({})),
    Layer.provideMerge(MemoryStore.layer)
  )
)
