"""Public satisfaction surveys (SKM) and the satisfaction index (IKM), PermenPANRB 14/2017."""
