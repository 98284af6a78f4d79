// `npm run dev`: the app on http://127.0.0.1:5173 (or PORT), Better Auth at /api/auth (in this process),
// and /chatkit + /api/tasks proxied to the bridge (BRIDGE_URL, default http://127.0.0.1:8000),
// so the browser talks to one origin and the bridge needs no CORS settings.
import react from "@vitejs/plugin-react";
import { toNodeHandler } from "better-auth/node";
import { defineConfig, type Plugin } from "vite";

import { makeAuth } from "./server/auth";

const HOST = "127.0.0.1";
const PORT = Number(process.env.PORT ?? 5173);
const BRIDGE_URL = process.env.BRIDGE_URL ?? "http://127.0.0.1:8000";

function betterAuthDevServer(): Plugin {
  return {
    name: "better-auth-dev-server",
    configureServer(server) {
      const handler = toNodeHandler(makeAuth(`http://${HOST}:${PORT}`));
      server.middlewares.use((req, res, next) => {
        if (req.url?.startsWith("/api/auth/")) void handler(req, res);
        else next();
      });
      server.httpServer?.once("listening", () => {
        console.log(
          `\n  Start the bridge with:\n    AUTH_JWKS_URL=http://${HOST}:${PORT}/api/auth/jwks CORS_ORIGINS=http://${HOST}:${PORT} make run\n` +
            `  (it is proxied from ${BRIDGE_URL}; set BRIDGE_URL to change that)\n`,
        );
      });
    },
  };
}

export default defineConfig({
  plugins: [react(), betterAuthDevServer()],
  server: {
    host: HOST,
    port: PORT,
    strictPort: true,
    proxy: {
      "/chatkit": { target: BRIDGE_URL, changeOrigin: true },
      "/api/tasks": { target: BRIDGE_URL, changeOrigin: true },
    },
  },
});
