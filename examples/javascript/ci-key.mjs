#!/usr/bin/env node
// A CI/CD step: record a deployment as an incident, with an API key.
//
//   OVERWATCH_URL=https://<your-instance>/api/v1 OVERWATCH_API_KEY=overwatch_ak_... \
//   node examples/javascript/ci-key.mjs "Deploy of build 1234"
//
// The key comes from the environment (a CI secret), never from the source.
// It needs incidents:create and incidents:read. Prints the new incident's id.
import { KeyClient } from "./overwatch-client.mjs";

try {
  const client = new KeyClient(process.env.OVERWATCH_URL, process.env.OVERWATCH_API_KEY);
  const created = await client.call("POST", "/incidents", {
    title: process.argv[2] ?? "Deployment",
    severity: "low",
    description: "Recorded by the CI pipeline",
  });
  const listed = await client.call("GET", "/incidents?limit=100");
  if (!listed.some((i) => i.id === created.id)) throw new Error("the new incident is not listed");
  console.log(created.id);
} catch (e) {
  console.error(`error: ${e.message}`);
  process.exitCode = 1;
}
