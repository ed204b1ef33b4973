/**
 * The object every write benchmark stores: a Pod as a Deployment's ReplicaSet would create it (labels,
 * an owner, one container with ports, env, resources and a probe), about 1 KB of JSON.
 */
import type { Pod } from "../core/api/Pod.js"

/** A pod-sized manifest named `name` in `default`. */
export const podManifest = (name: string): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name,
    namespace: "default",
    labels: { app: "web", tier: "frontend", "pod-template-hash": "5d8f9c7b6d" },
    annotations: { "kubectl.kubernetes.io/restartedAt": "2025-01-01T00:00:00Z" },
    ownerReferences: [
      {
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        name: "web-5d8f9c7b6d",
        uid: "5f1c6d2e-8b0a-4c3e-9f47-2a1d0b9e6c13",
        controller: true,
        blockOwnerDeletion: true
      }
    ]
  },
  spec: {
    containers: [
      {
        name: "web",
        image: "nginx:1.27",
        ports: [{ name: "http", containerPort: 80, protocol: "TCP" }],
        env: [
          { name: "LOG_LEVEL", value: "info" },
          { name: "CACHE_SIZE", value: "256" }
        ],
        resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
        readinessProbe: { httpGet: { path: "/healthz", port: 80 }, periodSeconds: 5 }
      }
    ],
    restartPolicy: "Always",
    terminationGracePeriodSeconds: 30
  }
})
