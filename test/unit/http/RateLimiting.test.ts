import { describe, expect, it } from "@effect/vitest"
import { isExpensive } from "../../../src/http/RateLimiting.js"

describe("the expensive budget", () => {
  it("covers bulk, import, export, dead-letter replays and reading the whole audit trail, and nothing else", () => {
    const id = "0190d2a8-0000-7000-8000-000000000000"
    expect(
      [`/api/v1/projects/${id}/tasks/bulk`, `/api/v1/projects/${id}/import`, `/api/v1/projects/${id}/export`, `/api/v1/admin/dead-letters/${id}/replay`, "/api/v1/admin/dead-letters/replay", "/api/v1/admin/audit/export", "/api/v1/admin/audit/verify"].map(isExpensive)
    ).toEqual([true, true, true, true, true, true, true])
    expect(
      [`/api/v1/projects/${id}/tasks`, `/api/v1/projects/${id}`, `/api/v1/projects/${id}/export/x`, `/api/v1/admin/dead-letters/${id}`, "/api/v1/projects/import", "/api/v1/admin/audit"].map(isExpensive)
    ).toEqual([false, false, false, false, false, false])
  })
})
