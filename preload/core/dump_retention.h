// SPDX-License-Identifier: Apache-2.0
// Which of this process' dumps stay on disk under LEAKSCOPE_MAX_DUMPS.
//
// A long-running executor dumping every minute would otherwise fill its volume. `trend` needs the
// whole span of the run (the first dump is the baseline, the newest the state now, and dumps
// spread evenly in between show the shape of the growth), so the cap thins the middle of the
// series rather than dropping either end:
// - the first dump of the process image and the newest one always stay;
// - when a new dump would exceed the cap, one older dump is removed first: the one whose offset
//   from the first (in seqs) has the fewest trailing zero bits (odd offsets first, then those
//   that are 2 mod 4, ...), the earliest of those. What stays is every 2^k-th dump of the run
//   plus the newest: evenly spaced, within a factor of two while the spacing doubles.
// - the exit dump is written like any other, after making room: it always gets its place.
//
// The count is per process image: dumps a previous image left under the same pid (exec keeps it)
// belong to another recorder instance and are not counted or removed.
//
// Not thread-safe: the dumper uses it under its mutex. Allocates (a vector of up to max seqs),
// so only from the dumper thread.
#pragma once

#include <cstdint>
#include <vector>

namespace leakscope::recorder {

class DumpRetention {
 public:
  // max >= 2 (options.cc enforces it): the first and the newest.
  explicit DumpRetention(uint64_t max) : max_(max < 2 ? 2 : max) {}

  // Whether a new dump needs room first: as many are kept as the cap allows.
  bool Full() const { return kept_.size() >= max_; }

  // The kept dump that matters least (see above): the one to remove when Full(), or when the
  // disk is full. False when only the first is kept (or none).
  bool LeastNeeded(uint64_t* seq) const;

  // Bookkeeping: a dump was published, or one was removed (or found gone).
  void Published(uint64_t seq);
  void Removed(uint64_t seq);

  const std::vector<uint64_t>& kept() const { return kept_; }

 private:
  uint64_t max_;
  std::vector<uint64_t> kept_;  // ascending
};

}  // namespace leakscope::recorder
