"""The storage settings of the survey tables (migration 0023)."""

from __future__ import annotations


async def test_tables_updated_in_place_leave_room_for_hot_updates(owner_conn):
    rows = await owner_conn.fetch(
        "SELECT relname, reloptions FROM pg_class"
        " WHERE relkind = 'r' AND relname IN ('survey_results', 'survey_pending_services')"
    )
    assert {r["relname"]: r["reloptions"] for r in rows} == {
        "survey_results": ["fillfactor=50"],
        "survey_pending_services": ["fillfactor=70"],
    }
