// PostGraphile 4.x, the peer of bench/peer.py: the same database, as the non-owner app
// role (so FORCE ROW LEVEL SECURITY applies), with the region preset on every transaction
// (`app.tenant_id`, the GUC of the platform's tenant_isolation policies). Read-only: no
// mutations, no GraphiQL, no watch. Run by bench/peer.py; node_modules in bench/.peer/.
//
//   PEER_DATABASE_URL=postgres://kinerja_app:…@127.0.0.1/kinerja_bench_peer \
//   PEER_TENANT_ID=1 PEER_PORT=5055 node bench/peer/server.js
"use strict";
const cluster = require("cluster");
const http = require("http");
const { postgraphile } = require("postgraphile");

const tenantId = String(process.env.PEER_TENANT_ID || "");
if (!/^[0-9]+$/.test(tenantId)) {
  console.error("PEER_TENANT_ID must be a region id");
  process.exit(2);
}
const makeMiddleware = () => postgraphile(process.env.PEER_DATABASE_URL, "public", {
  disableDefaultMutations: true,
  graphiql: false,
  watchPg: false,
  dynamicJson: true,
  setofFunctionsContainNulls: false,
  ignoreRBAC: false,
  disableQueryLog: true,
  retryOnInitFail: false,
  // The region preset: PostGraphile runs each request in a transaction with
  // set_config('app.tenant_id', …, true), as the platform's tenant_transaction does.
  pgSettings: { "app.tenant_id": tenantId },
});
const port = Number(process.env.PEER_PORT || 5055);
// PEER_WORKERS processes share the port (node's cluster module), as `kinerja serve` runs one
// process per core: the same number of processes on both sides.
const workers = Math.max(1, Number(process.env.PEER_WORKERS || 1));
if (cluster.isPrimary && workers > 1) {
  for (let i = 0; i < workers; i++) cluster.fork();
  process.on("SIGTERM", () => {
    for (const w of Object.values(cluster.workers)) w.kill("SIGTERM");
    process.exit(0);
  });
} else {
  http.createServer(makeMiddleware()).listen(port, "127.0.0.1", () => {
    console.log(`peer listening on 127.0.0.1:${port} (pid ${process.pid})`);
  });
}
