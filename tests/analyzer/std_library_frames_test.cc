// Which standard-library frames count as allocation plumbing, over the names g++ 12 and clang 14
// (with libstdc++) emit for containers at -O0 and -O2, the names DWARF gives inlined frames,
// and libc++'s; and the program's own functions that look like them, which must not count.
#include "symbolize/std_library_frames.h"

#include <gtest/gtest.h>

#include "symbolize/allocator_frames.h"

namespace leakscope::analyzer {
namespace {

using internal::QualifiedNameParts;
using Parts = std::vector<std::string>;

TEST(QualifiedNameParts, ReadsPastReturnTypesTemplateArgumentsAndParameters) {
  EXPECT_EQ(QualifiedNameParts("std::vector<long, std::allocator<long> >::reserve(unsigned long)"),
            (Parts{"std", "vector", "reserve"}));
  EXPECT_EQ(QualifiedNameParts("std::pair<std::_Rb_tree_iterator<std::pair<int const, long> >, "
                               "bool> std::_Rb_tree<int, std::pair<int const, long>, "
                               "std::_Select1st<std::pair<int const, long> >, std::less<int>, "
                               "std::allocator<std::pair<int const, long> > "
                               ">::_M_insert_unique<std::pair<int const, long> "
                               ">(std::pair<int const, long>&&)"),
            (Parts{"std", "_Rb_tree", "_M_insert_unique"}));
  EXPECT_EQ(QualifiedNameParts("std::shared_ptr<Foo> make_foo<Foo>(int) [clone .constprop.0]"),
            (Parts{"make_foo"}));
  EXPECT_EQ(QualifiedNameParts("void std::vector<std::__cxx11::basic_string<char, "
                               "std::char_traits<char>, std::allocator<char> > "
                               ">::_M_realloc_insert<char const (&) [2]>(__gnu_cxx::__normal_"
                               "iterator<int*, std::vector<int> >, char const (&) [2])"),
            (Parts{"std", "vector", "_M_realloc_insert"}));
  EXPECT_EQ(QualifiedNameParts("std::vector<long int, std::allocator<long int> >::reserve"),
            (Parts{"std", "vector", "reserve"}));
  EXPECT_EQ(QualifiedNameParts("std::__1::allocator<int>::allocate[abi:v15006](unsigned long)"),
            (Parts{"std", "__1", "allocator", "allocate"}));
  EXPECT_EQ(QualifiedNameParts("std::__cxx11::basic_string<char> std::operator+<char, "
                               "std::char_traits<char> >(char const*, std::__cxx11::basic_"
                               "string<char> const&)"),
            (Parts{"std", "operator+"}));
  EXPECT_EQ(QualifiedNameParts("std::basic_ostream<char>& std::operator<< <std::char_traits<char> "
                               ">(std::basic_ostream<char>&, char const*)"),
            (Parts{"std", "operator<<"}));
  EXPECT_EQ(QualifiedNameParts("(anonymous namespace)::Pool::allocate(unsigned long) const"),
            (Parts{"(anonymous namespace)", "Pool", "allocate"}));
  EXPECT_EQ(QualifiedNameParts("operator new(unsigned long)"), (Parts{"operator new"}));
  EXPECT_EQ(QualifiedNameParts("Widget::operator std::vector<int, std::allocator<int> >() const"),
            (Parts{"Widget", "operator std::vector<int, std::allocator<int> >"}));
  EXPECT_EQ(QualifiedNameParts("std::vector<int::push_back(int)"), Parts{});
}

TEST(StandardLibraryAllocationFrame, ClassesTheContainersAllocatorPlumbing) {
  for (const char* name : {
           // vector::reserve at -O0 (g++ 12 and clang 14 with libstdc++).
           "std::__new_allocator<long>::allocate(unsigned long, void const*)",
           "std::allocator_traits<std::allocator<long> >::allocate(std::allocator<long>&, "
           "unsigned long)",
           "std::_Vector_base<long, std::allocator<long> >::_M_allocate(unsigned long)",
           "std::vector<long, std::allocator<long> >::reserve(unsigned long)",
           // map insert.
           "std::_Rb_tree<int, std::pair<int const, long>, std::_Select1st<std::pair<int const, "
           "long> >, std::less<int>, std::allocator<std::pair<int const, long> > >::_M_get_node()",
           "std::_Rb_tree_node<std::pair<int const, long> >* std::_Rb_tree<int, std::pair<int "
           "const, long>, std::_Select1st<std::pair<int const, long> >, std::less<int>, "
           "std::allocator<std::pair<int const, long> > >::_M_create_node<std::pair<int const, "
           "long> >(std::pair<int const, long>&&)",
           "std::_Rb_tree<int, int, std::_Identity<int>, std::less<int>, std::allocator<int> "
           ">::_Auto_node::_Auto_node<int const&>(std::_Rb_tree<int, int, std::_Identity<int>, "
           "std::less<int>, std::allocator<int> >&, int const&)",
           "std::map<int, long, std::less<int>, std::allocator<std::pair<int const, long> > "
           ">::insert(std::pair<int const, long>&&)",
           // unordered_map insert and rehash.
           "std::__detail::_Hashtable_alloc<std::allocator<std::__detail::_Hash_node<std::pair<"
           "int const, long>, false> > >::_M_allocate_buckets(unsigned long)",
           "std::pair<std::__detail::_Node_iterator<std::pair<int const, long>, false, false>, "
           "bool> std::__detail::_Insert<int, std::pair<int const, long>, std::allocator<std::"
           "pair<int const, long> >, std::__detail::_Select1st, std::equal_to<int>, "
           "std::hash<int>, std::__detail::_Mod_range_hashing, std::__detail::_Default_ranged_"
           "hash, std::__detail::_Prime_rehash_policy, std::__detail::_Hashtable_traits<false, "
           "false, true>, false>::insert<std::pair<int const, long>, void>(std::pair<int const, "
           "long>&&)",
           "std::unordered_map<int, long, std::hash<int>, std::equal_to<int>, "
           "std::allocator<std::pair<int const, long> > >::insert(std::pair<int const, long>&&)",
           // deque, list, string, make_shared.
           "std::_Deque_base<int, std::allocator<int> >::_M_allocate_node()",
           "std::__cxx11::_List_base<int, std::allocator<int> >::_M_get_node()",
           "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> "
           ">::_M_mutate(unsigned long, unsigned long, char const*, unsigned long)",
           "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > "
           "std::operator+<char, std::char_traits<char>, std::allocator<char> "
           ">(std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > "
           "const&, char const*)",
           "std::shared_ptr<long> std::make_shared<long, int>(int&&)",
           "std::__allocated_ptr<std::allocator<std::_Sp_counted_ptr_inplace<long, "
           "std::allocator<long>, (__gnu_cxx::_Lock_policy)2> > > "
           "std::__allocate_guarded<std::allocator<std::_Sp_counted_ptr_inplace<long, "
           "std::allocator<long>, (__gnu_cxx::_Lock_policy)2> > >(std::allocator<std::_Sp_"
           "counted_ptr_inplace<long, std::allocator<long>, (__gnu_cxx::_Lock_policy)2> >&)",
           "__gnu_cxx::new_allocator<int>::allocate(unsigned long, void const*)",
           // Inlined frames at -O2 are named from DWARF, without parameters.
           "std::allocator_traits<std::allocator<long int> >::allocate",
           "std::__new_allocator<std::_Rb_tree_node<std::pair<int const, long int> > >::allocate",
           // libc++.
           "std::__1::allocator<int>::allocate[abi:v15006](unsigned long)",
           "std::__1::__libcpp_allocate[abi:v15006](unsigned long, unsigned long)",
           "std::__1::__split_buffer<int, std::__1::allocator<int>&>::__split_buffer(unsigned "
           "long, unsigned long, std::__1::allocator<int>&)",
           "std::__1::pmr::polymorphic_allocator<int>::allocate(unsigned long)",
       }) {
    EXPECT_TRUE(IsStandardLibraryAllocationFrame(name)) << name;
    EXPECT_TRUE(IsAllocatorFrame("/usr/bin/app", name)) << name;
  }
}

TEST(StandardLibraryAllocationFrame, LeavesTheProgramsOwnFunctionsAlone) {
  for (const char* name : {
           "mine::allocate(unsigned long)",
           "mine::Pool<int>::allocate(unsigned long)",
           "allocate(unsigned long)",
           "(anonymous namespace)::allocate(unsigned long)",
           "Leaked<std::deque<int, std::allocator<int> > >::Make()",
           // A program's function template returning a standard type.
           "std::shared_ptr<Foo> make_foo<Foo>(int)",
           "std::vector<int, std::allocator<int> > mine::build<int>(unsigned long)",
           "mine::std::vector<int>::push_back(int)",
           "stdx::vector<int>::push_back(int)",
           "vector_reserve()",
           "map_insert()::{lambda()#1}::operator()() const",
           // The library's own code that is not allocation plumbing: a thread runs the
           // program's function, a locale is the library's own state.
           "std::thread::_State_impl<std::thread::_Invoker<std::tuple<void (*)()> > >::_M_run()",
           "std::locale::_Impl::_Impl(unsigned long)",
       }) {
    EXPECT_FALSE(IsStandardLibraryAllocationFrame(name)) << name;
    EXPECT_FALSE(IsAllocatorFrame("/usr/bin/app", name)) << name;
  }
}

}  // namespace
}  // namespace leakscope::analyzer
