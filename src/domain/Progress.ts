import { Schema } from "effect"
import { ColumnId, ProjectId } from "./Ids.js"
import { Project, Timestamp } from "./Model.js"

export class ColumnProgress extends Schema.Class<ColumnProgress>("ColumnProgress")({
  columnId: ColumnId,
  name: Schema.String,
  isDone: Schema.Boolean,
  tasks: Schema.Int
}) {}

/**
 * The stored read model: task counts per column as the progress handler last counted them.
 * `lastEventId` is the event that caused the count, for diagnosis.
 */
export class ProgressCounts extends Schema.Class<ProgressCounts>("ProgressCounts")({
  projectId: ProjectId,
  columns: Schema.Array(ColumnProgress),
  updatedAt: Timestamp,
  lastEventId: Schema.NullOr(Schema.String)
}) {}

/** Served with the project. `overdue` is counted when read, because it changes with the clock alone. */
export class ProjectProgress extends Schema.Class<ProjectProgress>("ProjectProgress")({
  columns: Schema.Array(ColumnProgress).annotations({ description: "Tasks per column, in board order" }),
  total: Schema.Int,
  done: Schema.Int.annotations({ description: "Tasks in columns marked done" }),
  percentDone: Schema.Int.annotations({ description: "done / total as a whole percentage, rounded down; 0 without tasks" }),
  overdue: Schema.Int.annotations({ description: "Tasks due before now and not in a done column, counted at read time" }),
  updatedAt: Schema.NullOr(Timestamp).annotations({
    description: "When the counts were last recomputed from an event; null until the first one is handled"
  })
}) {}

export const progressOf = (counts: ProgressCounts | null, overdue: number): ProjectProgress => {
  const columns = counts?.columns ?? []
  const total = columns.reduce((sum, c) => sum + c.tasks, 0)
  const done = columns.reduce((sum, c) => sum + (c.isDone ? c.tasks : 0), 0)
  return new ProjectProgress({
    columns,
    total,
    done,
    percentDone: total === 0 ? 0 : Math.floor((done * 100) / total),
    overdue,
    updatedAt: counts?.updatedAt ?? null
  })
}

/** A project as `GET /projects/{id}` serves it: with its progress. */
export class ProjectDetails extends Project.extend<ProjectDetails>("ProjectDetails")({
  progress: ProjectProgress
}) {}
