"""TPP (tambahan penghasilan pegawai) computed from performance and discipline."""
