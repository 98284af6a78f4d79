// Better Auth for the dev server: email + password sign-in and the JWT plugin, whose
// /api/auth/jwks the bridge reads (AUTH_JWKS_URL). Users live in memory, so they are gone
// when `npm run dev` restarts: use a real database in your app
// (https://www.better-auth.com/docs/concepts/database).
import { betterAuth } from "better-auth";
import { memoryAdapter } from "better-auth/adapters/memory";
import { jwt } from "better-auth/plugins";

export function makeAuth(baseURL: string) {
  return betterAuth({
    baseURL,
    secret: process.env.BETTER_AUTH_SECRET ?? "dev only: set BETTER_AUTH_SECRET in production!!",
    database: memoryAdapter({ user: [], session: [], account: [], verification: [], jwks: [] }),
    emailAndPassword: { enabled: true },
    telemetry: { enabled: false },
    plugins: [jwt()],
  });
}
