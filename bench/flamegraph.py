#!/usr/bin/env python3
"""A flame graph of a JFR recording's execution samples, as one SVG file.

    bench/flamegraph.py RECORDING.jfr OUT.svg [TITLE]

Reads the recording with the JDK's `jfr print --json` (JAVA_HOME/bin/jfr, else `jfr` on PATH), merges the samples'
stacks into a tree (callers below, callees above, widths proportional to samples) and draws it: each frame a box
with its method as text when it fits and as a tooltip always. Frames of the same class share a colour, so one
component stands out across the graph. Lambda and hidden classes lose their addresses, which differ between runs.
"""
import html
import json
import os
import re
import subprocess
import sys
import zlib

WIDTH = 1800
ROW = 16
FONT = 11


def samples(recording):
    jfr = os.path.join(os.environ.get("JAVA_HOME", ""), "bin", "jfr")
    if not os.access(jfr, os.X_OK):
        jfr = "jfr"
    out = subprocess.run(
        [jfr, "print", "--json", "--events", "jdk.ExecutionSample", "--stack-depth", "256", recording],
        check=True, capture_output=True, text=True).stdout
    for event in json.loads(out)["recording"]["events"]:
        frames = event["values"]["stackTrace"]["frames"]
        stack = []
        for frame in reversed(frames):
            method = frame["method"]
            owner = re.sub(r"/0x[0-9a-f]+", "", method["type"]["name"]).replace("/", ".")
            stack.append(owner + "." + method["name"])
        if stack:
            yield stack


def tree(stacks):
    root = {"n": 0, "kids": {}}
    for stack in stacks:
        root["n"] += 1
        node = root
        for name in stack:
            node = node["kids"].setdefault(name, {"n": 0, "kids": {}})
            node["n"] += 1
    return root


def depth(node):
    return 1 + max((depth(kid) for kid in node["kids"].values()), default=0)


def colour(name):
    owner = name.rsplit(".", 1)[0]
    h = zlib.crc32(owner.encode())
    if name.startswith("dev.kiln."):
        return "rgb(%d,%d,%d)" % (230, 120 + h % 80, 40 + (h >> 8) % 50)
    return "rgb(%d,%d,%d)" % (200 + h % 40, 180 + (h >> 8) % 50, 80 + (h >> 16) % 60)


def draw(root, title):
    rows = depth(root)
    height = (rows + 2) * ROW + 30
    scale = WIDTH / max(root["n"], 1)
    out = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="monospace" font-size="%d">'
        % (WIDTH, height, FONT),
        '<rect width="100%" height="100%" fill="white"/>',
        '<text x="6" y="18" font-size="14">%s (%d samples)</text>' % (html.escape(title), root["n"]),
    ]

    def box(node, name, x, level):
        w = node["n"] * scale
        if w < 1.5:  # narrower than a pixel and a half: unreadable, and it swells the file
            return
        y = height - (level + 1) * ROW
        share = 100.0 * node["n"] / root["n"]
        label = "%s (%d samples, %.1f%%)" % (name, node["n"], share)
        out.append('<g><title>%s</title><rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s" stroke="white"/>'
                   % (html.escape(label), x, y, w, ROW - 1, colour(name)))
        chars = int(w / (FONT * 0.62))
        if chars >= 4:
            text = name if len(name) <= chars else name[: chars - 2] + ".."
            out.append('<text x="%.1f" y="%d">%s</text>' % (x + 2, y + ROW - 4, html.escape(text)))
        out.append("</g>")
        kx = x
        for kid_name, kid in sorted(node["kids"].items(), key=lambda item: -item[1]["n"]):
            box(kid, kid_name, kx, level + 1)
            kx += kid["n"] * scale

    x = 0.0
    for name, kid in sorted(root["kids"].items(), key=lambda item: -item[1]["n"]):
        box(kid, name, x, 0)
        x += kid["n"] * scale
    out.append("</svg>")
    return "\n".join(out)


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: flamegraph.py RECORDING.jfr OUT.svg [TITLE]")
    title = sys.argv[3] if len(sys.argv) > 3 else os.path.basename(sys.argv[1])
    root = tree(samples(sys.argv[1]))
    if root["n"] == 0:
        sys.exit("flamegraph.py: %s holds no execution samples" % sys.argv[1])
    with open(sys.argv[2], "w") as f:
        f.write(draw(root, title))


if __name__ == "__main__":
    main()
