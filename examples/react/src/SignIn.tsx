// Email + password sign-in (or sign-up) with Better Auth.
import { useState, type FormEvent } from "react";

import { authClient } from "./auth-client";

export function SignIn() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>, mode: "in" | "up") {
    event.preventDefault();
    const { error } =
      mode === "up"
        ? await authClient.signUp.email({ email, password, name: email.split("@")[0] })
        : await authClient.signIn.email({ email, password });
    setError(error ? (error.message ?? error.statusText) : null);
  }

  return (
    <form className="sign-in" onSubmit={(event) => submit(event, "in")}>
      <h1>Todo assistant</h1>
      <input type="email" placeholder="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
      <input
        type="password"
        placeholder="password (8+ characters)"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        minLength={8}
        required
      />
      <div className="row">
        <button type="submit">Sign in</button>
        <button type="button" onClick={(event) => submit(event as unknown as FormEvent<HTMLFormElement>, "up")}>
          Create account
        </button>
      </div>
      {error ? <p className="error">{error}</p> : null}
    </form>
  );
}
