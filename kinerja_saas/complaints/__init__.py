"""Public complaints (pengaduan) per survey service."""
