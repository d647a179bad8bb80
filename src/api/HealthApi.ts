import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { ServiceUnavailable } from "../domain/Errors.js"

export class Liveness extends Schema.Class<Liveness>("Liveness")({ status: Schema.Literal("ok") }) {}
export class Readiness extends Schema.Class<Readiness>("Readiness")({
  status: Schema.Literal("ok"),
  database: Schema.Literal("ok"),
  mode: Schema.String
}) {}

/** Probes for orchestrators: unauthenticated, cheap. */
export class HealthApi extends HttpApiGroup.make("health")
  .add(HttpApiEndpoint.get("live", "/health/live").addSuccess(Liveness))
  .add(HttpApiEndpoint.get("ready", "/health/ready").addSuccess(Readiness).addError(ServiceUnavailable))
  .annotate(OpenApi.Title, "Health") {}
