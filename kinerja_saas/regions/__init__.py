"""Regions: onboarding, platform operators, region settings and their defaults."""
