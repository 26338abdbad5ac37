"""Progress bars: tqdm on stderr, never stdout (stdout carries results: metrics, predictions), shown
only when asked for and stderr is a terminal, so logs and pipes stay clean.

    with progress_bar(total=len(rows), desc="predict", unit="row", enabled=show_progress(cfg.progress)) as bar:
        bar.update(n)

``quiet_library_bars`` hides the bars transformers, datasets and huggingface_hub draw themselves
(loading weights, writing shards, mapping a dataset) where jbert's own bars are hidden.
"""

from __future__ import annotations

import os
import sys
from typing import Any


def stderr_is_tty() -> bool:
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def show_progress(requested: bool | None = True) -> bool:
    """A bar is drawn when it is not turned off (``--quiet``, ``training.progress_bar=false``,
    ``--no-progress``) and stderr is a terminal."""
    return requested is not False and stderr_is_tty()


def progress_bar(total: int | None, desc: str, unit: str, enabled: bool, initial: int = 0) -> Any:
    """A tqdm bar on stderr; ``total`` None when it is not known (then a rate, no ETA)."""
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc=desc, unit=f" {unit}", file=sys.stderr, disable=not enabled,
                dynamic_ncols=True, mininterval=0.5)


def quiet_library_bars() -> None:
    """Turn off the progress bars of transformers, datasets and huggingface_hub for this process."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    from huggingface_hub.utils import disable_progress_bars

    disable_progress_bars()
    if "datasets" in sys.modules:
        from datasets.utils import logging as ds_logging

        ds_logging.disable_progress_bar()
    else:  # importing datasets costs a second; it reads this when (if) pre-training imports it
        os.environ["HF_DATASETS_DISABLE_PROGRESS_BARS"] = "1"
