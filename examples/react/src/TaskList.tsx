// The user's tasks from the bridge's REST API (GET /api/tasks), reloaded when `version` changes.
import { useEffect, useState } from "react";

import { authorizedFetch } from "./auth-client";

export type Task = {
  id: number;
  title: string;
  description: string | null;
  due_date: string | null;
  completed: boolean;
};

export function TaskList({ version }: { version: number }) {
  const [tasks, setTasks] = useState<Task[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    authorizedFetch("/api/tasks")
      .then(async (response) => {
        if (!response.ok) throw new Error(`GET /api/tasks: HTTP ${response.status}`);
        const body: { data: Task[] } = await response.json();
        if (live) {
          setTasks(body.data);
          setError(null);
        }
      })
      .catch((reason: unknown) => live && setError(String(reason)));
    return () => {
      live = false;
    };
  }, [version]);

  if (error) return <p className="error">{error} (is the bridge running?)</p>;
  if (tasks === null) return <p className="muted">Loading tasks…</p>;
  if (tasks.length === 0) return <p className="muted">No tasks yet: ask the assistant to add one.</p>;
  return (
    <ul className="tasks">
      {tasks.map((task) => (
        <li key={task.id} className={task.completed ? "done" : undefined}>
          <span>{task.completed ? "✓" : "○"}</span> {task.id}. {task.title}
          {task.due_date ? <span className="muted"> · due {task.due_date}</span> : null}
        </li>
      ))}
    </ul>
  );
}
