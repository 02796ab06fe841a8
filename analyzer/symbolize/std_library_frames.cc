#include "symbolize/std_library_frames.h"

#include "absl/container/flat_hash_set.h"

namespace leakscope::analyzer {
namespace {

constexpr std::string_view kAnonymousNamespace = "(anonymous namespace)";
constexpr std::string_view kOperator = "operator";

// What may follow "operator", longest first, so that "<<=" is not taken for "<".
constexpr std::string_view kOperatorTokens[] = {
    "<=>", "<<=", ">>=", "->*", "()", "[]", "<<", ">>", "<=", ">=", "==", "!=", "&&",
    "||",  "++",  "--",  "+=",  "-=", "*=", "/=", "%=", "&=", "|=", "^=", "->", ",",
    "+",   "-",   "*",   "/",   "%",  "^",  "&",  "|",  "~",  "!",  "=",  "<",  ">"};

bool IsIdentifierChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// The length of the operator's name at s[i] ("operator<<", "operator new[]", "operator bool"),
// or 0 when no operator's name starts there. Its brackets and spaces are not the name's
// structure: "operator< <int>(...)" is operator< with template arguments.
size_t OperatorNameLength(std::string_view s, size_t i) {
  if (s.substr(i, kOperator.size()) != kOperator) return 0;
  if (i > 0 && IsIdentifierChar(s[i - 1])) return 0;
  size_t j = i + kOperator.size();
  if (j < s.size() && IsIdentifierChar(s[j])) return 0;  // an identifier such as "operators"
  std::string_view rest = s.substr(j);
  bool matched = false;
  for (std::string_view token : kOperatorTokens) {
    if (rest.starts_with(token)) {
      j += token.size();
      matched = true;
      break;
    }
  }
  if (!matched && rest.starts_with(' ')) {
    for (std::string_view word : {" new[]", " delete[]", " new", " delete"}) {
      if (rest.starts_with(word) &&
          (rest.size() == word.size() || !IsIdentifierChar(rest[word.size()]))) {
        return j + word.size() - i;
      }
    }
    // A conversion ("operator std::vector<int> const&"): its type runs to the parameters.
    int depth = 0;
    while (j < s.size() && !(s[j] == '(' && depth == 0)) {
      if (s[j] == '<') ++depth;
      if (s[j] == '>') --depth;
      ++j;
    }
    return j - i;
  }
  // The demangler writes "operator< <int>": the space belongs to the name.
  if (j + 1 < s.size() && s[j] == ' ' && s[j + 1] == '<') ++j;
  return j - i;
}

// Standard-library namespaces that only version or configure the library: the declaring
// entity is the name after them.
const absl::flat_hash_set<std::string_view>& InlineNamespaces() {
  static const auto* names = new absl::flat_hash_set<std::string_view>{
      "__1", "__ndk1", "__cxx11", "__8", "__debug", "__cxx1998"};
  return *names;
}

// Public standard-library names (classes, and function templates at namespace scope) whose
// functions allocate on their caller's behalf. Names beginning with '_' are the library's
// internals and count anyway.
const absl::flat_hash_set<std::string_view>& AllocatingEntities() {
  static const auto* names = new absl::flat_hash_set<std::string_view>{
      // Allocators.
      "allocator", "allocator_traits", "pmr", "get_temporary_buffer",
      // Containers and adaptors.
      "vector", "deque", "list", "forward_list", "map", "multimap", "set", "multiset",
      "unordered_map", "unordered_multimap", "unordered_set", "unordered_multiset", "stack",
      "queue", "priority_queue",
      // Strings, and the functions that return new ones.
      "basic_string", "operator+", "to_string", "to_wstring", "getline",
      // Smart pointers and type-erased holders.
      "shared_ptr", "make_shared", "allocate_shared", "make_shared_for_overwrite",
      "allocate_shared_for_overwrite", "make_unique", "make_unique_for_overwrite", "function",
      "any"};
  return *names;
}

}  // namespace

namespace internal {

std::vector<std::string> QualifiedNameParts(std::string_view s) {
  if (size_t clone = s.find(" [clone "); clone != std::string_view::npos) s = s.substr(0, clone);
  // The name starts after the last space outside brackets (a function template's return type
  // precedes it) and ends at the parameter list, the first '(' outside brackets.
  std::vector<std::string> parts(1);
  int depth = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (depth == 0 && s.substr(i).starts_with(kAnonymousNamespace)) {
      parts.back() += kAnonymousNamespace;
      i += kAnonymousNamespace.size() - 1;
      continue;
    }
    if (size_t n = c == 'o' ? OperatorNameLength(s, i) : 0; n != 0) {
      std::string_view name = s.substr(i, n);
      if (name.ends_with(' ')) name.remove_suffix(1);  // "operator< <int>"
      if (depth == 0) parts.back() += name;
      i += n - 1;
      continue;
    }
    switch (c) {
      case '<':
      case '[':
      case '{':
        ++depth;
        continue;
      case '>':
      case ']':
      case '}':
      case ')':
        if (--depth < 0) return {};
        continue;
      case '(':
        if (depth == 0) return parts;
        ++depth;
        continue;
      case ' ':
        if (depth == 0) parts.assign(1, "");
        continue;
      case ':':
        if (depth == 0 && i + 1 < s.size() && s[i + 1] == ':') {
          parts.emplace_back();
          ++i;
          continue;
        }
        break;
      default:
        break;
    }
    if (depth == 0) parts.back() += c;
  }
  if (depth != 0) return {};
  return parts;
}

}  // namespace internal

bool IsStandardLibraryAllocationFrame(std::string_view function) {
  if (!function.starts_with("std::") && !function.starts_with("__gnu_cxx::") &&
      function.find(" std::") == std::string_view::npos &&
      function.find(" __gnu_cxx::") == std::string_view::npos) {
    return false;  // the common case, without reading the name
  }
  std::vector<std::string> parts = internal::QualifiedNameParts(function);
  if (parts.size() < 2) return false;
  // libstdc++'s extensions: new_allocator, __pool_alloc, malloc_allocator and their helpers.
  if (parts[0] == "__gnu_cxx") return true;
  if (parts[0] != "std") return false;
  size_t i = 1;
  while (i + 1 < parts.size() && InlineNamespaces().contains(parts[i])) ++i;
  const std::string& entity = parts[i];
  return entity.starts_with('_') || AllocatingEntities().contains(entity);
}

}  // namespace leakscope::analyzer
