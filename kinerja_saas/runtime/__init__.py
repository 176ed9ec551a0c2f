"""The entry room: the composition root and everything that serves a process (the
Starlette app, the CLI, doctor, the demo seed, embedded servers, metrics collectors, the HTML
survey pages). The only package that may import `schema`, `workers` and the domains together."""
