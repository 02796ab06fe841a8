// SPDX-License-Identifier: Apache-2.0
// A symbolized frame and the tables that intern frames and stacks, so that stacks from many
// dumps (and many processes) compare by small integer ids.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"

namespace leakscope::analyzer {

// "native" frames come from machine code (ELF modules, JIT code); "java" frames come from the
// recorder's JVMTI agent: a method (named by the dump's kJavaMethod records) and a source line.
enum class FrameKind : uint8_t { kNative = 0, kJava = 1 };

const char* FrameKindName(FrameKind kind);

struct Frame {
  FrameKind kind = FrameKind::kNative;
  // Demangled function name; empty when the address is in no known symbol. Java frames:
  // "java.util.zip.Inflater.<init>", empty when the dump does not name the method.
  std::string function;
  // The function's name as the module's file has it (C++: mangled), for tools that look it up
  // there (pprof's system_name); empty when unknown or for Java and pseudo frames.
  std::string system_name;
  // Module path as recorded in the dump; "[jit]" for code in no module; empty for pseudo frames
  // and Java frames.
  std::string module;
  std::string file;  // source file, empty when unknown
  uint32_t line = 0;
  // Module-relative address (ELF virtual address) of the return address when the function is
  // unknown, which is what identifies such a frame; 0 for named frames, so that two return
  // addresses on the same source line are the same frame. 0 for [jit] frames too: a JIT
  // address means nothing outside its process. Java frames: the method id when the method is
  // not named, else 0 (the bci is not kept: lines identify Java frames, as they do native ones).
  uint64_t address = 0;
  bool inlined = false;        // inlined into the next (outer) frame
  bool allocator = false;      // malloc family, zlib or the recorder: not the allocating caller
  bool native_method = false;  // a Java frame of a method declared `native` (no bci, no line)

  // The function name, else "<module basename>+0x<address>", else "[jit]"; Java frames whose
  // method is not named: "[java method 0x<id>]".
  std::string DisplayName() const;
  // "file:line", "file" or "" when unknown.
  std::string Location() const;
  // A Java frame as Java prints it: "java.util.zip.Inflater.<init>(Inflater.java:79)", with
  // "(Native Method)", "(Inflater.java)" (no line) or "(Unknown Source)"; unnamed methods
  // "[java method 0x<id>]".
  std::string JavaText() const;

  friend bool operator==(const Frame& a, const Frame& b) {
    return a.kind == b.kind && a.function == b.function && a.system_name == b.system_name &&
           a.module == b.module && a.file == b.file && a.line == b.line && a.address == b.address &&
           a.inlined == b.inlined && a.allocator == b.allocator &&
           a.native_method == b.native_method;
  }
  template <typename H>
  friend H AbslHashValue(H h, const Frame& f) {
    return H::combine(std::move(h), f.kind, f.function, f.system_name, f.module, f.file, f.line,
                      f.address, f.inlined, f.allocator, f.native_method);
  }
};

std::string_view Basename(std::string_view path);

// Interns frames: equal frames get equal ids.
class FrameTable {
 public:
  uint32_t Intern(const Frame& frame);
  const Frame& Get(uint32_t id) const { return frames_[id]; }
  size_t size() const { return frames_.size(); }

 private:
  std::vector<Frame> frames_;
  absl::flat_hash_map<Frame, uint32_t> ids_;
};

// Interns stacks (sequences of frame ids, innermost first): equal stacks get equal ids.
// Memory is proportional to the distinct stacks.
class StackTable {
 public:
  uint32_t Intern(std::span<const uint32_t> frames);
  std::span<const uint32_t> Get(uint32_t id) const {
    return std::span<const uint32_t>(pool_).subspan(offsets_[id], offsets_[id + 1] - offsets_[id]);
  }
  size_t size() const { return offsets_.size() - 1; }

 private:
  std::vector<uint32_t> pool_;
  std::vector<uint32_t> offsets_{0};
  // Keyed by the frame sequence itself; a vector copy per distinct stack is fine at our scale.
  absl::flat_hash_map<std::vector<uint32_t>, uint32_t> ids_;
};

// Index of the allocating caller: the first frame (innermost first) that is not an allocator
// frame; -1 when every frame is one (or the stack is empty).
int CallerIndex(const FrameTable& frames, std::span<const uint32_t> stack);

}  // namespace leakscope::analyzer
