// SPDX-License-Identifier: Apache-2.0
// The on-disk layout of a leakscope dump: the one contract between the recorder (preload/) and the
// analyzer (analyzer/). Documented for humans in docs/dump-format.md; keep the two in step and bump
// kVersion on any change a version-1 reader cannot skip over.
//
// A dump is a FileHeader followed by records. Each record is a RecordHeader and `payload_bytes`
// bytes of payload. All integers are little-endian (x86-64, and AArch64 as Linux runs it).
// Strings are a u32 byte count followed by that many bytes (no terminator). Readers skip record
// types they do not know and bytes at the end of a payload beyond the fields they know, so later
// versions can add fields and records without breaking older analyzers.
//
// The last record is kEnd: it carries the number of records before it and the XXH64 (seed 0) of
// every byte of the file before the kEnd record header, so a truncated or altered file is detected.
#pragma once

#include <cstdint>

namespace leakscope::format {

inline constexpr char kMagic[8] = {'L', 'K', 'S', 'C', 'D', 'U', 'M', 'P'};
// 2: kSite carries SiteAgesFixed between SiteFixed and the PCs.
// 3: Java frames hold jmethodIDs below 2^48 (below 2^47 before; see Java frames).
// Readers accept 1 (no ages) to 3.
inline constexpr uint32_t kVersion = 3;
inline constexpr uint32_t kMinVersion = 1;

struct FileHeader {
  char magic[8];
  uint32_t version;
  uint32_t header_bytes;  // sizeof(FileHeader); lets a later version grow the header
};
static_assert(sizeof(FileHeader) == 16);

enum class RecordType : uint32_t {
  kProcess = 1,     // who and when: pid, seq, times, host, executable, command line
  kSettings = 2,    // the recorder's options in force
  kModule = 3,      // one loaded (or since unloaded) ELF module
  kSite = 4,        // one call stack with its allocation counters
  kStreams = 5,     // open zlib streams of one site and kind
  kMemory = 6,      // process memory picture and the recorder's own overhead
  kCounters = 7,    // drops, failures and interception status
  kJavaMethod = 8,  // a Java method seen in stacks: names and line table
  kJava = 9,        // the JVMTI agent's state and Java stack walk counters
  kAllocator = 10,  // which allocator serves malloc, and its own figures where it has them
  kRecorder = 11,   // the recorder's version
  kLabel = 12,      // the label of a dump requested with one (leakscope dump --label)
  kEnd = 0x7fffffff,
};

struct RecordHeader {
  uint32_t type;      // RecordType
  uint32_t reserved;  // 0
  uint64_t payload_bytes;
};
static_assert(sizeof(RecordHeader) == 16);

// Fixed part of kProcess; followed by strings host, executable, then u32 argc and argc strings.
struct ProcessFixed {
  int64_t pid;
  int64_t ppid;
  uint64_t seq;               // 0, 1, 2 ... per process
  uint64_t instance_id;       // random per recorder start: tells an exec'd image from its parent
  int64_t time_unix_ns;       // CLOCK_REALTIME when the dump was taken
  int64_t time_monotonic_ns;  // CLOCK_MONOTONIC when the dump was taken
  int64_t start_unix_ns;      // CLOCK_REALTIME when the recorder started
};
static_assert(sizeof(ProcessFixed) == 56);

// The recording process' architecture, as ELF names it (e_machine: EM_X86_64, EM_AARCH64):
// return addresses and module files mean something only on that architecture. Appended (no
// version bump: older readers skip trailing bytes) after kProcess's command line. A dump written
// before it has none and was recorded on x86-64, the only architecture the recorder ran on then.
struct ProcessMachine {
  uint32_t elf_machine;
  uint32_t reserved;
};
static_assert(sizeof(ProcessMachine) == 8);
inline constexpr uint32_t kMachineX86_64 = 62;    // EM_X86_64
inline constexpr uint32_t kMachineAarch64 = 183;  // EM_AARCH64

struct SettingsFixed {
  uint64_t sample_bytes;  // mean sampling interval in bytes; 1 = every allocation
  uint64_t max_stacks;
  uint64_t max_live;
  uint64_t max_streams;
  uint64_t interval_ns;  // 0 = dumps only at exit and on demand
  uint32_t depth;        // maximum native frames per stack
  uint32_t flags;        // kSettingFollowChildren | ...
};
static_assert(sizeof(SettingsFixed) == 48);
inline constexpr uint32_t kSettingFollowChildren = 1u << 0;

// Fixed part of kModule; followed by strings path and build_id (raw bytes, may be empty).
struct ModuleFixed {
  uint64_t start;  // lowest mapped address of the module's PT_LOAD segments
  uint64_t end;    // one past the highest
  uint64_t bias;   // load bias (dlpi_addr): ELF virtual address = runtime address - bias
  uint32_t flags;  // kModuleMain | kModuleUnloaded
  uint32_t reserved;
};
static_assert(sizeof(ModuleFixed) == 32);
inline constexpr uint32_t kModuleMain = 1u << 0;      // the executable itself
inline constexpr uint32_t kModuleUnloaded = 1u << 1;  // dlclose'd before this dump

// Mapping epochs: the recorder counts the dlcloses that unmapped a module. A later module may be
// mapped where an unloaded one was, so a PC means "this address in epoch E". Appended (no version
// bump: older readers skip trailing bytes) after a kModule's build_id and after a kSite's PCs.
// A record written before epochs existed lacks them; the analyzer then matches PCs as before.
inline constexpr uint32_t kEpochNever = UINT32_MAX;  // unloaded_epoch of a module still loaded
struct ModuleEpochs {
  uint32_t loaded_epoch;    // the epoch when the recorder first saw the module mapped
  uint32_t unloaded_epoch;  // the first epoch it was no longer mapped in; kEpochNever if loaded
};
static_assert(sizeof(ModuleEpochs) == 8);
struct SiteEpoch {
  uint32_t epoch;  // the epoch current when the stack was recorded
  uint32_t reserved;
};
static_assert(sizeof(SiteEpoch) == 8);

// Fixed part of kSite; followed (version 2 on) by SiteAgesFixed, then `depth` u64 PCs, innermost
// first. Every PC is a return address (the analyzer looks up pc - 1). *_count and *_bytes cover
// sampled allocations only; *_est_* are the unbiased estimates of all allocations (each sample
// weighted by the inverse of its sampling chance). Live = alloc - free. Site id 0 is the overflow
// site: allocations whose stack did not fit.
struct SiteFixed {
  uint32_t site_id;
  uint32_t depth;
  uint64_t alloc_count;
  uint64_t alloc_bytes;
  uint64_t alloc_est_bytes;
  uint64_t free_count;
  uint64_t free_bytes;
  uint64_t free_est_bytes;
  uint64_t alloc_est_count;  // estimated number of allocations, rounded
  uint64_t free_est_count;
};
static_assert(sizeof(SiteFixed) == 72);
inline constexpr uint32_t kOverflowSiteId = 0;

// Ages of a site's live sampled allocations when the dump was taken (version 2 on; version 1
// kSite records lack it). An age is the dump's recorder clock minus the allocation's birth, in
// whole seconds: births read a clock the dumper ticks about once a second, so an age is the true
// age rounded down, or up to a tick's staleness (about a second) more; never less. Weights are the
// estimated bytes each sample stands for, as in alloc_est_bytes. All zero when nothing sampled is
// live at the site.
inline constexpr uint32_t kAgeThresholdCount = 4;
// older_than_est_bytes[i]: estimated live bytes at least kAgeThresholdsS[i] seconds old.
inline constexpr uint32_t kAgeThresholdsS[kAgeThresholdCount] = {60, 600, 3600, 86400};
struct SiteAgesFixed {
  uint32_t median_age_s;  // bytes-weighted median: the least age a with half the bytes aged <= a
  uint32_t oldest_age_s;
  uint64_t older_than_est_bytes[kAgeThresholdCount];
};
static_assert(sizeof(SiteAgesFixed) == 40);
// Frames per site a reader accepts: a bound on what a corrupt depth field can make it allocate,
// far above any recorder setting (LEAKSCOPE_DEPTH is at most 256).
inline constexpr uint32_t kMaxSiteDepth = 4096;

// Java frames. A site's PCs may end with Java frames (innermost first), captured with
// AsyncGetCallTrace on a Java thread; the analyzer splices them where the native stack enters the
// JVM. A Java frame is tagged in its top three bits (no user-space PC has any of them set): the
// method's jmethodID (8-byte aligned, below 2^48) in the low 45 bits, shifted right by 3, and
// bci + 1 in the next 16 bits (0: no bci, e.g. a native method). kJavaMethod records name the
// method ids. 2^48, not 2^47: AArch64 maps the C heap, where HotSpot keeps jmethodIDs, above 2^47.
inline constexpr uint64_t kJavaFrameTag = 0x7ull << 61;
inline constexpr uint64_t kJavaMethodBits = 45;
constexpr bool IsJavaFrame(uint64_t pc) { return (pc >> 61) == 0x7; }
constexpr bool CanEncodeJavaMethod(uint64_t method_id) {
  return (method_id & 7) == 0 && (method_id >> (kJavaMethodBits + 3)) == 0;
}
constexpr uint64_t EncodeJavaFrame(uint64_t method_id, int32_t bci) {
  uint64_t stored_bci = (bci < 0 || bci >= 0xFFFF) ? 0 : static_cast<uint64_t>(bci) + 1;
  return kJavaFrameTag | stored_bci << kJavaMethodBits | method_id >> 3;
}
constexpr uint64_t JavaFrameMethod(uint64_t frame) {
  return (frame & ((1ull << kJavaMethodBits) - 1)) << 3;
}
constexpr int32_t JavaFrameBci(uint64_t frame) {
  return static_cast<int32_t>((frame >> kJavaMethodBits) & 0xFFFF) - 1;
}

// Versions 1 and 2 tagged a Java frame in its top four bits and kept 44 bits of its method
// (jmethodIDs below 2^47), which dropped every Java frame on AArch64. The reader converts such
// frames to the layout above; the encoder, asked for an older version (tests, golden files),
// converts back, and cannot write a method at or above 2^47 there.
inline constexpr uint32_t kFirstVersionWithWideJavaFrames = 3;
inline constexpr uint64_t kLegacyJavaMethodBits = 44;
constexpr bool IsLegacyJavaFrame(uint64_t pc) { return (pc >> 60) == 0xF; }
constexpr uint64_t UpgradeLegacyJavaFrame(uint64_t frame) {
  uint64_t method_bits = frame & ((1ull << kLegacyJavaMethodBits) - 1);
  uint64_t stored_bci = (frame >> kLegacyJavaMethodBits) & 0xFFFF;
  return kJavaFrameTag | stored_bci << kJavaMethodBits | method_bits;
}
constexpr bool CanWriteAsLegacyJavaFrame(uint64_t frame) {
  return (frame & ((1ull << kJavaMethodBits) - 1)) >> kLegacyJavaMethodBits == 0;
}
constexpr uint64_t LegacyJavaFrame(uint64_t frame) {
  uint64_t method_bits = frame & ((1ull << kLegacyJavaMethodBits) - 1);
  uint64_t stored_bci = (frame >> kJavaMethodBits) & 0xFFFF;
  return 0xFull << 60 | stored_bci << kLegacyJavaMethodBits | method_bits;
}

enum class StreamKind : uint32_t { kInflate = 1, kDeflate = 2 };

struct StreamsFixed {
  uint32_t site_id;
  uint32_t kind;          // StreamKind
  uint64_t open_count;    // streams opened here and not yet ended
  uint64_t open_bytes;    // bytes those open streams hold (0 when not attributed)
  uint64_t opened_total;  // streams ever opened here
};
static_assert(sizeof(StreamsFixed) == 32);

struct MemoryFixed {
  uint64_t rss_bytes;            // VmRSS
  uint64_t rss_peak_bytes;       // VmHWM
  uint64_t vm_bytes;             // VmSize
  uint64_t malloc_arena_bytes;   // mallinfo2().arena: sbrk'd and arena heap space
  uint64_t malloc_mmap_bytes;    // mallinfo2().hblkhd: large blocks served by mmap
  uint64_t malloc_in_use_bytes;  // mallinfo2().uordblks + hblkhd
  uint64_t malloc_free_bytes;    // mallinfo2().fordblks: free but held by malloc
  uint64_t malloc_arena_count;   // glibc arenas (main + thread arenas)
  uint64_t self_reserved_bytes;  // address space the recorder reserved
  uint64_t self_resident_bytes;  // of which resident
};
static_assert(sizeof(MemoryFixed) == 80);

struct CountersFixed {
  uint64_t sampled_allocs;        // allocations recorded, since start
  uint64_t dropped_live_full;     // sampled allocations not recorded: live table full
  uint64_t dropped_stack_full;    // sampled allocations charged to the overflow site
  uint64_t unwind_failures;       // stacks that came back empty
  uint64_t zlib_calls;            // zlib init/end calls intercepted
  uint64_t dropped_streams_full;  // zlib streams not recorded: stream table full
  uint64_t zlib_missing_real;     // zlib calls whose real function could not be found
  uint64_t truncated_walks;       // stacks cut short at a frame the walk could not step
};
static_assert(sizeof(CountersFixed) == 64);

// Fixed part of kJavaMethod; followed by strings class_signature ("Ljava/util/zip/Inflater;"),
// name, signature ("(Z)V") and source_file (may be empty), then line_count pairs of u32
// (start bci, line), ascending by bci: a frame's line is the entry with the largest start <= bci.
struct JavaMethodFixed {
  uint64_t method_id;  // as in encoded Java frames (JavaFrameMethod)
  uint32_t flags;      // kJavaMethodResolved
  uint32_t line_count;
};
static_assert(sizeof(JavaMethodFixed) == 16);
inline constexpr uint32_t kJavaMethodResolved = 1u << 0;  // 0: the class was gone when asked

// kJava: present when the recorder ran inside a JVM with the agent loaded.
struct JavaFixed {
  uint32_t flags;  // kJavaAgentLoaded | kJavaFramesOn | kJavaStreamNatives
  uint32_t reserved;
  // Stack walks by AsyncGetCallTrace's result: [0] returned frames; [1 + n] returned code -n:
  // [1] no Java frame, [2] no class load, [3] GC active, [4] unknown not Java, [5] not walkable
  // not Java, [6] unknown Java, [7] not walkable Java, [8] unknown state, [9] thread exit,
  // [10] deoptimization, [11] safepoint (or any other code).
  uint64_t walks[12];
  uint64_t unencodable;  // walks dropped for a method id that could not be tagged
};
static_assert(sizeof(JavaFixed) == 112);
inline constexpr uint32_t kJavaAgentLoaded = 1u << 0;
inline constexpr uint32_t kJavaFramesOn = 1u << 1;  // AsyncGetCallTrace found and used
// The JDK's Inflater/Deflater natives ran through the recorder's wrappers: their streams are
// attributed even where zlib is bundled in libzip.so and no zlib call reaches the hooks.
inline constexpr uint32_t kJavaStreamNatives = 1u << 2;

// Fixed part of kAllocator; followed by string path: the module whose malloc the program's calls
// end up in (libc.so.6, libjemalloc.so.2, ...). Absent in dumps from before it existed: read
// those as glibc behind our hooks.
struct AllocatorFixed {
  uint32_t kind;   // AllocatorKind
  uint32_t flags;  // kAllocatorInFront | kAllocatorHooked | kAllocatorStats
  // jemalloc's own figures (mallctl "stats.*", after an "epoch" refresh); 0 unless kAllocatorStats.
  uint64_t allocated;  // bytes in blocks the program holds
  uint64_t active;     // bytes in the pages those blocks occupy
  uint64_t resident;   // bytes of resident pages jemalloc maps, metadata included
  uint64_t mapped;     // bytes of active extents jemalloc has mapped
  uint64_t retained;   // virtual memory kept unmapped-but-reserved for reuse
};
static_assert(sizeof(AllocatorFixed) == 48);
enum class AllocatorKind : uint32_t { kUnknown = 0, kGlibc = 1, kJemalloc = 2, kOther = 3 };
// malloc as the program sees it (dlsym(RTLD_DEFAULT)) is not ours: another allocator was loaded
// in front of libleakscope.so, and our malloc hooks never run.
inline constexpr uint32_t kAllocatorInFront = 1u << 0;
// Allocations are recorded through the allocator's own hooks (jemalloc's experimental.hooks).
inline constexpr uint32_t kAllocatorHooked = 1u << 1;
// allocated..retained hold the allocator's own figures.
inline constexpr uint32_t kAllocatorStats = 1u << 2;

// kRecorder: no fixed part; a string, the version of the recorder that wrote the dump, as
// `leakscope --version` prints it without the program name: "0.1.0 (git abc1234)". Absent in
// dumps from before it existed. Later format versions keep this record (type and string first)
// and the record framing, so a reader that cannot read a newer dump can still name its writer.
inline constexpr uint32_t kMaxRecorderVersionBytes = 256;  // longer: not a version, not shown

// kLabel: no fixed part; a string, the label of a dump a trigger file requested with one (its
// first line, cleaned: common/dump_label.h). Absent from unlabelled dumps and from dumps written
// before labels existed, which read as unlabelled; older readers skip it.

struct EndFixed {
  uint64_t record_count;  // records before kEnd
  uint64_t xxh64;         // of every byte before the kEnd record header
};
static_assert(sizeof(EndFixed) == 16);

}  // namespace leakscope::format
