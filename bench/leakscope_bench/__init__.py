"""leakscope's overhead benchmarks; scripts/bench is the entry point (see its --help)."""
