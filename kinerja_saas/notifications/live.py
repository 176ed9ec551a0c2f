"""The live feed of new in-app notifications: after each committed chunk the fan-out
publishes `{"event_id": …, "notifications": [[id, user_id], …]}` on the region's Redis
channel, and every API process forwards each id to its own subscriber of that user."""

from __future__ import annotations


def live_channel(tenant_id: int) -> str:
    return f"kinerja:notifications:{tenant_id}"
