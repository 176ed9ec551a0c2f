// The npm `graphql-ws` client, as a frontend would use it: subscribes to
// notificationReceived and prints one JSON line per event on stdout
// ({"connected": true}, {"next": …}, {"error": …}, {"closed": code}); exits after
// KINERJA_WS_MESSAGES messages. Run by tests/clients/test_node_graphql_ws.py with
// NODE_PATH pointing at the packages the test set-up installed from the npm registry.
const { createClient } = require("graphql-ws");
const WebSocket = require("ws");

const url = process.env.KINERJA_WS_URL;
const token = process.env.KINERJA_WS_TOKEN;
const wanted = Number(process.env.KINERJA_WS_MESSAGES || "1");
const print = (line) => process.stdout.write(JSON.stringify(line) + "\n");

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: () => (token ? { authorization: `Bearer ${token}` } : {}),
  retryAttempts: 0,
  on: {
    connected: () => print({ connected: true }),
    closed: (event) => print({ closed: event.code, reason: String(event.reason || "") }),
  },
});

let received = 0;
client.subscribe(
  { query: "subscription { notificationReceived { id kind title body isRead } }" },
  {
    next: (value) => {
      print({ next: value });
      received += 1;
      if (received >= wanted) {
        client.dispose();
        process.exit(0);
      }
    },
    error: (error) => {
      const code = error && error.code;
      print({ error: String((error && (error.message || error.reason)) || error), code });
      process.exit(1);
    },
    complete: () => {
      print({ complete: true });
      process.exit(0);
    },
  },
);
