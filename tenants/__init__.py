"""Tenancy: the region registry, tenant context, row-level security and onboarding."""
