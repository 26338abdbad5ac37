"""A stand-in for the `jumanpp` binary: replays recorded Juman++ output for the inputs it knows.

recorded.txt holds Juman++ 2 output (one word a line, `@` alternatives, `EOS`), hand-written in that format
for three sentences (Juman++ itself cannot be installed here). An unknown input line is an error (exit 1),
as a broken installation would be, so tests cannot pass on unrecorded text.
"""

import sys
from pathlib import Path

blocks = Path(__file__).with_name("recorded.txt").read_text(encoding="utf-8").split("EOS\n")
recorded = {}
for block in blocks[:-1]:
    words = [line.split(" ", 1)[0] for line in block.splitlines() if not line.startswith("@ ")]
    recorded["".join(" " if w == "\\\u2423" else w for w in words)] = block + "EOS\n"
for line in sys.stdin.read().splitlines():
    if line not in recorded:
        sys.stderr.write(f"unrecorded input: {line!r}\n")
        sys.exit(1)
    sys.stdout.write(recorded[line])
