"""GraphiQL at GET /graphql (outside production), from assets shipped in this package.

Strawberry's own page loads React and GraphiQL from a CDN: offline or on a government
intranet it showed "Loading..." forever. Here every script and stylesheet comes from
/graphiql/<file> (schema/graphiql/assets/, refreshed from the npm registry by
`python -m schema.graphiql.refresh`), so the page needs nothing but this server."""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from html import escape
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

ASSETS = Path(__file__).with_name("assets")
ASSET_PATH = "/graphiql"
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}

WELCOME = """# Selamat datang di GraphiQL Kinerja.
#
# Tulis kueri di sini; Ctrl-Spasi melengkapi nama field, Ctrl-Enter menjalankan.
# Masuk dulu dengan mutation login, lalu isi panel Headers di bawah dengan
#   {"Authorization": "Bearer <accessToken>"}
# (langganan/subscription memakai header yang sama).
#
{ __typename }
"""


@lru_cache
def manifest() -> dict[str, dict]:
    return json.loads((ASSETS / "manifest.json").read_text())


@lru_cache
def _asset(name: str) -> tuple[bytes, bytes]:
    """The file and its gzip (compressed once per process, not once per request)."""
    data = (ASSETS / name).read_bytes()
    return data, gzip.compress(data, compresslevel=9, mtime=0)


def _url(name: str) -> str:
    # The content's hash in the URL: the files can be cached for good.
    return f"{ASSET_PATH}/{name}?v={manifest()[name]['sha256'][:12]}"


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in manifest() or Path(name).suffix not in _TYPES:
        return Response("Not found", status_code=404, media_type="text/plain")
    data, compressed = _asset(name)
    headers = {
        "cache-control": "public, max-age=31536000, immutable",
        "x-content-type-options": "nosniff",
        "vary": "Accept-Encoding",
    }
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["content-encoding"] = "gzip"
        data = compressed
    return Response(data, media_type=_TYPES[Path(name).suffix], headers=headers)


def page() -> str:
    scripts = "\n".join(
        f'    <script src="{escape(_url(n))}"></script>'
        for n in ("react.production.min.js", "react-dom.production.min.js")
    )
    styles = "\n".join(
        f'    <link rel="stylesheet" href="{escape(_url(n))}" />'
        for n in ("graphiql.min.css", "plugin-explorer.css")
    )
    return PAGE.format(
        scripts=scripts,
        styles=styles,
        graphiql=escape(_url("graphiql.min.js")),
        explorer=escape(_url("plugin-explorer.umd.js")),
        welcome=json.dumps(WELCOME),
    )


PAGE = """<!doctype html>
<html lang="id">
  <head>
    <meta charset="utf-8" />
    <title>Kinerja — GraphiQL</title>
    <style>
      body {{ height: 100%; margin: 0; width: 100%; overflow: hidden; }}
      #graphiql {{ height: 100vh; display: flex; }}
    </style>
{scripts}
{styles}
  </head>
  <body>
    <div id="graphiql">Memuat GraphiQL…</div>
    <script src="{graphiql}"></script>
    <script src="{explorer}"></script>
    <script>
      const url = window.location.href.split("?")[0].split("#")[0];
      const wsUrl = url.replace(/^http/, "ws");
      // Subscriptions authenticate in connection_init: the Authorization header of the
      // Headers panel (GraphiQL keeps it in localStorage), read when the socket opens.
      function connectionParams() {{
        try {{
          const headers = JSON.parse(localStorage.getItem("graphiql:headers") || "{{}}");
          const auth = headers.Authorization || headers.authorization;
          return auth ? {{ authorization: auth }} : {{}};
        }} catch (e) {{
          return {{}};
        }}
      }}
      const fetcher = GraphiQL.createFetcher({{
        url,
        subscriptionUrl: wsUrl,
        wsConnectionParams: connectionParams,
      }});
      const explorer = GraphiQLPluginExplorer.explorerPlugin();
      ReactDOM.createRoot(document.getElementById("graphiql")).render(
        React.createElement(GraphiQL, {{
          fetcher,
          plugins: [explorer],
          defaultQuery: {welcome},
          isHeadersEditorEnabled: true,
          shouldPersistHeaders: true,
          inputValueDeprecation: true,
        }}),
      );
    </script>
  </body>
</html>
"""
