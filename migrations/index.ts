import { Migrator } from "@effect/sql"
import m0001 from "./0001_initial.js"
import m0002 from "./0002_outbox_relay.js"
import m0003 from "./0003_inbox_dead_letters.js"
import m0004 from "./0004_read_models.js"
import m0005 from "./0005_jobs.js"

/** Forward-only migrations, loaded statically so they work from source, tests and bundles. */
export const migrations = Migrator.fromRecord({
  "0001_initial": m0001,
  "0002_outbox_relay": m0002,
  "0003_inbox_dead_letters": m0003,
  "0004_read_models": m0004,
  "0005_jobs": m0005
})
