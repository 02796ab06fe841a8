# SPDX-License-Identifier: Apache-2.0
"""One module per section of bench/RESULTS.md; each has run(ctx), returning the section's lines."""
