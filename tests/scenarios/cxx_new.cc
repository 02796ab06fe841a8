// C++ allocations reach the recorder through libstdc++'s operator new, which calls malloc.
//   new_leak     4 x new char[300], never deleted
//   new_delete   50 x (new int[25] + new Obj) then delete, 200 B and 48 B each
#include <cstdio>
#include <cstdlib>

#define NOINLINE __attribute__((noinline, used))

namespace {
char* kept[4];
struct Obj {
  long fields[6];
};
void* volatile sink;
}  // namespace

extern "C" NOINLINE void new_leak() {
  for (char*& p : kept) p = new char[300];
}

extern "C" NOINLINE void new_delete() {
  for (int i = 0; i < 50; ++i) {
    int* array = new int[25];
    sink = array;
    Obj* obj = new Obj;
    sink = obj;
    delete obj;
    delete[] array;
  }
}

int main() {
  new_leak();
  new_delete();
  return 0;
}
// SPDX-License-Identifier: Apache-2.0
