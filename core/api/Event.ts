/**
 * The core/v1 Event: something that happened to an object (`involvedObject`), with a reason,
 * a message and a count; validation as Kubernetes' legacy v1 events, field selectors and
 * kubectl's columns.
 */
import * as Schema from "effect/Schema"
import { age } from "./duration.js"
import type { FieldError } from "./errors.js"
import { Int32 } from "./IntOrString.js"
import { ObjectMeta } from "./meta.js"
import { ObjectReference } from "./ObjectReference.js"
import { requiredField } from "./requiredField.js"
import { nameColumn, type ResourceType } from "./resource.js"
import * as V from "./validation.js"

const opt = Schema.optional
const id = (name: string) => ({ identifier: `io.k8s.api.core.v1.${name}` })

export const EventSource = Schema.Struct({ component: opt(Schema.String), host: opt(Schema.String) }).annotations(
  id("EventSource")
)

export const EventSeries = Schema.Struct({
  count: opt(Int32),
  lastObservedTime: opt(Schema.String)
}).annotations(id("EventSeries"))

export const Event = Schema.Struct({
  apiVersion: Schema.Literal("v1"),
  kind: Schema.Literal("Event"),
  metadata: ObjectMeta,
  involvedObject: requiredField(ObjectReference),
  reason: opt(Schema.String),
  message: opt(Schema.String),
  source: opt(EventSource),
  firstTimestamp: opt(Schema.NullOr(Schema.String)),
  lastTimestamp: opt(Schema.NullOr(Schema.String)),
  count: opt(Int32),
  /** "Normal" or "Warning". */
  type: opt(Schema.String),
  eventTime: opt(Schema.NullOr(Schema.String)),
  series: opt(EventSeries),
  action: opt(Schema.String),
  related: opt(ObjectReference),
  reportingComponent: opt(Schema.String),
  reportingInstance: opt(Schema.String)
}).annotations(id("Event"))
export type Event = typeof Event.Type

const given = (s: string | null | undefined): s is string => s !== undefined && s !== null && s !== ""

/** Legacy v1 event validation: namespaces agree; events with an `eventTime` name their reporter. */
export const validate = (ev: Event, old: Event | undefined): ReadonlyArray<FieldError> => {
  const errors: Array<FieldError> = [...V.metadata(ev.metadata, old?.metadata, true, V.nameIsDNSSubdomain)]
  const namespace = ev.metadata.namespace ?? ""
  const involved = ev.involvedObject?.namespace ?? ""
  const mismatch = V.invalid("involvedObject.namespace", involved, "does not match event.namespace")
  if (!given(ev.eventTime)) {
    if (involved === "" ? namespace !== "" && namespace !== "default" : namespace !== involved) errors.push(mismatch)
  } else {
    if (involved === "" && namespace !== "default" && namespace !== "kube-system") errors.push(mismatch)
    if (!given(ev.reportingComponent)) errors.push(V.required("reportingComponent"))
    else {
      errors.push(
        ...V.qualifiedName(ev.reportingComponent).map((m) => V.invalid("reportingComponent", ev.reportingComponent, m))
      )
    }
    if (!given(ev.reportingInstance)) errors.push(V.required("reportingInstance"))
    else if (ev.reportingInstance.length > 128)
      errors.push(V.invalid("reportingInstance", "", "can have at most 128 characters"))
    if (!given(ev.action)) errors.push(V.required("action"))
    else if (ev.action.length > 128) errors.push(V.invalid("action", "", "can have at most 128 characters"))
    if (!given(ev.reason)) errors.push(V.required("reason"))
    else if (ev.reason.length > 128) errors.push(V.invalid("reason", "", "can have at most 128 characters"))
    if ((ev.message ?? "").length > 1024) errors.push(V.invalid("message", "", "can have at most 1024 characters"))
  }
  return errors
}

/** The event's source as `kubectl get events -o wide` prints it: "kubelet, node-1". */
const source = (ev: Event): string => {
  const component = given(ev.source?.component) ? ev.source.component : (ev.reportingComponent ?? "")
  const instance = given(ev.source?.host) ? ev.source.host : (ev.reportingInstance ?? "")
  return instance === "" ? component : `${component}, ${instance}`
}

const firstSeen = (ev: Event, now: string) => age(given(ev.firstTimestamp) ? ev.firstTimestamp : ev.eventTime, now)

const lastSeen = (ev: Event, now: string) => {
  if (ev.series !== undefined) return age(ev.series.lastObservedTime, now)
  return given(ev.lastTimestamp) ? age(ev.lastTimestamp, now) : firstSeen(ev, now)
}

export const Events: ResourceType<Event> = {
  group: "",
  version: "v1",
  kind: "Event",
  plural: "events",
  singular: "event",
  shortNames: ["ev"],
  namespaced: true,
  categories: [],
  schema: Event,
  defaults: (ev) => ev,
  validate,
  fields: {
    "involvedObject.kind": (e) => e.involvedObject?.kind ?? "",
    "involvedObject.namespace": (e) => e.involvedObject?.namespace ?? "",
    "involvedObject.name": (e) => e.involvedObject?.name ?? "",
    "involvedObject.uid": (e) => e.involvedObject?.uid ?? "",
    "involvedObject.apiVersion": (e) => e.involvedObject?.apiVersion ?? "",
    "involvedObject.resourceVersion": (e) => e.involvedObject?.resourceVersion ?? "",
    "involvedObject.fieldPath": (e) => e.involvedObject?.fieldPath ?? "",
    reason: (e) => e.reason ?? "",
    reportingComponent: (e) => e.reportingComponent ?? "",
    source: (e) => (given(e.source?.component) ? e.source.component : (e.reportingComponent ?? "")),
    type: (e) => e.type ?? ""
  },
  columns: [
    {
      name: "Last Seen",
      type: "string",
      priority: 0,
      description: "Time since the event was last seen.",
      cell: lastSeen
    },
    { name: "Type", type: "string", priority: 0, description: "Normal or Warning.", cell: (e) => e.type ?? "" },
    {
      name: "Reason",
      type: "string",
      priority: 0,
      description: "Why the event happened.",
      cell: (e) => e.reason ?? ""
    },
    {
      name: "Object",
      type: "string",
      priority: 0,
      description: "The object the event is about.",
      cell: (e) => {
        const kind = (e.involvedObject?.kind ?? "").toLowerCase()
        return given(e.involvedObject?.name) ? `${kind}/${e.involvedObject?.name}` : kind
      }
    },
    {
      name: "Subobject",
      type: "string",
      priority: 1,
      description: "The part of the object the event is about.",
      cell: (e) => e.involvedObject?.fieldPath ?? ""
    },
    { name: "Source", type: "string", priority: 1, description: "Who reported the event.", cell: source },
    {
      name: "Message",
      type: "string",
      priority: 0,
      description: "A human-readable description.",
      cell: (e) => (e.message ?? "").trim()
    },
    {
      name: "First Seen",
      type: "string",
      priority: 1,
      description: "Time since the event was first seen.",
      cell: firstSeen
    },
    {
      name: "Count",
      type: "integer",
      priority: 1,
      description: "How many times the event happened.",
      cell: (e) => e.series?.count ?? (e.count === undefined || e.count === 0 ? 1 : e.count)
    },
    nameColumn("event", 1)
  ],
  statusSubresource: false,
  hasGeneration: false
}
