"""The `ifeval` domain: IFEval and the extended instruction-following constraints."""
