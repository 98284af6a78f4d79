// A real Better Auth server for tests/betterauth: email + password sign-in and the JWT plugin
// (its default EdDSA keys), in memory, on a loopback port it picks and prints.
//   node server.mjs            -> prints `listening <port>` once it accepts requests
//   ROTATION_SECONDS=2 node …  -> the JWT plugin mints a new signing key every 2 seconds
import http from "node:http";

import { betterAuth } from "better-auth";
import { memoryAdapter } from "better-auth/adapters/memory";
import { toNodeHandler } from "better-auth/node";
import { jwt } from "better-auth/plugins";

const rotation = Number(process.env.ROTATION_SECONDS || 0);
let handler = null;
const server = http.createServer((req, res) => handler(req, res));

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  const auth = betterAuth({
    baseURL: `http://127.0.0.1:${port}`,
    secret: process.env.BETTER_AUTH_SECRET || "a test secret of at least thirty-two characters",
    database: memoryAdapter({ user: [], session: [], account: [], verification: [], jwks: [] }),
    emailAndPassword: { enabled: true },
    telemetry: { enabled: false },
    plugins: [
      jwt({
        jwks: rotation ? { rotationInterval: rotation, gracePeriod: 3600 } : {},
        jwt: { expirationTime: "15m" },
      }),
    ],
  });
  handler = toNodeHandler(auth);
  console.log(`listening ${port}`);
});
