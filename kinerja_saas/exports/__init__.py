"""Exports for the national systems (BKN e-Kinerja / SIASN predikat, competency JP)."""
