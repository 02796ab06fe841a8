// SPDX-License-Identifier: Apache-2.0
// DumpEncoder streams records to a ByteSink and hashes them on the way, so the recorder never holds
// a whole dump in memory. It runs on the recorder's dumper thread: the only allocation is its
// State, once, and nothing throws.
#include <bit>
#include <cstring>
#include <limits>
#include <new>

#include "dump.h"

#define XXH_INLINE_ALL  // Everything static inside this file: the preload must not export xxHash.
#include <xxhash.h>

namespace leakscope {
namespace {

// The layout is written with memcpy of the fixed structs; that is the little-endian format only on
// a little-endian machine, which is all the recorder supports.
static_assert(std::endian::native == std::endian::little);

// The reader rejects stacks deeper than format::kMaxSiteDepth; refusing them here surfaces the
// mistake when the dump is written instead of when it is read.
using format::kMaxSiteDepth;

constexpr size_t kStringPrefixBytes = sizeof(uint32_t);

bool FitsU32(size_t n) { return n <= std::numeric_limits<uint32_t>::max(); }

}  // namespace

struct DumpEncoder::State {
  enum class Phase { kNotBegun, kOpen, kFinished, kFailed };

  ByteSink* sink;
  uint32_t version = format::kVersion;
  Phase phase = Phase::kNotBegun;
  uint64_t records = 0;
  XXH64_state_t hash;

  // Writes bytes that count towards the kEnd checksum.
  bool Put(const void* data, size_t size) {
    if (phase == Phase::kFailed) return false;
    if (size == 0) return true;
    if (!sink->Write(data, size)) {
      phase = Phase::kFailed;
      return false;
    }
    XXH64_update(&hash, data, size);
    return true;
  }

  bool PutString(std::string_view s) {
    uint32_t n = static_cast<uint32_t>(s.size());
    return Put(&n, sizeof(n)) && Put(s.data(), s.size());
  }

  // Starts a record; every record but kEnd goes through here.
  bool Start(format::RecordType type, uint64_t payload_bytes) {
    if (phase != Phase::kOpen) return false;
    format::RecordHeader header{};
    header.type = static_cast<uint32_t>(type);
    header.payload_bytes = payload_bytes;
    if (!Put(&header, sizeof(header))) return false;
    ++records;
    return true;
  }

  template <typename Fixed>
  bool FixedRecord(format::RecordType type, const Fixed& fixed) {
    return Start(type, sizeof(Fixed)) && Put(&fixed, sizeof(Fixed));
  }

  // Marks the encoder failed for input it cannot encode, so later calls and Finish report it too.
  bool Reject() {
    if (phase == Phase::kOpen) phase = Phase::kFailed;
    return false;
  }
};

DumpEncoder::DumpEncoder(ByteSink* sink, uint32_t version) : state_(new (std::nothrow) State) {
  if (state_ == nullptr) return;
  state_->sink = sink;
  state_->version = version;
  if (version < format::kMinVersion || version > format::kVersion) {
    state_->phase = State::Phase::kFailed;
  }
}

DumpEncoder::~DumpEncoder() { delete state_; }

bool DumpEncoder::Begin() {
  if (state_ == nullptr || state_->phase != State::Phase::kNotBegun) return false;
  XXH64_reset(&state_->hash, 0);
  state_->phase = State::Phase::kOpen;
  format::FileHeader header{};
  std::memcpy(header.magic, format::kMagic, sizeof(header.magic));
  header.version = state_->version;
  header.header_bytes = sizeof(format::FileHeader);
  return state_->Put(&header, sizeof(header));
}

bool DumpEncoder::Process(const ProcessInfo& process) {
  if (state_ == nullptr) return false;
  if (!FitsU32(process.host.size()) || !FitsU32(process.executable.size()) ||
      !FitsU32(process.args.size())) {
    return state_->Reject();
  }
  uint64_t payload = sizeof(format::ProcessFixed) + kStringPrefixBytes + process.host.size() +
                     kStringPrefixBytes + process.executable.size() + sizeof(uint32_t) +
                     (process.machine_known ? sizeof(format::ProcessMachine) : 0);
  for (const std::string& arg : process.args) {
    if (!FitsU32(arg.size())) return state_->Reject();
    payload += kStringPrefixBytes + arg.size();
  }
  if (!state_->Start(format::RecordType::kProcess, payload) ||
      !state_->Put(&process.fixed, sizeof(process.fixed)) || !state_->PutString(process.host) ||
      !state_->PutString(process.executable)) {
    return false;
  }
  uint32_t argc = static_cast<uint32_t>(process.args.size());
  if (!state_->Put(&argc, sizeof(argc))) return false;
  for (const std::string& arg : process.args) {
    if (!state_->PutString(arg)) return false;
  }
  if (process.machine_known) {
    format::ProcessMachine machine{process.machine, 0};
    if (!state_->Put(&machine, sizeof(machine))) return false;
  }
  return true;
}

bool DumpEncoder::Settings(const format::SettingsFixed& settings) {
  return state_ != nullptr && state_->FixedRecord(format::RecordType::kSettings, settings);
}

bool DumpEncoder::Module(const format::ModuleFixed& fixed, std::string_view path,
                         std::string_view build_id, const format::ModuleEpochs* epochs) {
  if (state_ == nullptr) return false;
  if (!FitsU32(path.size()) || !FitsU32(build_id.size())) return state_->Reject();
  uint64_t payload = sizeof(fixed) + kStringPrefixBytes + path.size() + kStringPrefixBytes +
                     build_id.size() + (epochs != nullptr ? sizeof(*epochs) : 0);
  return state_->Start(format::RecordType::kModule, payload) &&
         state_->Put(&fixed, sizeof(fixed)) && state_->PutString(path) &&
         state_->PutString(build_id) && (epochs == nullptr || state_->Put(epochs, sizeof(*epochs)));
}

bool DumpEncoder::Site(const format::SiteFixed& fixed, std::span<const uint64_t> pcs,
                       const uint32_t* epoch) {
  return Site(fixed, format::SiteAgesFixed{}, pcs, epoch);
}

bool DumpEncoder::Site(const format::SiteFixed& fixed, const format::SiteAgesFixed& ages,
                       std::span<const uint64_t> pcs, const uint32_t* epoch) {
  if (state_ == nullptr) return false;
  if (pcs.size() > kMaxSiteDepth) return state_->Reject();
  format::SiteFixed header = fixed;
  header.depth = static_cast<uint32_t>(pcs.size());
  bool with_ages = state_->version >= 2;
  format::SiteEpoch trailer{epoch != nullptr ? *epoch : 0, 0};
  uint64_t payload = sizeof(header) + (with_ages ? sizeof(ages) : 0) + pcs.size_bytes() +
                     (epoch != nullptr ? sizeof(trailer) : 0);
  bool legacy_java_frames = state_->version < format::kFirstVersionWithWideJavaFrames;
  if (legacy_java_frames) {
    for (uint64_t pc : pcs) {
      if (format::IsJavaFrame(pc) && !format::CanWriteAsLegacyJavaFrame(pc)) {
        return state_->Reject();
      }
    }
  }
  if (!state_->Start(format::RecordType::kSite, payload) || !state_->Put(&header, sizeof(header)) ||
      (with_ages && !state_->Put(&ages, sizeof(ages)))) {
    return false;
  }
  if (legacy_java_frames) {
    for (uint64_t pc : pcs) {
      uint64_t written = format::IsJavaFrame(pc) ? format::LegacyJavaFrame(pc) : pc;
      if (!state_->Put(&written, sizeof(written))) return false;
    }
  } else if (!state_->Put(pcs.data(), pcs.size_bytes())) {
    return false;
  }
  return epoch == nullptr || state_->Put(&trailer, sizeof(trailer));
}

bool DumpEncoder::Streams(const format::StreamsFixed& streams) {
  return state_ != nullptr && state_->FixedRecord(format::RecordType::kStreams, streams);
}

bool DumpEncoder::Memory(const format::MemoryFixed& memory) {
  return state_ != nullptr && state_->FixedRecord(format::RecordType::kMemory, memory);
}

bool DumpEncoder::Counters(const format::CountersFixed& counters) {
  return state_ != nullptr && state_->FixedRecord(format::RecordType::kCounters, counters);
}

bool DumpEncoder::JavaMethod(const format::JavaMethodFixed& fixed, std::string_view class_signature,
                             std::string_view name, std::string_view signature,
                             std::string_view source_file,
                             std::span<const std::pair<uint32_t, uint32_t>> lines) {
  if (state_ == nullptr) return false;
  for (std::string_view s : {class_signature, name, signature, source_file}) {
    if (!FitsU32(s.size())) return state_->Reject();
  }
  if (!FitsU32(lines.size())) return state_->Reject();
  format::JavaMethodFixed header = fixed;
  header.line_count = static_cast<uint32_t>(lines.size());
  uint64_t payload = sizeof(header) + 4 * kStringPrefixBytes + class_signature.size() +
                     name.size() + signature.size() + source_file.size() +
                     lines.size() * 2 * sizeof(uint32_t);
  if (!state_->Start(format::RecordType::kJavaMethod, payload) ||
      !state_->Put(&header, sizeof(header)) || !state_->PutString(class_signature) ||
      !state_->PutString(name) || !state_->PutString(signature) ||
      !state_->PutString(source_file)) {
    return false;
  }
  for (const auto& [bci, line] : lines) {
    uint32_t pair[2] = {bci, line};
    if (!state_->Put(pair, sizeof(pair))) return false;
  }
  return true;
}

bool DumpEncoder::Java(const format::JavaFixed& java) {
  return state_ != nullptr && state_->FixedRecord(format::RecordType::kJava, java);
}

bool DumpEncoder::Allocator(const format::AllocatorFixed& fixed, std::string_view path) {
  if (state_ == nullptr) return false;
  if (!FitsU32(path.size())) return state_->Reject();
  return state_->Start(format::RecordType::kAllocator,
                       sizeof(fixed) + kStringPrefixBytes + path.size()) &&
         state_->Put(&fixed, sizeof(fixed)) && state_->PutString(path);
}

bool DumpEncoder::Recorder(std::string_view version) {
  if (state_ == nullptr) return false;
  if (!FitsU32(version.size())) return state_->Reject();
  return state_->Start(format::RecordType::kRecorder, kStringPrefixBytes + version.size()) &&
         state_->PutString(version);
}

bool DumpEncoder::Label(std::string_view label) {
  if (state_ == nullptr) return false;
  if (!FitsU32(label.size())) return state_->Reject();
  return state_->Start(format::RecordType::kLabel, kStringPrefixBytes + label.size()) &&
         state_->PutString(label);
}

bool DumpEncoder::Finish() {
  if (state_ == nullptr || state_->phase != State::Phase::kOpen) return false;
  // The checksum covers everything before this header, so it is taken before writing it.
  format::EndFixed end{};
  end.record_count = state_->records;
  end.xxh64 = XXH64_digest(&state_->hash);
  format::RecordHeader header{};
  header.type = static_cast<uint32_t>(format::RecordType::kEnd);
  header.payload_bytes = sizeof(end);
  bool ok = state_->Put(&header, sizeof(header)) && state_->Put(&end, sizeof(end));
  if (ok) state_->phase = State::Phase::kFinished;
  return ok;
}

bool WriteDump(const Dump& dump, ByteSink* sink) {
  DumpEncoder encoder(sink, dump.version);
  // The recorder's version right after the process record, where the recorder writes it.
  if (!encoder.Begin() || !encoder.Process(dump.process) ||
      (!dump.recorder_version.empty() && !encoder.Recorder(dump.recorder_version)) ||
      (!dump.label.empty() && !encoder.Label(dump.label)) || !encoder.Settings(dump.settings)) {
    return false;
  }
  for (const ModuleInfo& module : dump.modules) {
    if (!encoder.Module(module.fixed, module.path, module.build_id,
                        module.epochs_known ? &module.epochs : nullptr)) {
      return false;
    }
  }
  for (const SiteInfo& site : dump.sites) {
    if (!encoder.Site(site.fixed, site.ages, site.pcs, site.epoch_known ? &site.epoch : nullptr)) {
      return false;
    }
  }
  for (const format::StreamsFixed& streams : dump.streams) {
    if (!encoder.Streams(streams)) return false;
  }
  for (const JavaMethodRecord& method : dump.java_methods) {
    if (!encoder.JavaMethod(method.fixed, method.class_signature, method.name, method.signature,
                            method.source_file, method.lines)) {
      return false;
    }
  }
  if (dump.java.flags != 0 && !encoder.Java(dump.java)) return false;
  if (dump.allocator.fixed.kind != 0 &&
      !encoder.Allocator(dump.allocator.fixed, dump.allocator.path)) {
    return false;
  }
  return encoder.Memory(dump.memory) && encoder.Counters(dump.counters) && encoder.Finish();
}

}  // namespace leakscope
