"""The code sandbox: a stdlib-only runner (`runner.py`) and the hosts that run it (`backends/`)."""
