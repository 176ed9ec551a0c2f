"""Organisation: units (perangkat daerah, a tree) and employees (ASN)."""
