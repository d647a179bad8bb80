import { Migrator } from "@effect/sql"
import m0001 from "./0001_initial.js"
import m0002 from "./0002_outbox_relay.js"
import m0003 from "./0003_inbox_dead_letters.js"
import m0004 from "./0004_read_models.js"
import m0005 from "./0005_jobs.js"
import m0006 from "./0006_outbox_wake_up_after_commit.js"
import m0007 from "./0007_audit.js"
import m0008 from "./0008_attachments.js"
import m0009 from "./0009_webhooks.js"

const all = {
  "0001_initial": m0001,
  "0002_outbox_relay": m0002,
  "0003_inbox_dead_letters": m0003,
  "0004_read_models": m0004,
  "0005_jobs": m0005,
  "0006_outbox_wake_up_after_commit": m0006,
  "0007_audit": m0007,
  "0008_attachments": m0008,
  "0009_webhooks": m0009
}

/** Forward-only migrations, loaded statically so they work from source, tests and bundles. */
export const migrations = Migrator.fromRecord(all)

/** The number of the newest migration: what readiness wants the database at. */
export const latestMigration = Math.max(...Object.keys(all).map((name) => Number(name.slice(0, 4))))
