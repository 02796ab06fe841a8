// SPDX-License-Identifier: Apache-2.0
#include "symbolize/dwarf_info.h"

#include <dwarf.h>
#include <elfutils/libdwelf.h>

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "symbolize/demangle.h"

namespace leakscope::analyzer {
namespace {

// The DIE that declares `die`: through DW_AT_abstract_origin (inlined and out-of-line
// instances) and DW_AT_specification (definitions outside their class or namespace).
Dwarf_Die Declaration(Dwarf_Die die) {
  for (int hops = 0; hops < 8; ++hops) {
    Dwarf_Attribute attr;
    Dwarf_Die next;
    if ((dwarf_attr(&die, DW_AT_abstract_origin, &attr) != nullptr ||
         dwarf_attr(&die, DW_AT_specification, &attr) != nullptr) &&
        dwarf_formref_die(&attr, &next) != nullptr) {
      die = next;
    } else {
      break;
    }
  }
  return die;
}

// The linkage name as the file has it (mangled), or "".
std::string DieLinkageName(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  for (int name : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name}) {
    if (dwarf_attr_integrate(die, name, &attr) != nullptr) {
      const char* text = dwarf_formstring(&attr);
      if (text != nullptr) return text;
    }
  }
  return "";
}

// The function's name: the demangled linkage name when DWARF has one (it carries namespaces and
// parameter types), else DW_AT_name qualified by the enclosing namespaces and classes.
std::string DieName(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  for (int name : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name}) {
    if (dwarf_attr_integrate(die, name, &attr) != nullptr) {
      const char* text = dwarf_formstring(&attr);
      if (text != nullptr) return Demangle(text);
    }
  }
  if (dwarf_attr_integrate(die, DW_AT_name, &attr) == nullptr) return "";
  const char* text = dwarf_formstring(&attr);
  if (text == nullptr) return "";
  std::string name = text;
  Dwarf_Die declaration = Declaration(*die);
  Dwarf_Die* scopes = nullptr;
  int count = dwarf_getscopes_die(&declaration, &scopes);
  for (int i = 1; i < count; ++i) {
    int tag = dwarf_tag(&scopes[i]);
    if (tag != DW_TAG_namespace && tag != DW_TAG_class_type && tag != DW_TAG_structure_type &&
        tag != DW_TAG_union_type) {
      continue;
    }
    const char* scope_name = dwarf_diename(&scopes[i]);
    name = absl::StrCat(scope_name != nullptr ? scope_name : "(anonymous namespace)", "::", name);
  }
  free(scopes);
  return name;
}

// The file named by DW_AT_call_file of an inlined-subroutine DIE.
std::string CallFile(Dwarf_Die* cu, Dwarf_Die* die) {
  Dwarf_Attribute attr;
  Dwarf_Word index = 0;
  if (dwarf_attr(die, DW_AT_call_file, &attr) == nullptr || dwarf_formudata(&attr, &index) != 0) {
    return "";
  }
  Dwarf_Files* files = nullptr;
  size_t count = 0;
  if (dwarf_getsrcfiles(cu, &files, &count) != 0 || index >= count) return "";
  const char* name = dwarf_filesrc(files, index, nullptr, nullptr);
  return name == nullptr ? "" : name;
}

uint32_t CallLine(Dwarf_Die* die) {
  Dwarf_Attribute attr;
  Dwarf_Word line = 0;
  if (dwarf_attr(die, DW_AT_call_line, &attr) == nullptr || dwarf_formudata(&attr, &line) != 0) {
    return 0;
  }
  return static_cast<uint32_t>(line);
}

}  // namespace

std::unique_ptr<DwarfInfo> DwarfInfo::Open(const ElfFile& file,
                                           const std::vector<std::string>& debug_roots) {
  if (!file.HasDwarf()) return nullptr;
  Dwarf* dwarf = dwarf_begin_elf(file.elf(), DWARF_C_READ, nullptr);
  if (dwarf == nullptr) return nullptr;
  std::unique_ptr<DwarfInfo> info(new DwarfInfo(dwarf));

  // dwz moves shared DIEs to a supplementary file; without it, names of shared DIEs are lost.
  const char* alt_name = nullptr;
  const void* alt_id = nullptr;
  ssize_t alt_id_size = dwelf_dwarf_gnu_debugaltlink(dwarf, &alt_name, &alt_id);
  if (alt_id_size > 0) {
    std::string wanted(static_cast<const char*>(alt_id), static_cast<size_t>(alt_id_size));
    std::vector<std::string> candidates;
    if (alt_name[0] == '/') {
      candidates.push_back(alt_name);
    } else {
      std::string dir = file.path().substr(0, file.path().rfind('/') + 1);
      candidates.push_back(absl::StrCat(dir, alt_name));
    }
    std::string hex = HexString(wanted);
    for (const std::string& root : debug_roots) {
      candidates.push_back(
          absl::StrCat(root, "/.build-id/", hex.substr(0, 2), "/", hex.substr(2), ".debug"));
    }
    for (const std::string& candidate : candidates) {
      auto alt = ElfFile::Open(candidate);
      if (alt == nullptr || alt->BuildId() != wanted) continue;
      Dwarf* alt_dwarf = dwarf_begin_elf(alt->elf(), DWARF_C_READ, nullptr);
      if (alt_dwarf == nullptr) continue;
      dwarf_setalt(dwarf, alt_dwarf);
      info->alt_file_ = std::move(alt);
      info->alt_dwarf_ = alt_dwarf;
      break;
    }
  }
  info->IndexUnits();
  if (info->units_.empty()) return nullptr;
  return info;
}

DwarfInfo::~DwarfInfo() {
  dwarf_end(dwarf_);
  if (alt_dwarf_ != nullptr) dwarf_end(alt_dwarf_);
}

void DwarfInfo::IndexUnits() {
  Dwarf_Off offset = 0;
  Dwarf_Off next = 0;
  size_t header_size = 0;
  Dwarf_Half version = 0;
  Dwarf_Die cu_die;
  while (dwarf_next_unit(dwarf_, offset, &next, &header_size, &version, nullptr, nullptr, nullptr,
                         nullptr, nullptr) == 0) {
    Dwarf_Off die_offset = offset + header_size;
    offset = next;
    if (dwarf_offdie(dwarf_, die_offset, &cu_die) == nullptr) continue;
    ptrdiff_t state = 0;
    Dwarf_Addr base = 0, low = 0, high = 0;
    while ((state = dwarf_ranges(&cu_die, state, &base, &low, &high)) > 0) {
      // Code discarded by the linker (unused COMDAT copies) keeps ranges at address 0.
      if (high > low && low != 0) units_.push_back(UnitRange{low, high, die_offset});
    }
  }
  std::sort(units_.begin(), units_.end(),
            [](const UnitRange& a, const UnitRange& b) { return a.low < b.low; });
}

namespace {

bool IsTypeScope(int tag) {
  return tag == DW_TAG_namespace || tag == DW_TAG_class_type || tag == DW_TAG_structure_type ||
         tag == DW_TAG_union_type;
}

// Appends the function definitions below `parent` (looking into namespaces and classes, where
// clang puts them) with their address ranges.
void CollectFunctions(Dwarf_Die* parent, std::vector<DwarfInfo::FunctionRange>* out, int depth) {
  Dwarf_Die child;
  if (depth > 32 || dwarf_child(parent, &child) != 0) return;
  do {
    int tag = dwarf_tag(&child);
    if (IsTypeScope(tag)) {
      CollectFunctions(&child, out, depth + 1);
    } else if (tag == DW_TAG_subprogram) {
      ptrdiff_t state = 0;
      Dwarf_Addr base = 0, low = 0, high = 0;
      while ((state = dwarf_ranges(&child, state, &base, &low, &high)) > 0) {
        if (high > low && low != 0) {
          out->push_back(DwarfInfo::FunctionRange{low, high, dwarf_dieoffset(&child)});
        }
      }
    }
  } while (dwarf_siblingof(&child, &child) == 0);
}

}  // namespace

const DwarfInfo::FunctionRange* DwarfInfo::FindFunction(Dwarf_Off unit, Dwarf_Die* cu,
                                                        uint64_t address) {
  auto [it, inserted] = functions_.try_emplace(unit);
  std::vector<FunctionRange>& functions = it->second;
  if (inserted) {
    CollectFunctions(cu, &functions, 0);
    std::sort(functions.begin(), functions.end(),
              [](const FunctionRange& a, const FunctionRange& b) { return a.low < b.low; });
  }
  auto f = std::upper_bound(functions.begin(), functions.end(), address,
                            [](uint64_t a, const FunctionRange& r) { return a < r.low; });
  for (int steps = 0; f != functions.begin() && steps < 4; ++steps) {
    --f;
    if (address >= f->low && address < f->high) return &*f;
  }
  return nullptr;
}

void DwarfInfo::FindNested(Dwarf_Die* parent, uint64_t address, std::vector<Dwarf_Die>* chain) {
  for (int depth = 0; depth < 64; ++depth) {
    Dwarf_Die child;
    if (dwarf_child(parent, &child) != 0) return;
    bool found = false;
    do {
      int tag = dwarf_tag(&child);
      if ((tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block) &&
          dwarf_haspc(&child, address) > 0) {
        chain->push_back(child);
        found = true;
        break;
      }
    } while (dwarf_siblingof(&child, &child) == 0);
    if (!found) return;
    parent = &chain->back();
  }
}

bool DwarfInfo::Lookup(uint64_t address, std::vector<SourceFrame>* out) {
  auto it = std::upper_bound(units_.begin(), units_.end(), address,
                             [](uint64_t a, const UnitRange& u) { return a < u.low; });
  // Unit ranges may interleave; check a few preceding ranges.
  const UnitRange* unit = nullptr;
  for (int steps = 0; it != units_.begin() && steps < 8; ++steps) {
    --it;
    if (address >= it->low && address < it->high) {
      unit = &*it;
      break;
    }
  }
  if (unit == nullptr) return false;
  Dwarf_Die cu;
  if (dwarf_offdie(dwarf_, unit->die_offset, &cu) == nullptr) return false;

  std::string file;
  uint32_t line = 0;
  if (Dwarf_Line* row = dwarf_getsrc_die(&cu, address); row != nullptr) {
    const char* name = dwarf_linesrc(row, nullptr, nullptr);
    if (name != nullptr) file = name;
    int number = 0;
    if (dwarf_lineno(row, &number) == 0 && number > 0) line = static_cast<uint32_t>(number);
  }

  // The chain of DIEs containing the address, outermost first: the function, then lexical
  // blocks and inlined instances. (libdw's dwarf_getscopes is not used: it follows inlined
  // instances to their abstract definitions, and fails on some clang DWARF 5 units.)
  std::vector<Dwarf_Die> chain;
  if (const FunctionRange* function = FindFunction(unit->die_offset, &cu, address)) {
    Dwarf_Die die;
    if (dwarf_offdie(dwarf_, function->die_offset, &die) != nullptr) {
      chain.push_back(die);
      FindNested(&die, address, &chain);
    }
  }
  size_t first = out->size();
  for (size_t i = chain.size(); i-- > 0;) {
    Dwarf_Die* scope = &chain[i];
    int tag = dwarf_tag(scope);
    if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram) continue;
    bool inlined = tag == DW_TAG_inlined_subroutine;
    out->push_back(SourceFrame{DieName(scope), file, line, inlined, DieLinkageName(scope)});
    if (!inlined) break;
    // The caller's position is where this instance was inlined.
    file = CallFile(&cu, scope);
    line = CallLine(scope);
  }
  if (out->size() == first) {
    // Line information without a subprogram DIE (e.g. assembly): keep the line.
    if (file.empty()) return false;
    out->push_back(SourceFrame{"", file, line, false});
  }
  return true;
}

}  // namespace leakscope::analyzer
