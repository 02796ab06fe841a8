# SPDX-License-Identifier: Apache-2.0
"""leakscope's overhead benchmarks; scripts/bench is the entry point (see its --help)."""
