#!/usr/bin/env python3
"""Summarises a callgrind dump of a server that handled `requests` requests: instructions per
request, split by the object they ran in (halo-gateway or halo-floor-bench, with Swift's runtime
linked in; libnghttp2; libc; the rest), and calls to malloc per request.

    callgrind_split.py <callgrind.out> <requests> [label]
"""
import collections
import re
import sys

DEFINITION = re.compile(r"\((\d+)\)(?: (.*))?")


def resolve(table, token):
    match = DEFINITION.match(token)
    if not match:
        return token
    if match.group(2):
        table[match.group(1)] = match.group(2)
    return table.get(match.group(1), token)


def summarise(path):
    objects, functions = {}, {}
    self_cost = collections.Counter()
    mallocs = 0
    current_object = None
    called_function = None
    after_calls = False
    with open(path, errors="replace") as lines:
        for line in lines:
            line = line.rstrip("\n")
            key, _, value = line.partition("=")
            if key == "ob":
                current_object = resolve(objects, value)
            elif key == "cob":
                resolve(objects, value)
            elif key == "fn":
                resolve(functions, value)
            elif key == "cfn":
                called_function = resolve(functions, value)
            elif key == "calls":
                after_calls = True
                if called_function in ("malloc",):
                    mallocs += int(value.split()[0])
            elif line and (line[0].isdigit() or line[0] in "+-*"):
                if after_calls:
                    after_calls = False  # the callee's inclusive cost, counted where it ran
                    continue
                fields = line.split()
                if len(fields) >= 2:
                    self_cost[current_object] += int(fields[1])
    return self_cost, mallocs


def group(name):
    if "libnghttp2" in name:
        return "nghttp2"
    if "/libc.so" in name or "/libc-" in name or "libm.so" in name:
        return "libc"
    if "halo-gateway" in name or "halo-floor-bench" in name:
        return "halo+swift"
    return "other"


def main():
    path, requests = sys.argv[1], int(sys.argv[2])
    label = sys.argv[3] if len(sys.argv) > 3 else path
    self_cost, mallocs = summarise(path)
    groups = collections.Counter()
    for name, cost in self_cost.items():
        groups[group(name)] += cost
    total = sum(groups.values())
    parts = "  ".join(f"{g} {groups[g] / requests:,.0f}" for g in ("halo+swift", "nghttp2", "libc", "other"))
    print(f"{label}: {total / requests:,.0f} instructions/request ({parts}); {mallocs / requests:.1f} malloc/request")


if __name__ == "__main__":
    main()
