import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { DatabaseReport } from "../domain/DatabaseInsight.js"
import { Forbidden } from "../domain/Errors.js"

/** Performance insight for operators: what the database says about its own workload. */
export class DatabaseInsightApi extends HttpApiGroup.make("databaseInsight")
  .add(
    HttpApiEndpoint.get("getDatabaseInsight", "/admin/db")
      .addSuccess(DatabaseReport)
      .addError(Forbidden)
      .annotate(
        OpenApi.Description,
        "Admin only. The slowest statements from pg_stat_statements (when the extension is available; the reason otherwise), the tables read by sequential scans, indexes never used, and index recommendations drawn from them."
      )
  )
  .annotate(OpenApi.Title, "Database insight") {}
