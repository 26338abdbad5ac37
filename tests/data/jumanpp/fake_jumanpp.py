"""A stand-in for the `jumanpp` binary: replays the Juman++ output in recorded.json, one input line at a time.

It answers each line as soon as it is read and flushes, as rhoknp's persistent Juman++ process needs (it
writes one sentence and waits for its ``EOS``). An input it has no recording for is an error (message on
stderr, exit 1), as a broken installation would be, so tests cannot pass on unrecorded text.
"""

import json
import sys
from pathlib import Path

outputs = json.loads(Path(__file__).with_name("recorded.json").read_text(encoding="utf-8"))["outputs"]
for line in sys.stdin:
    text = line.rstrip("\n")
    if text not in outputs:
        sys.stderr.write(f"unrecorded input: {text!r}\n")
        sys.exit(1)
    sys.stdout.write(outputs[text])
    sys.stdout.flush()
