// SPDX-License-Identifier: Apache-2.0
#include "html/flame_tree.h"

#include <algorithm>

namespace leakscope::analyzer {

FlameTree::FlameTree() : nodes_(1) {}

void FlameTree::Add(std::span<const uint32_t> stack, uint64_t value) {
  if (value == 0) return;
  uint32_t node = 0;
  nodes_[0].value += value;
  for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
    uint64_t key = (uint64_t{node} << 32) | *it;
    auto [found, inserted] = child_of_.try_emplace(key, static_cast<uint32_t>(nodes_.size()));
    if (inserted) {
      nodes_[node].children.push_back(found->second);
      nodes_.emplace_back().frame = *it;
    }
    node = found->second;
    nodes_[node].value += value;
  }
}

uint64_t FlameTree::ThresholdFor(size_t max_nodes) const {
  if (max_nodes == 0 || size() <= max_nodes) return 0;
  std::vector<uint64_t> values;
  values.reserve(size());
  for (size_t i = 1; i < nodes_.size(); ++i) values.push_back(nodes_[i].value);
  // The (max_nodes+1)-th largest value must be left out, and with it every node that ties it.
  std::nth_element(values.begin(), values.begin() + max_nodes, values.end(),
                   std::greater<uint64_t>());
  return values[max_nodes] + 1;
}

void FlameTree::WriteChildren(uint32_t node, uint64_t min_value,
                              const std::function<uint32_t(uint32_t)>& frame_index,
                              JsonWriter* json) const {
  std::vector<std::pair<uint32_t, uint32_t>> order;  // (frame index, node) of the kept children
  for (uint32_t child : nodes_[node].children) {
    if (nodes_[child].value >= min_value) {
      order.emplace_back(frame_index(nodes_[child].frame), child);
    }
  }
  std::sort(order.begin(), order.end(), [this](const auto& a, const auto& b) {
    if (nodes_[a.second].value != nodes_[b.second].value) {
      return nodes_[a.second].value > nodes_[b.second].value;
    }
    return a.first < b.first;
  });
  json->BeginArray(/*inline_=*/true);
  for (const auto& [index, child] : order) {
    json->BeginArray(/*inline_=*/true);
    json->UInt(index);
    json->UInt(nodes_[child].value);
    bool has_children =
        std::any_of(nodes_[child].children.begin(), nodes_[child].children.end(),
                    [&](uint32_t grandchild) { return nodes_[grandchild].value >= min_value; });
    if (has_children) WriteChildren(child, min_value, frame_index, json);
    json->EndArray();
  }
  json->EndArray();
}

void FlameTree::WriteJson(uint64_t min_value, const std::function<uint32_t(uint32_t)>& frame_index,
                          JsonWriter* json) const {
  // Every node written has at least 1 byte: zero-valued nodes cannot exist (Add skips 0).
  WriteChildren(0, std::max<uint64_t>(min_value, 1), frame_index, json);
}

}  // namespace leakscope::analyzer
