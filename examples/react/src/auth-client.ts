// The Better Auth client (same origin: the dev server mounts Better Auth at /api/auth), with the
// JWT plugin's client for `authClient.token()`.
import { jwtClient } from "better-auth/client/plugins";
import { createAuthClient } from "better-auth/react";

export const authClient = createAuthClient({ plugins: [jwtClient()] });

let cached: { token: string; expiresAt: number } | null = null;

/** A JWT for the bridge, reused until a minute before it expires. */
export async function bridgeToken(): Promise<string | null> {
  if (cached && cached.expiresAt - 60_000 > Date.now()) return cached.token;
  const { data } = await authClient.token();
  if (!data?.token) return null;
  cached = { token: data.token, expiresAt: expiry(data.token) };
  return data.token;
}

export function forgetToken(): void {
  cached = null;
}

function expiry(token: string): number {
  try {
    const payload = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    return typeof payload.exp === "number" ? payload.exp * 1000 : 0;
  } catch {
    return 0;
  }
}

/** `fetch` with the signed-in user's bearer token: for the widget and for /api/tasks. */
export async function authorizedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const headers = new Headers(init?.headers);
  const token = await bridgeToken();
  if (token) headers.set("Authorization", `Bearer ${token}`);
  return fetch(input, { ...init, headers });
}
