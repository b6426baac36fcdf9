#!/usr/bin/env node
// Sign in, list incidents a few times (refreshing ahead of expiry), sign out.
//
//   OVERWATCH_URL=http://127.0.0.1:8080/api/v1 OVERWATCH_EMAIL=... \
//   OVERWATCH_PASSWORD=... node examples/javascript/session-demo.mjs
//
// Optional: OVERWATCH_REFRESH_MARGIN (seconds, default 300), OVERWATCH_CALLS
// (default 3), OVERWATCH_INTERVAL (seconds between calls, default 1),
// OVERWATCH_TOKEN_FILE (where the tokens are kept, mode 0600).
// Prints one JSON line per event (login, refresh, call, relogin, logout).
import { ApiError, Client } from "./overwatch-client.mjs";

const env = process.env;
const print = (o) => console.log(JSON.stringify(o));
const sleep = (s) => new Promise((resolve) => setTimeout(resolve, s * 1000));

try {
  const client = new Client(env.OVERWATCH_URL, {
    refreshMargin: Number(env.OVERWATCH_REFRESH_MARGIN ?? 300),
    onEvent: (event, fields) => print({ event, ...fields }),
    tokenFile: env.OVERWATCH_TOKEN_FILE ?? null,
  });
  const user = await client.login(env.OVERWATCH_EMAIL, env.OVERWATCH_PASSWORD);
  print({ event: "user", email: user.email, role: user.role });
  const calls = Number(env.OVERWATCH_CALLS ?? 3);
  for (let i = 0; i < calls; i++) {
    if (i) await sleep(Number(env.OVERWATCH_INTERVAL ?? 1));
    const incidents = await client.call("GET", "/incidents?limit=5");
    print({ event: "incidents", count: incidents.length });
  }
  await client.logout();
} catch (e) {
  console.error(`error: ${e.message}`);
  process.exitCode = 1;
}
