"""The API of the documents domain (kinerja_saas/documents)."""
