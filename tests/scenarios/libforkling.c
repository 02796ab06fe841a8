/* A tiny library that fork_storm loads many times over, from many copies of this one file: each
 * copy is a module of its own in the loader's list, so dl_iterate_phdr has many to walk. */
#include "scenario.h"

static void* kept;

/* Runs once per copy: one allocation each, kept. */
__attribute__((constructor)) static void forkling_init(void) { kept = Sink(malloc(48)); }

__attribute__((visibility("default"))) int forkling_id(void) { return kept != NULL; }
/* SPDX-License-Identifier: Apache-2.0 */
