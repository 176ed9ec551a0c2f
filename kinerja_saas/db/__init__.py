"""The shared data-access kit: the one way services and queries reach the database.

- `db()` — the connection of the current transaction (Tortoise's "default");
- `copy_records` — COPY into a temporary table (staging bulk input; RLS tables refuse COPY);
- `Sql` — the one builder of positional-parameter (`$n`) statements for asyncpg;
- `fragments` — named pieces of SQL said once: a unit and its sub-units, the supervision
  chain below or above an employee, what employees an actor may see;
- `scoped(Model)` — the ORM query set of the current region's rows;
- `Row` — the type of a row a raw query returns (each domain declares its own TypedDicts).

Raw SQL lives in `<domain>/queries.py`; a service calls those functions (the guard is
tests/test_data_access.py).
"""

from kinerja_saas.db.builder import Sql
from kinerja_saas.db.connection import Row, copy_records, db
from kinerja_saas.db.scoped import scoped

__all__ = ["Row", "Sql", "copy_records", "db", "scoped"]
