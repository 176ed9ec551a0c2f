"""Signed performance documents: the SKP, the evaluation, the predikat recap (issue 20)."""
