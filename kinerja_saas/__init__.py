"""Kinerja SaaS core: settings, database, app factory, CLI and one package per domain."""
