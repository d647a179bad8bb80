/**
 * The statement Flowboard runs for `GET /api/v1/tasks/:id` (SqlTaskRepository's `findAccess`: the
 * task, its project and the caller's membership in one read), for the peers to run as is, and
 * the task's JSON as Flowboard answers it. Kept beside the peers so they stay plain: if the
 * repository's statement changes, change it here too (the bench checks the peers' answers
 * against Flowboard's before it loads anything).
 */
export const findTaskWithAccess = `SELECT t.*, p.key AS project_key, p.name AS project_name, p.description AS project_description,
                   p.owner_id AS project_owner_id, p.status AS project_status, p.rank AS project_rank,
                   p.version AS project_version, p.created_at AS project_created_at, p.updated_at AS project_updated_at,
                   m.user_id AS member_user_id, m.role AS member_role, m.added_at AS member_added_at
            FROM tasks t
            JOIN projects p ON p.id = t.project_id
            JOIN project_members m ON m.project_id = t.project_id AND m.user_id = $2
            WHERE t.id = $1`

/** A row of that statement as `pg` gives it (timestamps as `Date`). */
export interface TaskAccessRow {
  readonly id: string
  readonly project_id: string
  readonly number: number
  readonly title: string
  readonly description: string
  readonly column_id: string
  readonly rank: string
  readonly priority: string
  readonly assignee_id: string | null
  readonly labels: ReadonlyArray<string>
  readonly due_at: Date | null
  readonly estimate: number | null
  readonly completed_at: Date | null
  readonly version: number
  readonly created_by: string
  readonly created_at: Date
  readonly updated_at: Date
}

/** The task as Flowboard's `Task` schema encodes it: camelCase fields, ISO timestamps, in its field order. */
export const taskJson = (row: TaskAccessRow) => ({
  id: row.id,
  projectId: row.project_id,
  number: row.number,
  title: row.title,
  description: row.description,
  columnId: row.column_id,
  rank: row.rank,
  priority: row.priority,
  assigneeId: row.assignee_id,
  labels: row.labels,
  dueAt: row.due_at === null ? null : row.due_at.toISOString(),
  estimate: row.estimate,
  completedAt: row.completed_at === null ? null : row.completed_at.toISOString(),
  version: row.version,
  createdBy: row.created_by,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString()
})
