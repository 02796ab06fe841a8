#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Fails when the objects of libleakscope.so depend on each other in a cycle.

A -> B when object A uses a symbol that object B defines (from `nm`). A cycle means two files
cannot be understood, tested or moved apart: the recorder once reached from recorder.cc into the
Java part, and the Java part back into recorder.cc for the thread state and the stack table. The
layers are meant to be a tree: hooks -> recorder -> java, unwind -> core.

Usage: object_cycles.py OBJECT...   (exit 0: no cycle; 1: a cycle, printed with its symbols)
"""
import collections
import os
import subprocess
import sys


def unit(path):
    return os.path.basename(path).removesuffix(".o")


def main(objects):
    defined = {}
    used = collections.defaultdict(set)
    for obj in objects:
        out = subprocess.run(["nm", "-C", obj], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            parts = line.split(None, 2)
            if len(parts) == 2 and parts[0] == "U":
                used[unit(obj)].add(parts[1])
            elif len(parts) == 3 and parts[1] in "TDBRVW":
                defined.setdefault(parts[2], unit(obj))
    edges = collections.defaultdict(dict)  # a -> {b: one symbol of b that a uses}
    for a, symbols in used.items():
        for symbol in sorted(symbols):
            b = defined.get(symbol)
            if b is not None and b != a:
                edges[a].setdefault(b, symbol)
    # Tarjan's strongly connected components: every one of more than one object is a cycle.
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    for component in cycles:
        print("object_cycles: a dependency cycle between", ", ".join(component))
        for a in component:
            for b, symbol in sorted(edges[a].items()):
                if b in component:
                    print(f"  {a} -> {b} ({symbol})")
    if not objects or not edges:
        print("object_cycles: no objects or no dependencies read; wrong arguments?")
        return 1
    return 1 if cycles else 0


if __name__ == "__main__":
    # CMake passes each target's objects as one ;-separated argument.
    sys.exit(main([obj for arg in sys.argv[1:] for obj in arg.split(";") if obj]))
