import { Schema } from "effect"
import { AuditEvent } from "../domain/Audit.js"

/** An entry as the API shows it (and the NDJSON export writes it): times as ISO 8601. */
export const AuditEventJson = Schema.encodeSync(AuditEvent)
