#!/usr/bin/env python3
"""Where a process's anonymous (native + managed) memory lives, from /proc/<pid>/smaps.

Usage: python3 tests/load/smaps-summary.py <pid> [largest=10]

Groups resident anonymous memory by the kind of mapping it is in, by shape (glibc and the .NET GC do not name their
mappings, so this is a heuristic):
  glibc main heap      the [heap] (brk) mapping: malloc from the main thread and the first arena
  glibc thread heaps   64 MiB-aligned read-write mappings followed by their reserved (---p) tail: malloc arenas of
                       other threads (ONNX Runtime's arenas and intra-op threads, Skia)
  reserved + used      other read-write mappings followed by a reserved tail: thread stacks, GC regions
  large mmap blocks    other mappings of 1 MiB or more: malloc blocks above the mmap threshold, GC regions
then lists the largest mappings. Used for docs/RELIABILITY.md (Native memory); compare two runs of it over time.
"""
import re
import sys

GLIBC_HEAP_ALIGN = 64 << 20


def read_mappings(pid):
    mappings = []
    with open(f"/proc/{pid}/smaps") as smaps:
        for line in smaps:
            header = re.match(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$", line)
            if header:
                mappings.append({"start": int(header[1], 16), "end": int(header[2], 16), "perm": header[3],
                                 "name": header[4].strip(), "anon_kib": 0})
            elif line.startswith("Anonymous:"):
                mappings[-1]["anon_kib"] = int(line.split()[1])
    return mappings


def kind(mapping, following):
    if mapping["name"] == "[heap]":
        return "glibc main heap"
    if mapping["name"]:
        return "named (" + ("file data" if mapping["name"].startswith("/") else mapping["name"]) + ")"
    reserved_tail = following is not None and following["perm"] == "---p" and following["start"] == mapping["end"]
    if reserved_tail and mapping["start"] % GLIBC_HEAP_ALIGN == 0:
        return "glibc thread heaps"
    if reserved_tail:
        return "reserved + used (stacks, GC)"
    return "large mmap blocks" if mapping["end"] - mapping["start"] >= 1 << 20 else "small mappings"


def main():
    pid, largest = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10
    mappings = read_mappings(pid)
    totals = {}
    for i, mapping in enumerate(mappings):
        if mapping["anon_kib"] == 0:
            continue
        total = totals.setdefault(kind(mapping, mappings[i + 1] if i + 1 < len(mappings) else None), [0, 0, 0])
        total[0] += 1
        total[1] += mapping["anon_kib"]
        total[2] += (mapping["end"] - mapping["start"]) >> 10
    for name, (count, anon, mapped) in sorted(totals.items(), key=lambda item: -item[1][1]):
        print(f"{anon / 1024:9.1f} MiB resident in {count:4d} mappings ({mapped / 1024:8.1f} MiB mapped)  {name}")
    print(f"largest {largest}:")
    for mapping in sorted(mappings, key=lambda m: -m["anon_kib"])[:largest]:
        print(f"  {mapping['anon_kib'] / 1024:8.1f} MiB of {(mapping['end'] - mapping['start']) / 1048576:8.1f}"
              f" {mapping['perm']} {mapping['start']:x} {mapping['name']}")


if __name__ == "__main__":
    main()
