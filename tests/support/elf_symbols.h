// SPDX-License-Identifier: Apache-2.0
// Function symbols and the GNU build-id of an ELF file, read with libelf. Enough to name the
// function around an address in a test program or library; not a symbolizer for the analyzer
// (no DWARF, no inlining, no separate debug files).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace leakscope::testing {

class ElfSymbols {
 public:
  // Reads .symtab and .dynsym of the file. A file that cannot be read yields no symbols.
  explicit ElfSymbols(const std::string& path);

  bool ok() const { return ok_; }
  // The function whose [st_value, st_value + st_size) holds the ELF virtual address, "" if none.
  std::string FunctionAt(uint64_t vaddr) const;
  // Raw bytes of the NT_GNU_BUILD_ID note's descriptor, "" when there is none.
  const std::string& build_id() const { return build_id_; }

 private:
  struct Symbol {
    uint64_t start;
    uint64_t size;
    std::string name;
  };
  bool ok_ = false;
  std::vector<Symbol> symbols_;  // by start
  uint64_t max_size_ = 0;
  std::string build_id_;
};

}  // namespace leakscope::testing
