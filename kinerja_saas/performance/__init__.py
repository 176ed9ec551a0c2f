"""Performance management: SKP plans, indicators, realisations, evaluations (PermenPANRB 6/2022)."""
