// SPDX-License-Identifier: Apache-2.0
// A calling-context tree for flame graphs: stacks merged from the outermost frame down, each node
// holding the bytes of every stack that passes through it. The HTML report embeds this tree
// rather than the stacks, so the page's size and drawing time grow with the distinct call paths
// that matter, not with the number of stacks (50 k stacks share most of their outer frames).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "output/json_writer.h"

namespace leakscope::analyzer {

class FlameTree {
 public:
  FlameTree();

  // Adds `value` along `stack` (frame ids, innermost first, as StackTable stores them). Zero
  // values are ignored.
  void Add(std::span<const uint32_t> stack, uint64_t value);

  uint64_t total() const { return nodes_[0].value; }
  // Nodes below the root.
  size_t size() const { return nodes_.size() - 1; }

  // The smallest value a node needs to be written so that at most `max_nodes` nodes are: a
  // child never holds more than its parent, so the nodes kept are always whole paths from the
  // root. 0 when the tree already fits (or `max_nodes` is 0, meaning no limit).
  uint64_t ThresholdFor(size_t max_nodes) const;

  // Writes the root's children as an inline array of nodes `[frame, value]` or
  // `[frame, value, [children...]]`, children by value descending (then frame index), leaving
  // out nodes below `min_value`; their bytes stay in their parent's value and show as its own.
  // `frame_index` maps a frame id to the index written (the page's frame table).
  void WriteJson(uint64_t min_value, const std::function<uint32_t(uint32_t)>& frame_index,
                 JsonWriter* json) const;

 private:
  struct Node {
    uint32_t frame = 0;
    uint64_t value = 0;
    std::vector<uint32_t> children;
  };
  void WriteChildren(uint32_t node, uint64_t min_value,
                     const std::function<uint32_t(uint32_t)>& frame_index, JsonWriter* json) const;

  std::vector<Node> nodes_;  // [0] is the root (no frame)
  // (parent node << 32 | frame id) -> child node.
  absl::flat_hash_map<uint64_t, uint32_t> child_of_;
};

}  // namespace leakscope::analyzer
