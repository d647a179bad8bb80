import { Array as Arr, DateTime, Effect, HashMap, Layer, Option, Order } from "effect"
import type { Task } from "../../domain/Model.js"
import { MaintenanceRepository, type OverdueTask } from "../MaintenanceRepository.js"
import { MemoryStore, ok } from "./MemoryStore.js"
import { rowsOf } from "./Query.js"

export const reminderKey = (taskId: string, dueAt: DateTime.Utc): string => `${taskId}/${DateTime.formatIso(dueAt)}`

const byDueThenId: Order.Order<Task> = Order.combine(
  Order.mapInput(Order.number, (t: Task) => (t.dueAt === null ? 0 : DateTime.toEpochMillis(t.dueAt))),
  Order.mapInput(Order.string, (t: Task) => t.id)
)

export const MemoryMaintenanceRepository = Layer.effect(
  MaintenanceRepository,
  Effect.gen(function* () {
    const store = yield* MemoryStore
    return MaintenanceRepository.of({
      markOverdue: (now, limit) =>
        store.write((t) => {
          const inDoneColumn = (task: Task) => Option.exists(HashMap.get(t.columns, task.columnId), (c) => c.isDone)
          const due = Arr.sort(
            rowsOf(t.tasks).filter(
              (task) =>
                task.dueAt !== null &&
                DateTime.lessThan(task.dueAt, now) &&
                !inDoneColumn(task) &&
                !HashMap.has(t.taskReminders, reminderKey(task.id, task.dueAt))
            ),
            byDueThenId
          ).slice(0, limit)
          const marked: Array<OverdueTask> = []
          let reminders = t.taskReminders
          for (const task of due) {
            if (task.dueAt === null) continue
            reminders = HashMap.set(reminders, reminderKey(task.id, task.dueAt), now)
            marked.push({ taskId: task.id, projectId: task.projectId, number: task.number, title: task.title, dueAt: task.dueAt, assigneeId: task.assigneeId, version: task.version })
          }
          return ok(marked, { ...t, taskReminders: reminders })
        }),
      // The in-memory outbox keeps no publication time (nothing relays from it): nothing to prune.
      pruneOutbox: () => Effect.succeed(0),
      pruneDeadLetters: (before, limit) =>
        store.write((t) => {
          const old = rowsOf(t.deadLetters).filter((letter) => DateTime.lessThan(letter.lastFailedAt, before)).slice(0, limit)
          return ok(old.length, { ...t, deadLetters: old.reduce((letters, letter) => HashMap.remove(letters, letter.id), t.deadLetters) })
        }),
      counts: (now) =>
        store.read((t) => {
          const inDoneColumn = (task: Task) => Option.exists(HashMap.get(t.columns, task.columnId), (c) => c.isDone)
          return {
            // Nothing relays from the in-memory outbox (tests deliver inline): no backlog.
            outboxBacklog: 0,
            deadLetters: rowsOf(t.deadLetters).filter((letter) => letter.status === "pending").length,
            overdueTasks: rowsOf(t.tasks).filter((task) => task.dueAt !== null && DateTime.lessThan(task.dueAt, now) && !inDoneColumn(task)).length
          }
        })
    })
  })
)
