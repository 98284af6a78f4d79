// The ChatKit widget, talking to the bridge through the dev server's /chatkit proxy.
import { ChatKit, useChatKit } from "@openai/chatkit-react";

import { authorizedFetch } from "./auth-client";

// Any placeholder works on localhost; in production, register your domain with OpenAI.
const DOMAIN_KEY = import.meta.env.VITE_CHATKIT_DOMAIN_KEY ?? "domain_pk_localhost_dev";

export function Assistant({ onTasksChanged }: { onTasksChanged: () => void }) {
  const { control } = useChatKit({
    api: {
      url: `${window.location.origin}/chatkit`,
      domainKey: DOMAIN_KEY,
      fetch: authorizedFetch,
    },
    startScreen: {
      greeting: "What needs doing?",
      prompts: [
        { label: "Add a task", prompt: "add buy milk" },
        { label: "My list", prompt: "what's on my list" },
      ],
    },
    // The bridge's todo agent sends `tasks.changed` whenever it adds, edits or completes a task.
    onEffect: ({ name }) => {
      if (name === "tasks.changed") onTasksChanged();
    },
    onError: ({ error }) => console.error("ChatKit error", error),
  });
  return <ChatKit control={control} className="chat" />;
}
