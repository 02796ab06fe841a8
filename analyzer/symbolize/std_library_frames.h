// Which C++ standard-library frames allocate on their caller's behalf: the allocators and
// allocator_traits, the containers, strings and smart pointers, and the library's internals
// beneath them (_Vector_base, _Rb_tree, std::__detail's hash tables; libc++'s __split_buffer,
// __tree, __libcpp_allocate ...). A vector::reserve reaches operator new through five or more
// such frames at -O0 (as inlined frames from DWARF at -O2); none of them is the code that wanted
// the memory.
//
// Decided by where the function is declared, never by its own name: `mine::allocate` or
// `Pool<int>::allocate` in the program's namespace is the program's code. The name is read past
// a function template's return type (`std::shared_ptr<Foo> make_foo<Foo>()` is the program's
// make_foo, `std::shared_ptr<long> std::make_shared<long>()` is the library's) and without
// template arguments, parameters, ABI tags and [clone] suffixes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace leakscope::analyzer {

// `function` is a demangled name with or without its parameter list (DWARF names of inlined
// frames have none).
bool IsStandardLibraryAllocationFrame(std::string_view function);

namespace internal {

// The components of the function's qualified name, template arguments and ABI tags removed:
// "std::vector<long>::reserve(unsigned long)" -> {"std", "vector", "reserve"}. Empty when the
// name cannot be read (unbalanced brackets).
std::vector<std::string> QualifiedNameParts(std::string_view function);

}  // namespace internal
}  // namespace leakscope::analyzer
