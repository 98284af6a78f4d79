import { useCallback, useState } from "react";

import { Assistant } from "./Assistant";
import { authClient, forgetToken } from "./auth-client";
import { SignIn } from "./SignIn";
import { TaskList } from "./TaskList";

export function App() {
  const { data: session, isPending } = authClient.useSession();
  const [version, setVersion] = useState(0);
  const refreshTasks = useCallback(() => setVersion((n) => n + 1), []);

  if (isPending) return <p className="muted">…</p>;
  if (!session) return <SignIn />;
  return (
    <div className="app">
      <header>
        <strong>Todo assistant</strong>
        <span className="muted">{session.user.email}</span>
        <button
          type="button"
          onClick={async () => {
            forgetToken();
            await authClient.signOut();
          }}
        >
          Sign out
        </button>
      </header>
      <main>
        <Assistant onTasksChanged={refreshTasks} />
        <aside>
          <h2>Tasks</h2>
          <TaskList version={version} />
        </aside>
      </main>
    </div>
  );
}
