#!/usr/bin/env python3
"""Writes a LLaMA-Factory sharegpt dataset of solid-colour PNGs captioned with their colour, and
its preference twin (colour_pairs: the right colour chosen, the next colour rejected) for DPO.

For device checks (scripts/device/gpu_check.sh): a machine without our build's test helpers still
gets the same kind of data the tests train on. Standard library only.

usage: make_colour_dataset.py OUT_DIR [--size 56] [--repeats 8]  (at most 8 repeats: each asks a different question)
"""
import json
import os
import struct
import sys
import zlib

COLOURS = {"red": (220, 30, 30), "green": (30, 200, 40), "blue": (30, 60, 220), "yellow": (230, 220, 40)}
QUESTIONS = ["What colour is this?", "Name the colour.", "Which colour is shown?", "The colour, please.",
             "What colour do you see?", "Tell me the colour.", "Which colour is it?", "Colour?"]


def png(width, height, rgb):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


def main(argv):
    out = argv[1]
    size = int(argv[argv.index("--size") + 1]) if "--size" in argv else 56
    repeats = int(argv[argv.index("--repeats") + 1]) if "--repeats" in argv else 8
    os.makedirs(os.path.join(out, "images"), exist_ok=True)
    rows, pairs = [], []
    names = list(COLOURS)
    for name, rgb in COLOURS.items():
        with open(os.path.join(out, "images", name + ".png"), "wb") as f:
            f.write(png(size, size, rgb))
        for k in range(repeats):
            rows.append({"conversations": [{"from": "human", "value": "<image>" + QUESTIONS[k % len(QUESTIONS)]},
                                           {"from": "gpt", "value": "It is " + name + "."}],
                         "images": ["images/" + name + ".png"]})
            wrong = names[(names.index(name) + 1) % len(names)]
            pairs.append({"conversations": [{"from": "human", "value": "<image>" + QUESTIONS[k % len(QUESTIONS)]}],
                          "chosen": {"from": "gpt", "value": "It is " + name + "."},
                          "rejected": {"from": "gpt", "value": "It is " + wrong + "."},
                          "images": ["images/" + name + ".png"]})
    with open(os.path.join(out, "colours.json"), "w") as f:
        json.dump(rows, f)
    with open(os.path.join(out, "colour_pairs.json"), "w") as f:
        json.dump(pairs, f)
    with open(os.path.join(out, "dataset_info.json"), "w") as f:
        json.dump({"colours": {"file_name": "colours.json", "formatting": "sharegpt"},
                   "colour_pairs": {"file_name": "colour_pairs.json", "formatting": "sharegpt", "ranking": True,
                                    "columns": {"messages": "conversations", "chosen": "chosen",
                                                "rejected": "rejected", "images": "images"}}}, f)


if __name__ == "__main__":
    main(sys.argv)
